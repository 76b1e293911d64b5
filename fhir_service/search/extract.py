"""Evaluate search parameter expressions on a resource (each expression compiled once).

An official expression usually covers many resource types ("A.identifier | B.identifier | ...").
It is split on its top-level `|` and only the parts for the resource type at hand are kept, with
the type prefix removed so they are evaluated on the resource itself (fhirpathpy does not match
`Resource.meta` against a Patient). `x.where(resolve() is T)` needs a resolver fhirpathpy lacks;
as in most servers it is read as "references to a T" and filtered by the reference's type. The
evaluation itself is the fhirpath package's (`compile_on_type`: dotted paths in Python)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fhir_service import fhirpath
from fhir_service.fhirpath import split_union

ABSTRACT_BASES = ("Resource", "DomainResource", "CanonicalResource", "MetadataResource")
_RESOLVE_IS = re.compile(r"^(?P<path>.+)\.where\(resolve\(\) is (?P<type>\w+)\)$")
_LEADING_NAME = re.compile(r"^\(*\s*([A-Za-z]+)")


@dataclass(frozen=True)
class Part:
    evaluate: Any  # compiled fhirpath: (resource, context) -> list
    reference_type: str | None  # keep only references to this resource type


def _relative(part: str, resource_type: str) -> str | None:
    """The part rewritten relative to the resource, or None when it is for another type."""
    part = fhirpath.strip_outer_parens(part)
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
        parts.append(Part(fhirpath.compile_on_type(resource_type, relative), reference_type))
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


def evaluate_on_item(expression: str, item: Any) -> list[Any]:
    """A composite component's expression, evaluated on one item the composite selected."""
    return fhirpath.compile_plain(expression)(item, {})
