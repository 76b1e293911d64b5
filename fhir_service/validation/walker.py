"""One pass over a resource's JSON against the R5 snapshots: unknown elements, JSON types and
primitive formats, cardinality (empty lists and empty objects too), choice types, required
bindings, reference target types, nested resources (contained, Bundle.entry.resource) under their
own type, and the invariants of every element met on the way (see invariants.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fhir_service import definitions
from fhir_service.definitions import ElementDef, TypeDef
from fhir_service.validation import invariants
from fhir_service.validation.issues import Issue
from fhir_service.validation.references import Resolver

NUMBER_TYPES = {
    "integer": (-(2**31), 2**31 - 1),
    "positiveInt": (1, 2**31 - 1),
    "unsignedInt": (0, 2**31 - 1),
}
RESOURCE_TYPE_CODES = ("Resource", "DomainResource")


@dataclass
class Context:
    """Where we are: the resource that holds the node (for %resource) and the root one."""

    resolver: Resolver
    root: dict  # %rootResource: the resource whose `contained` a '#id' reference means
    resource: dict  # %resource
    issues: list[Issue] = field(default_factory=list)
    options: invariants.Options = field(default_factory=invariants.Options)

    def error(self, code: str, location: str, message: str, rule: str, severity: str = "error") -> None:
        self.issues.append(Issue(severity, code, location, message, rule))


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_primitive(code: str) -> bool:
    td = definitions.type_def(code)
    return td is not None and td.kind == "primitive-type"


def validate_resource_node(resource, location: str, ctx: Context, allowed: tuple[str, ...] = ()) -> None:
    if not isinstance(resource, dict):
        ctx.error(
            "structure", location, f"expected a resource (JSON object), found {_short(resource)}", "type"
        )
        return
    rtype = resource.get("resourceType")
    if rtype not in definitions.resource_types():
        ctx.error("structure", location, f"unknown resourceType {_short(rtype)}", "resourceType")
        return
    td = definitions.type_def(rtype)
    inner = Context(ctx.resolver, ctx.root, resource, ctx.issues, ctx.options)
    _check_object(resource, td, rtype, location, inner)
    invariants.check(resource, td.root, rtype, location, inner)


def _check_object(obj: dict, td: TypeDef, def_path: str, location: str, ctx: Context, targets=()) -> None:
    """The children of one JSON object against the elements under `def_path` in `td`."""
    children = td.children.get(def_path, {})
    counts: dict[str, int] = {}
    present = False
    for key, value in obj.items():
        if key == "resourceType" and "." not in def_path:
            continue
        if key[0] == "_" and len(key) > 1:
            element = children.get(key[1:])
            if element is None or not _is_primitive(element.json_keys[key[1:]]):
                ctx.error("structure", f"{location}.{key}", f"unknown element '{key}'", "unknown-element")
                continue
            present = True
            if key[1:] not in obj:
                counts[element.path] = counts.get(element.path, 0) + (
                    len(value) if isinstance(value, list) else 1
                )
            _check_primitive_extensions(value, element, f"{location}.{key[1:]}", ctx)
            continue
        element = children.get(key)
        if element is None:
            ctx.error("structure", f"{location}.{key}", f"unknown element '{key}'", "unknown-element")
            continue
        present = True
        if element.is_choice and element.path in counts:
            ctx.error(
                "structure", f"{location}.{key}", f"more than one type given for {element.name}[x]", "choice"
            )
        code = element.json_keys[key]
        child_location = f"{location}.{key}"
        many = element.max is None or element.max > 1
        if isinstance(value, list):
            if not many:
                ctx.error(
                    "structure",
                    child_location,
                    f"cardinality {element.min}..{element.max}: an array was given for a single value",
                    "cardinality",
                )
            if not value:
                ctx.error("structure", child_location, "an empty array is not allowed (ele-1)", "ele-1")
            extensions = obj.get(f"_{key}") if many else None
            for i, item in enumerate(value):
                if item is None and isinstance(extensions, list) and i < len(extensions) and extensions[i]:
                    continue  # the value is absent but its extension is in _key[i]
                _check_value(item, element, code, td, f"{child_location}[{i}]", ctx, targets)
            counts[element.path] = counts.get(element.path, 0) + len(value)
        else:
            if many:
                ctx.error(
                    "structure",
                    child_location,
                    f"cardinality {element.min}..{'*' if element.max is None else element.max}: "
                    "a single value was given where an array is required",
                    "cardinality",
                )
            _check_value(value, element, code, td, child_location, ctx, targets)
            counts[element.path] = counts.get(element.path, 0) + 1
    if not present:
        ctx.error("structure", location, "an element must have a value or children (ele-1)", "ele-1")
    _check_cardinality(children, counts, location, ctx)


def _check_cardinality(children: dict[str, ElementDef], counts: dict[str, int], location: str, ctx: Context):
    seen = set()
    for element in children.values():
        if element.path in seen:
            continue
        seen.add(element.path)
        n = counts.get(element.path, 0)
        if n < element.min:
            name = f"{element.name}[x]" if element.is_choice else element.name
            bound = "*" if element.max is None else element.max
            ctx.error(
                "required",
                f"{location}.{name}",
                f"cardinality {element.min}..{bound}: {name} is required (found {n})",
                "cardinality",
            )
        elif element.max is not None and n > element.max:
            ctx.error(
                "structure",
                f"{location}.{element.name}",
                f"cardinality {element.min}..{element.max}: found {n}",
                "cardinality",
            )


def _check_value(value, element: ElementDef, code: str, td: TypeDef, location: str, ctx: Context, targets=()):
    if element.content_reference:
        path = element.content_reference.split("#", 1)[1]
        if not isinstance(value, dict):
            ctx.error("structure", location, f"expected an object, found {_short(value)}", "type")
            return
        _check_object(value, td, path, location, ctx)
        invariants.check(value, td.elements[path], path, location, ctx)
        return
    if code in RESOURCE_TYPE_CODES or code in definitions.resource_types():
        validate_resource_node(value, location, ctx)
        return
    if _is_primitive(code):
        _check_primitive(value, code, element, location, ctx)
        return
    if not isinstance(value, dict):
        ctx.error("structure", location, f"expected a {code} object, found {_short(value)}", "type")
        return
    if element.path in td.children:  # a backbone element defined inline
        _check_object(value, td, element.path, location, ctx)
        invariants.check(value, element, element.path, location, ctx)
        return
    datatype = definitions.type_def(code)
    if datatype is None:
        ctx.error("structure", location, f"unknown type {code}", "type")
        return
    type_ref = next((t for t in element.types if t.code == code), None)
    refs = type_ref.target_profiles if type_ref else ()
    _check_object(value, datatype, code, location, ctx, refs)
    if code == "Extension":
        _check_extension(value, location, ctx)
    elif code == "Reference":
        _check_reference_target(value, refs or targets, location, ctx)
    if element.required_valueset:
        _check_coded(value, code, element.required_valueset, location, ctx)
    invariants.check(value, datatype.root, code, location, ctx)
    for profile in type_ref.profiles if type_ref else ():
        profile_def = definitions.type_def(profile)
        if profile_def is not None:
            invariants.check(value, profile_def.root, code, location, ctx)
    if element.constraints and element.owner != code:
        invariants.check(value, element, code, location, ctx, own_only=True)


def _check_extension(value: dict, location: str, ctx: Context) -> None:
    has_value = any(k.startswith("value") or k.startswith("_value") for k in value)
    if ("extension" in value) == has_value:
        ctx.error(
            "invariant",
            location,
            "ext-1: an extension must have either extensions or value[x], not both",
            "ext-1",
        )


def _check_primitive_extensions(value, element: ElementDef, location: str, ctx: Context) -> None:
    items = value if isinstance(value, list) else [value]
    element_td = definitions.type_def("Element")
    for i, item in enumerate(items):
        if item is None:
            continue
        where = f"{location}[{i}]" if isinstance(value, list) else location
        if not isinstance(item, dict):
            ctx.error(
                "structure", where, f"primitive extension must be an object, found {_short(item)}", "type"
            )
            continue
        _check_object(item, element_td, "Element", where, ctx)


def _check_primitive(value, code: str, element: ElementDef, location: str, ctx: Context) -> None:
    if code == "boolean":
        ok = isinstance(value, bool)
    elif code in NUMBER_TYPES:
        lo, hi = NUMBER_TYPES[code]
        ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    elif code == "decimal":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str)
        if ok and not value.strip() and code != "xhtml":
            ctx.error("structure", location, f"{code} value is empty or blank (ele-1)", "ele-1")
            return
        if ok and code != "string" and code != "markdown":
            pattern = definitions.primitive_regex(code)
            ok = pattern is None or pattern.fullmatch(value) is not None
            if not ok:
                ctx.error("value", location, f"{_short(value)} is not a valid {code}", f"type:{code}")
                return
    if not ok:
        ctx.error("structure", location, f"{_short(value)} is not a valid {code}", f"type:{code}")
        return
    if element.required_valueset and code in ("code", "string", "uri"):
        codes = definitions.value_set_codes(element.required_valueset)
        if codes is not None and value not in codes:
            ctx.error(
                "code-invalid",
                location,
                f"binding (required) to {element.required_valueset}: '{value}' is not in the value set",
                f"binding:{element.required_valueset}",
            )
    if element.constraints:
        invariants.check(value, element, element.path, location, ctx, own_only=True)


def _codings(value: dict, code: str) -> list[dict]:
    if code == "Coding":
        return [value]
    if code == "CodeableConcept":
        return [c for c in value.get("coding") or [] if isinstance(c, dict)]
    if code == "CodeableReference":
        concept = value.get("concept")
        return _codings(concept, "CodeableConcept") if isinstance(concept, dict) else []
    if code == "Quantity" or definitions.is_subtype(code, "Quantity"):
        return [value] if "code" in value else []
    return []


def _check_coded(value: dict, code: str, url: str, location: str, ctx: Context) -> None:
    valueset = definitions.value_set(url)
    codings = [c for c in _codings(value, code) if "code" in c]
    if valueset is None or not codings:
        return
    if any(c.get("code") in valueset.get(c.get("system", ""), ()) for c in codings):
        return
    shown = ", ".join(f"{c.get('system', '(no system)')}#{c.get('code')}" for c in codings)
    ctx.error(
        "code-invalid",
        location,
        f"binding (required) to {url}: none of {shown} is in the value set",
        f"binding:{url}",
    )


def _check_reference_target(value: dict, targets: tuple[str, ...], location: str, ctx: Context) -> None:
    ref = value.get("reference")
    if not isinstance(ref, str) or not targets or "Resource" in targets:
        return
    target = ctx.resolver.target_type(ref, ctx.root)
    if target is None:
        declared = value.get("type")
        target = declared if isinstance(declared, str) and declared in definitions.resource_types() else None
    if target is None:
        return
    if not any(definitions.is_subtype(target, allowed) for allowed in targets):
        ctx.error(
            "structure",
            f"{location}.reference",
            f"reference to {target} ('{ref}') is not allowed here; allowed targets: {', '.join(targets)}",
            "reference-target",
        )
