"""A direct Python evaluator for the simple constraint shapes that make up most of the R5 invariants
(`a.empty() or b.exists()`, `x.exists() implies y.count() = 1`, `type = 'x' implies z.exists()`...).

fhirpathpy spends ~50 µs on even the smallest expression; these closures take ~1 µs, which is what
makes validating ElementDefinition-heavy resources (thousands of eld-* evaluations) affordable.
The expression is parsed by fhirpathpy's own parser, and paths are resolved statically against
the R5 definitions (so `value` finds `valueQuantity`). Anything outside the subset returns None
from `compile_simple`, and the caller falls back to fhirpathpy.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from decimal import Decimal

from fhir_service import definitions
from fhir_service.fhirpath.engine import parse_ast

_ENV = threading.local()  # %resource of the evaluation in progress on this thread
EXT_ONLY = object()  # a primitive that has only an extension (`_name`): it exists but has no value
Loc = tuple  # (TypeDef, definition path) or None for a terminal (primitive, choice)


class Unsupported(Exception):
    pass


def _locate(loc, name: str):
    """(json keys, next location) of child `name` of a statically known location."""
    if loc is None:
        raise Unsupported(name)
    td, path = loc
    element = next((e for e in td.children.get(path, {}).values() if e.name == name), None)
    if element is None:
        raise Unsupported(name)
    keys = tuple(element.json_keys)
    if element.content_reference:
        return keys, (td, element.content_reference.split("#", 1)[1])
    if element.path in td.children:
        return keys, (td, element.path)
    if element.is_choice or len(element.types) != 1:
        return keys, None
    child = definitions.type_def(element.types[0].code)
    if child is None or child.kind == "primitive-type" or child.abstract:
        return keys, None
    return keys, (child, child.name)


def _navigate(keys):
    def step(items):
        out = []
        for item in items:
            if not isinstance(item, dict):
                continue
            for key in keys:
                if key in item:
                    value = item[key]
                    out.extend(value if isinstance(value, list) else (value,))
                elif "_" + key in item:
                    ext = item["_" + key]
                    out.extend(EXT_ONLY for _ in ext) if isinstance(ext, list) else out.append(EXT_ONLY)
        return out

    return step


def _path(node, loc):
    """Compile a member path (a.b.c). Returns (fn items → items, location)."""
    t = node["type"]
    if t == "TermExpression":
        child = node["children"][0]
        if child["type"] == "InvocationTerm" and child["children"][0]["type"] == "MemberInvocation":
            name = child["children"][0]["children"][0]["text"]
            if loc is not None and loc[1] == name == loc[0].name and loc[0].kind == "resource":
                return (lambda items: items), loc  # `Patient.name` evaluated on a Patient
            keys, nxt = _locate(loc, name)
            return _navigate(keys), nxt
        if (
            child["type"] == "ExternalConstantTerm"
            and child["children"][0]["children"][0]["text"] == "resource"
        ):
            owner = definitions.type_def(loc[0].name) if loc else None
            if owner is None or owner.kind != "resource":
                raise Unsupported("%resource outside a resource")
            return (lambda items: [_ENV.resource]), (owner, owner.name)
        raise Unsupported(t)
    if t == "InvocationExpression":
        left, right = node["children"]
        if right["type"] != "MemberInvocation":
            raise Unsupported("function in path")
        fn, mid = _path(left, loc)
        keys, nxt = _locate(mid, right["children"][0]["text"])
        step = _navigate(keys)
        return (lambda items: step(fn(items))), nxt
    raise Unsupported(t)


def _expr_loc(node, loc):
    """Like _expr, but also returns the static location of the result when it is a path."""
    t = node["type"]
    if t == "InvocationExpression":
        left, right = node["children"]
        if right["type"] == "MemberInvocation":
            source, source_loc = _expr_loc(left, loc)
            keys, nxt = _locate(source_loc, right["children"][0]["text"])
            step = _navigate(keys)
            return (lambda items: step(source(items))), nxt
        functn = right["children"][0]
        if functn["children"][0]["text"] == "where" and len(functn["children"]) > 1:
            params = functn["children"][1]["children"]
            source, source_loc = _expr_loc(left, loc)
            criteria = _expr(params[0], source_loc)
            return (lambda items: [x for x in source(items) if _bool(criteria([x])) is True]), source_loc
        if functn["children"][0]["text"] == "all" and len(functn["children"]) > 1:
            params = functn["children"][1]["children"]
            source, source_loc = _expr_loc(left, loc)
            criteria = _expr(params[0], source_loc)
            return (lambda items: [all(_bool(criteria([x])) is True for x in source(items))]), None
    if t == "TermExpression":
        child = node["children"][0]
        if child["type"] == "InvocationTerm" and child["children"][0]["type"] == "ThisInvocation":
            return (lambda items: items), loc
        if child["type"] in ("InvocationTerm", "ExternalConstantTerm") and not (
            child["type"] == "ExternalConstantTerm" and child["children"][0]["children"][0]["text"] == "ucum"
        ):
            return _path(node, loc)
    return _expr(node, loc), None


FUNCTIONS = {
    "exists": lambda items: [bool(items)],
    "empty": lambda items: [not items],
    "hasValue": lambda items: [
        len(items) == 1 and items[0] is not EXT_ONLY and not isinstance(items[0], dict)
    ],
    "count": lambda items: [len(items)],
    "first": lambda items: items[:1],
    "not": lambda items: [not items[0]] if len(items) == 1 and isinstance(items[0], bool) else [],
}


def _expr(node, loc) -> Callable[[list], list]:
    """Compile to fn(context items) → result collection."""
    t = node["type"]
    if t == "TermExpression":
        child = node["children"][0]
        if child["type"] == "ParenthesizedTerm":
            return _expr(child["children"][0], loc)
        if child["type"] == "ExternalConstantTerm" and child["children"][0]["children"][0]["text"] == "ucum":
            return lambda items: ["http://unitsofmeasure.org"]
        if child["type"] == "InvocationTerm" and child["children"][0]["type"] == "ThisInvocation":
            return lambda items: items
        if child["type"] == "LiteralTerm":
            literal = child["children"][0]
            if literal["type"] == "StringLiteral":
                value = literal["text"][1:-1]
            elif literal["type"] == "BooleanLiteral":
                value = literal["text"] == "true"
            elif literal["type"] == "NumberLiteral" and literal["text"].isdigit():
                value = int(literal["text"])
            else:
                raise Unsupported(literal["type"])
            return lambda items: [value]
        fn, _ = _path(node, loc)
        return fn
    if t == "InvocationExpression":
        left, right = node["children"]
        if right["type"] == "FunctionInvocation":
            functn = right["children"][0]
            name = functn["children"][0]["text"]
            if name in ("where", "all") and len(functn["children"]) > 1:
                return _expr_loc(node, loc)[0]
            inner = _expr_loc(left, loc)[0]
            if len(functn["children"]) > 1:
                if name not in STRING_FUNCTIONS:
                    raise Unsupported(name)
                params = functn["children"][1]["children"]
                if len(params) != 1:
                    raise Unsupported(name)
                arg = _string_literal(params[0])
                f1 = STRING_FUNCTIONS[name](arg)
                return lambda items: _string_test(f1, inner(items))
            if name not in FUNCTIONS:
                raise Unsupported(name)
            f = FUNCTIONS[name]
            return lambda items: f(inner(items))
        return _expr_loc(node, loc)[0]
    if t in ("AndExpression", "OrExpression", "ImpliesExpression"):
        op = node["terminalNodeText"][0]
        a, b = (_expr(c, loc) for c in node["children"])
        logic, short = LOGIC[op], SHORT_CIRCUIT.get(op)

        def combine(items):
            x = _bool(a(items))
            if short is not None and x is short[0]:
                return short[1]  # decided by the left side; the right may not even be evaluable
            return logic(x, _bool(b(items)))

        return combine
    if t == "AdditiveExpression" and node["terminalNodeText"][0] in ("+", "-"):
        sign = 1 if node["terminalNodeText"][0] == "+" else -1
        a, b = (_expr(c, loc) for c in node["children"])

        def add(items):
            x, y = a(items), b(items)
            if not x or not y:
                return []
            if len(x) != 1 or len(y) != 1 or not all(type(v) is int for v in (x[0], y[0])):
                raise Unsupported("arithmetic on non-integers")
            return [x[0] + sign * y[0]]

        return add
    if t == "MembershipExpression" and node["terminalNodeText"][0] == "in":
        left, right = node["children"]
        a, allowed = _expr(left, loc), frozenset(_literal_union(right))

        def member(items):
            x = a(items)
            if not x:
                return []
            if len(x) != 1 or not isinstance(x[0], str):
                raise Unsupported("in on a collection")
            return [x[0] in allowed]

        return member
    if t in ("EqualityExpression", "InequalityExpression"):
        op = node["terminalNodeText"][0]
        if op not in COMPARE:
            raise Unsupported(op)
        a, b = (_expr(c, loc) for c in node["children"])
        cmp = COMPARE[op]

        def compare(items):
            x, y = a(items), b(items)
            if not x or not y:
                return []
            if len(x) != 1 or len(y) != 1 or x[0] is EXT_ONLY or isinstance(x[0], dict):
                raise Unsupported("comparison of collections")
            if type(x[0]) is not type(y[0]) and not (
                isinstance(x[0], int | float | Decimal) and isinstance(y[0], int | float | Decimal)
            ):
                raise Unsupported("comparison across types")
            return [cmp(x[0], y[0])]

        return compare
    raise Unsupported(t)


def _literal_union(node) -> list[str]:
    if node["type"] == "TermExpression" and node["children"][0]["type"] == "ParenthesizedTerm":
        return _literal_union(node["children"][0]["children"][0])
    if node["type"] == "UnionExpression":
        return [v for c in node["children"] for v in _literal_union(c)]
    return [_string_literal(node)]


def _string_literal(node) -> str:
    if node["type"] == "TermExpression" and node["children"][0]["type"] == "LiteralTerm":
        literal = node["children"][0]["children"][0]
        if literal["type"] == "StringLiteral":
            # FHIRPath string escapes: \\ and \' are the ones the R5 invariants use
            return literal["text"][1:-1].replace("\\\\", "\\").replace("\\'", "'")
    raise Unsupported("non-literal argument")


def _string_test(test, items):
    if not items:
        return []
    if len(items) != 1 or not isinstance(items[0], str):
        raise Unsupported("string function on a non-string")
    return [test(items[0])]


def _matcher(pattern: str):
    regex = re.compile(pattern)
    return lambda s: regex.search(s) is not None


STRING_FUNCTIONS = {
    "matches": _matcher,
    "startsWith": lambda arg: lambda s: s.startswith(arg),
    "endsWith": lambda arg: lambda s: s.endswith(arg),
    "contains": lambda arg: lambda s: arg in s,
}


def _bool(collection) -> bool | None:
    if not collection:
        return None
    if len(collection) == 1:
        v = collection[0]
        return v if isinstance(v, bool) else True  # a singleton non-boolean is true in a boolean context
    raise Unsupported("collection in boolean context")


def _and(a, b):
    if a is False or b is False:
        return [False]
    return [True] if a and b else []


def _or(a, b):
    if a is True or b is True:
        return [True]
    return [False] if a is False and b is False else []


def _xor(a, b):
    return [] if a is None or b is None else [a != b]


def _implies(a, b):
    if a is False or b is True:
        return [True]
    if a is True:
        return [] if b is None else [b]
    return [True] if b is True else []


SHORT_CIRCUIT = {"and": (False, [False]), "or": (True, [True]), "implies": (False, [True])}
LOGIC = {"and": _and, "or": _or, "xor": _xor, "implies": _implies}
COMPARE = {
    "=": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


@definitions.per_version  # the same path has other children in another FHIR version
def compile_simple(expression: str, base_path: str) -> Callable | None:
    """fn(node) → result collection, or None when the expression is outside the subset."""
    owner = definitions.type_def(base_path.split(".")[0])
    if owner is None or base_path not in owner.children:
        return None
    try:
        fn = _expr(parse_ast(expression), (owner, base_path))
    except Unsupported:
        return None
    except Exception:  # fhirpathpy's parser on syntax it rejects
        return None

    def run(node, resource=None):
        _ENV.resource = resource
        try:
            return fn([node])
        except Unsupported:
            return None  # e.g. a collection where a single boolean was expected: let fhirpathpy decide

    return run
