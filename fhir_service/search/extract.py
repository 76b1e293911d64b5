"""Evaluate search parameter expressions on a resource (fhirpathpy, each expression compiled once).

An official expression usually covers many resource types ("A.identifier | B.identifier | ...").
It is split on its top-level `|` and only the parts for the resource type at hand are kept, with
the type prefix removed so fhirpathpy evaluates them on the resource itself (fhirpathpy does not
match `Resource.meta` against a Patient). `x.where(resolve() is T)` needs a resolver fhirpathpy
lacks; as in most servers it is read as "references to a T" and filtered by the reference's type."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import fhirpathpy
from fhirpathpy.models import models

MODEL = models["r5"]
ABSTRACT_BASES = ("Resource", "DomainResource", "CanonicalResource", "MetadataResource")
_RESOLVE_IS = re.compile(r"^(?P<path>.+)\.where\(resolve\(\) is (?P<type>\w+)\)$")
_LEADING_NAME = re.compile(r"^\(*\s*([A-Za-z]+)")


@dataclass(frozen=True)
class Part:
    evaluate: Any  # compiled fhirpath: (resource, context) -> list
    reference_type: str | None  # keep only references to this resource type


def split_union(expression: str) -> list[str]:
    """Top-level `|` operands (not inside parentheses or string literals)."""
    parts, depth, quote, start = [], 0, False, 0
    for i, ch in enumerate(expression):
        if ch == "'" and (i == 0 or expression[i - 1] != "\\"):
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and depth == 0 and ch == "|":
            parts.append(expression[start:i].strip())
            start = i + 1
    parts.append(expression[start:].strip())
    return [p for p in parts if p]


def _strip_outer_parens(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and split_union(text[1:-1]) == [text[1:-1].strip()]:
        inner = text[1:-1].strip()
        depth = 0
        balanced = True
        for ch in inner:
            depth += ch == "("
            depth -= ch == ")"
            if depth < 0:
                balanced = False
                break
        if not balanced:
            break
        text = inner
    return text


def _relative(part: str, resource_type: str) -> str | None:
    """The part rewritten relative to the resource, or None when it is for another type."""
    part = _strip_outer_parens(part)
    m = _LEADING_NAME.match(part)
    if not m or not m.group(1)[0].isupper():
        return part  # already relative
    name = m.group(1)
    if name != resource_type and name not in ABSTRACT_BASES:
        return None
    start, end = m.span(1)
    rest = part[end:]
    if rest.startswith("."):
        return part[:start] + rest[1:]
    return part[:start] + "%resource" + rest  # the bare type name: the resource itself


_SIMPLE = re.compile(r"^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$")
_PATH_TYPES: dict = MODEL["path2Type"]
_CHOICES: dict = MODEL["choiceTypePaths"]
_ELSEWHERE: dict = MODEL["pathsDefinedElsewhere"]
_BACKBONES = {k.rsplit(".", 1)[0] for k in (*_PATH_TYPES, *_CHOICES)}


def _element(owner: str, name: str) -> tuple[tuple[str, ...], str] | None:
    """(JSON keys, type path of the value) of element `name` on type path `owner`; None if unknown
    or if it is a choice element that a further step would have to look into."""
    for candidate in _lineage(owner):
        path = f"{candidate}.{name}"
        if path in _CHOICES:
            return tuple(name + t[0].upper() + t[1:] for t in _CHOICES[path]), ""
        if _PATH_TYPES.get(path):
            return (name,), _PATH_TYPES[path]
        if path in _ELSEWHERE:
            return (name,), _ELSEWHERE[path]
        if path in _BACKBONES:
            return (name,), path
    return None


def _lineage(owner: str):
    yield owner
    parent = MODEL["type2Parent"].get(owner)
    while parent:
        yield parent
        parent = MODEL["type2Parent"].get(parent)


def _walker(resource_type: str, relative: str):
    """A plain-Python evaluator for a dotted path (most search expressions): same result as
    fhirpathpy on FHIR JSON, without its interpreter's cost. None when the path needs fhirpathpy."""
    if not _SIMPLE.match(relative):
        return None
    keys_per_step, owner = [], resource_type
    for name in relative.split("."):
        if owner == "":  # a step after a choice element
            return None
        found = _element(owner, name)
        if found is None:
            return None
        keys, owner = found
        keys_per_step.append(keys)

    def walk(resource, _context=None):
        current = [resource]
        for keys in keys_per_step:
            step = []
            for node in current:
                if not isinstance(node, dict):
                    continue
                for key in keys:
                    value = node.get(key)
                    if isinstance(value, list):
                        step.extend(v for v in value if v is not None)
                    elif value is not None:
                        step.append(value)
            current = step
        return current

    return walk


@lru_cache(maxsize=4096)
def compile_expression(resource_type: str, expression: str) -> tuple[Part, ...]:
    parts = []
    for raw in split_union(expression):
        relative = _relative(raw, resource_type)
        if relative is None:
            continue
        reference_type = None
        m = _RESOLVE_IS.match(relative)
        if m:
            relative, reference_type = m.group("path"), m.group("type")
        evaluator = _walker(resource_type, relative) or fhirpathpy.compile(relative, MODEL)
        parts.append(Part(evaluator, reference_type))
    return tuple(parts)


def reference_type_of(value: Any) -> str | None:
    ref = value.get("reference") if isinstance(value, dict) else value
    if not isinstance(ref, str) or "/" not in ref:
        return None
    segments = ref.split("/_history/")[0].rstrip("/").split("/")
    return segments[-2] if len(segments) >= 2 else None


def evaluate(resource_type: str, expression: str | None, resource: dict) -> list[Any]:
    """The values `expression` selects in `resource` (raw JSON values: dicts, strings, numbers)."""
    if not expression:
        return []
    values: list[Any] = []
    for part in compile_expression(resource_type, expression):
        found = part.evaluate(resource, {"resource": resource})
        if part.reference_type:
            found = [v for v in found if reference_type_of(v) == part.reference_type]
        values.extend(found)
    return values


@lru_cache(maxsize=1024)
def _compile_relative(expression: str):
    return fhirpathpy.compile(expression, MODEL)


def evaluate_on_item(expression: str, item: Any) -> list[Any]:
    """A composite component's expression, evaluated on one item the composite selected."""
    return _compile_relative(expression)(item, {})
