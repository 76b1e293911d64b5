"""fhirpathpy, wrapped: compiled-expression caches, the typed context and the functions it lacks.

    fn = compile("contraindication.exists()", "ClinicalUseDefinition")   # parsed once, cached
    fn(node_dict, resource=..., root_resource=..., resolve=lambda ref: [...]) -> list

`base_type` is the typed context ("Range", "Patient.contact"): without it fhirpathpy cannot tell
that `value` means `valueQuantity`, so choice elements evaluate to nothing. The R5 model shipped
with fhirpathpy gives it the paths. Functions fhirpathpy lacks (hasValue, memberOf, resolve,
htmlChecks) are supplied here; `resolve` is pluggable per call because only the caller knows the
Bundle or store the reference points into. `compile_plain` is fhirpathpy as it comes (the R5
model, no typed context, no extra functions): what search parameter expressions are evaluated with.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from functools import lru_cache

import fhirpathpy
from fhirpathpy.engine import do_eval
from fhirpathpy.engine.invocations.constants import constants
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.engine.util import arraify, get_data
from fhirpathpy.models import models
from fhirpathpy.parser import parse

from fhir_service import definitions

R5_MODEL = models["r5"]
# fhirpathpy's model of the version whose definitions answer (choice types, type tests).
MODELS = {"5.0": R5_MODEL, "4.3": models["r4"], "4.0": models["r4"]}
Resolver = Callable[[object], list]  # a Reference dict or a URL string → resolved resource dicts


def _has_value(ctx, data):
    # FHIRPath hasValue(): a single primitive that carries a value (not just an extension).
    return [
        len(data) == 1 and not isinstance(get_data(data[0]), dict | list) and get_data(data[0]) is not None
    ]


def _member_of(ctx, data, url):
    url = url[0] if isinstance(url, list) else url
    codes = definitions.value_set(url)
    if codes is None or len(data) != 1:
        return []  # unknown value set: no verdict rather than a false error
    value = get_data(data[0])
    if isinstance(value, str):
        return [any(value in c for c in codes.values())]
    if isinstance(value, dict):
        codings = value.get("coding", [value])
        return [
            any(c.get("code") in codes.get(c.get("system", ""), ()) for c in codings if isinstance(c, dict))
        ]
    return []


def _no_resolver(_reference) -> list:
    return []


def _make_resolve(resolve: Resolver):
    def fn(ctx, data):
        out = []
        for item in data:
            for resolved in resolve(get_data(item)):
                out.append(ResourceNode.create_node(resolved))
        return out

    return fn


def _html_checks(ctx, data):
    from fhir_service.narrative import xhtml_problems

    return [all(not xhtml_problems(get_data(d)) for d in data)]


def _table(resolve: Resolver) -> dict:
    return {
        "hasValue": {"fn": _has_value},
        "memberOf": {"fn": _member_of, "arity": {1: ["String"]}},
        "resolve": {"fn": _make_resolve(resolve)},
        "htmlChecks": {"fn": _html_checks},
    }


_DEFAULT_TABLE = _table(_no_resolver)


@lru_cache(maxsize=4096)
def parse_ast(expression: str) -> dict:
    """fhirpathpy's parse tree of an expression (cached; simple.py compiles it too)."""
    with contextlib.redirect_stdout(io.StringIO()):  # the ANTLR error listener prints to stdout
        return parse(expression)["children"][0]


def _silent_trace(*_args) -> None:
    """trace() in the official invariants (dom-3, sdf-16...) must not print during validation."""


class Compiled:
    """A parsed expression bound to its typed context; call it on the context node's data."""

    __slots__ = ("expression", "base_type", "_ast")

    def __init__(self, expression: str, base_type: str | None):
        self.expression = expression
        self.base_type = base_type
        self._ast = parse_ast(expression)

    def __call__(
        self,
        data,
        *,
        resource: dict | None = None,
        root_resource: dict | None = None,
        resolve: Resolver | None = None,
        variables: dict | None = None,
    ) -> list:
        constants.reset()
        # A resource types itself from resourceType; wrapping it would break `Patient.name`-style paths.
        typed = self.base_type and not (isinstance(data, dict) and "resourceType" in data)
        node = ResourceNode.create_node(data, self.base_type) if typed else data
        root = arraify(node)
        resource = resource if resource is not None else data
        env = {
            "context": node,
            "ucum": "http://unitsofmeasure.org",
            "resource": ResourceNode.create_node(resource),
            "rootResource": ResourceNode.create_node(
                root_resource if root_resource is not None else resource
            ),
            **(variables or {}),
        }
        ctx = {
            "dataRoot": root,
            "vars": env,
            "model": MODELS[definitions.current_version()],
            "userInvocationTable": _DEFAULT_TABLE if resolve is None else _table(resolve),
            "traceFn": _silent_trace,
        }
        return [get_data(x) for x in arraify(do_eval(ctx, root, self._ast))]


@lru_cache(maxsize=4096)
def compile(expression: str, base_type: str | None = None) -> Compiled:  # noqa: A001 - the FHIRPath verb
    """Parse once per (expression, base type); raises ValueError on syntax fhirpathpy cannot parse."""
    try:
        return Compiled(expression, base_type)
    except Exception as exc:  # the generated ANTLR parser raises assorted types
        raise ValueError(f"cannot parse FHIRPath {expression!r}: {exc}") from exc


def evaluate(data, expression: str, base_type: str | None = None, **kwargs) -> list:
    return compile(expression, base_type)(data, **kwargs)


@lru_cache(maxsize=4096)
def compile_plain(expression: str) -> Callable[[object, dict], list]:
    """fhirpathpy's own compile on the R5 model: fn(data, environment) → raw JSON values."""
    return fhirpathpy.compile(expression, R5_MODEL)
