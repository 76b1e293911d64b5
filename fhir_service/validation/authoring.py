"""Rules for authoring a StructureDefinition that the R5 core decides but states in prose or in the
definitions rather than as sdf-* invariants (profiling.html, extensibility.html, ElementDefinition):

- an extension context of type `element` names an element that exists;
- an extension definition fixes Extension.url to its own canonical URL;
- a profile (derivation = constraint) does not give an element a meaningWhenMissing;
- a constraint key keeps the expression it has in the base definition and within the profile.

The walker calls `check` on every StructureDefinition it meets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fhir_service import definitions
from fhir_service.definitions import TypeDef

if TYPE_CHECKING:
    from fhir_service.validation.context import Context

WHITESPACE = re.compile(r"\s+")
# A plain element path (Type.child.child); ids with slices or URL-qualified paths are not checked.
ELEMENT_PATH = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*(\[x\])?)*")


def check(sd: dict, location: str, ctx: Context) -> None:
    _check_contexts(sd, location, ctx)
    if sd.get("derivation") != "constraint":
        return
    if sd.get("type") == "Extension":
        _check_extension_url(sd, location, ctx)
    else:
        _check_profile_only_properties(sd, location, ctx)
    _check_constraint_keys(sd, location, ctx)


def _elements(sd: dict, part: str) -> list[tuple[int, dict]]:
    container = sd.get(part)
    items = container.get("element") if isinstance(container, dict) else None
    return [(i, e) for i, e in enumerate(items if isinstance(items, list) else ()) if isinstance(e, dict)]


def element_path_exists(path: str) -> bool | None:
    """Whether `path` names an element of a core type, following single-typed elements into their
    datatype (Dosage.doseAndRate.dose); None when the path's first segment is not a core type."""
    head, *rest = path.split(".")
    td = definitions.type_def(head)
    if td is None:
        return None
    current = head
    for segment in rest:
        found = _child(td, current, segment)
        if found is None:
            return False
        td, current = found
    return True


def _child(td: TypeDef, parent: str, segment: str) -> tuple[TypeDef, str] | None:
    candidate = f"{parent}.{segment}"
    if candidate in td.elements:
        return td, candidate
    if f"{candidate}[x]" in td.elements:  # a choice element named without [x], as HL7's own contexts do
        return td, f"{candidate}[x]"
    element = td.elements.get(parent)
    if element is None:
        return None
    if element.content_reference:
        return _child(td, element.content_reference.split("#", 1)[1], segment)
    if len(element.types) != 1:
        return None
    datatype = definitions.type_def(element.types[0].code)
    if datatype is None or datatype.name == td.name:
        return None
    return _child(datatype, datatype.name, segment)


def _check_contexts(sd: dict, location: str, ctx: Context) -> None:
    contexts = sd.get("context")
    for i, item in enumerate(contexts if isinstance(contexts, list) else ()):
        if not isinstance(item, dict) or item.get("type") != "element":
            continue
        expression = item.get("expression")
        if not isinstance(expression, str) or not ELEMENT_PATH.fullmatch(expression):
            continue
        if element_path_exists(expression) is False:
            ctx.error(
                "invalid",
                f"{location}.context[{i}]",
                f"the extension context '{expression}' is not an element of {expression.split('.')[0]}",
                "sd-context",
            )


def _check_extension_url(sd: dict, location: str, ctx: Context) -> None:
    url = sd.get("url")
    if not isinstance(url, str):
        return
    for part in ("differential", "snapshot"):
        for i, element in _elements(sd, part):
            fixed = element.get("fixedUri")
            if element.get("path") == "Extension.url" and isinstance(fixed, str) and fixed != url:
                ctx.error(
                    "invalid",
                    f"{location}.{part}.element[{i}].fixedUri",
                    f"the extension's url is fixed to '{fixed[:200]}', not its canonical URL '{url[:200]}'",
                    "sd-extension-url",
                )


def _check_profile_only_properties(sd: dict, location: str, ctx: Context) -> None:
    for i, element in _elements(sd, "differential"):
        if "meaningWhenMissing" in element:
            ctx.error(
                "invalid",
                f"{location}.differential.element[{i}].meaningWhenMissing",
                f"{element.get('path')}: meaningWhenMissing can only be defined by a resource, datatype "
                "or extension definition, not by a profile",
                "sd-profile-element",
            )


def _base_constraints(sd_type: str, path: str) -> dict[str, str]:
    """Constraint key → expression the core gives the element at `path` (its own and its type's)."""
    td = definitions.type_def(sd_type)
    element = td.elements.get(path) if td else None
    if element is None:
        return {}
    found = {c.key: c.expression for c in element.constraints}
    if len(element.types) == 1 and path != sd_type:
        datatype = definitions.type_def(element.types[0].code)
        if datatype is not None:
            found.update({c.key: c.expression for c in datatype.root.constraints})
    return found


def _same(a: str, b: str) -> bool:
    return WHITESPACE.sub("", a) == WHITESPACE.sub("", b)


def _check_constraint_keys(sd: dict, location: str, ctx: Context) -> None:
    sd_type = sd.get("type")
    if not isinstance(sd_type, str):
        return
    defined: dict[str, tuple[str, str]] = {}  # key → (expression, path) within this profile
    for i, element in _elements(sd, "differential"):
        path = element.get("path")
        constraints = element.get("constraint")
        if not isinstance(path, str) or not isinstance(constraints, list):
            continue
        base = _base_constraints(sd_type, path)
        for j, constraint in enumerate(constraints):
            if not isinstance(constraint, dict):
                continue
            key, expression = constraint.get("key"), constraint.get("expression")
            if not isinstance(key, str) or not isinstance(expression, str):
                continue
            clash = None
            if key in base and base[key] and not _same(base[key], expression):
                clash = (base[key], f"the base definition of {path}")
            elif key in defined and not _same(defined[key][0], expression):
                clash = (defined[key][0], defined[key][1])
            if clash is not None:
                ctx.error(
                    "invalid",
                    f"{location}.differential.element[{i}].constraint[{j}]",
                    f"constraint key '{key}' already exists at {clash[1]} with a different expression "
                    f"('{clash[0][:200]}')",
                    "sd-constraint-key",
                )
            defined.setdefault(key, (expression, path))
