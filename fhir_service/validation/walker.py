"""One pass over a resource's JSON against the R5 snapshots: unknown elements, JSON types and
primitive formats, cardinality (empty lists and empty objects too), choice types, required
bindings, reference target types, nested resources (contained, Bundle.entry.resource) under their
own type, and the invariants of every element met on the way (see invariants.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from fhir_service import definitions
from fhir_service.definitions import ElementDef, TypeDef
from fhir_service.validation import authoring, conformance, invariants, profiles
from fhir_service.validation.context import Context
from fhir_service.validation.references import url_type

NUMBER_TYPES = {
    "integer": (-(2**31), 2**31 - 1),
    "positiveInt": (1, 2**31 - 1),
    "unsignedInt": (0, 2**31 - 1),
}
RESOURCE_TYPE_CODES = ("Resource", "DomainResource")
# Required value sets over whole code systems that cannot be expanded (BCP-47, BCP-13): grammar only.
GRAMMAR_BOUND = {
    "http://hl7.org/fhir/ValueSet/all-languages": re.compile(r"[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*"),
    # xml | json | ttl: the shorthands CapabilityStatement.format explicitly allows
    "http://hl7.org/fhir/ValueSet/mimetypes": re.compile(r"xml|json|ttl|[\w.+-]+/[\w.+*-]+(\s*;.*)?"),
}


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Entry:
    """How to check the value under one JSON key, worked out once per (type, path, key)."""

    element: ElementDef
    code: str  # the type code this key selects ("Quantity" for valueQuantity)
    kind: str  # primitive | resource | object
    many: bool  # max > 1: the JSON value must be an array
    target: tuple[TypeDef, str] | None  # where the children of an object value are defined
    constraints: tuple  # (Constraint...) to evaluate on the value
    base: str  # typed FHIRPath context for those constraints
    targets: tuple[str, ...]  # Reference target types (Reference, CodeableReference)
    regex: object = None  # compiled pattern of a primitive type


@dataclass(frozen=True)
class Plan:
    entries: dict[str, Entry]
    required: tuple[ElementDef, ...]  # min > 0
    bounded: tuple[ElementDef, ...]  # 1 < max < *


@definitions.per_version  # plans differ between FHIR versions' definitions
def _plan(type_name: str, def_path: str) -> Plan:
    td = definitions.type_def(type_name)
    entries = {}
    elements = {}
    for key, element in td.children.get(def_path, {}).items():
        elements[element.path] = element
        entries[key] = _entry(td, element, element.json_keys[key])
    unique = elements.values()
    return Plan(
        entries,
        tuple(e for e in unique if e.min > 0),
        tuple(e for e in unique if e.max is not None and e.max > 1),
    )


def _entry(td: TypeDef, element: ElementDef, code: str) -> Entry:
    many = element.max is None or element.max > 1
    type_ref = next((t for t in element.types if t.code == code), None)
    targets = type_ref.target_profiles if type_ref else ()
    if element.content_reference:
        path = element.content_reference.split("#", 1)[1]
        return Entry(element, code, "object", many, (td, path), td.elements[path].constraints, path, ())
    if code in RESOURCE_TYPE_CODES or code in definitions.resource_types():
        # Resource constrained by a profile (Bundle.issues: Resource(OperationOutcome))
        profiles = type_ref.profiles if type_ref else ()
        code = next((p for p in profiles if p in definitions.resource_types()), code)
        return Entry(element, code, "resource", many, None, (), code, ())
    if code in definitions.primitive_types():
        regex = None if code in ("string", "markdown") else definitions.primitive_regex(code)
        return Entry(element, code, "primitive", many, None, element.constraints, element.path, (), regex)
    if element.path in td.children:  # a backbone element defined inline
        return Entry(element, code, "object", many, (td, element.path), element.constraints, element.path, ())
    datatype = definitions.type_def(code)
    if datatype is None:
        return Entry(element, code, "unknown", many, None, (), code, ())
    constraints = list(datatype.root.constraints)
    keys = {c.key for c in constraints}
    for profile in type_ref.profiles if type_ref else ():
        profile_def = definitions.type_def(profile)
        constraints += [c for c in (profile_def.root.constraints if profile_def else ()) if c.key not in keys]
    if element.owner != code:
        constraints += [c for c in element.constraints if c.key not in keys]
    return Entry(element, code, "object", many, (datatype, code), tuple(constraints), code, targets)


def validate_resource_node(resource, location: str, ctx: Context, contained: bool = False) -> None:
    """A resource at `location`; a contained one keeps its container as %rootResource (for '#id')."""
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
    read_from_xml = getattr(resource, "xml_issues", None)  # what only its XML form showed (xml/reader.py)
    if read_from_xml:
        ctx.issues.extend(replace(i, expression=location + i.expression[len(rtype) :]) for i in read_from_xml)
    inner = Context(ctx.resolver, ctx.root if contained else resource, resource, ctx.issues, ctx.options)
    _check_object(resource, td, rtype, location, inner)
    if rtype == "Bundle":
        conformance.check_bundle_entries(resource, location, inner)
    elif rtype == "StructureDefinition":
        authoring.check(resource, location, inner)
    _check_contained_ids(resource, location, inner)
    invariants.check(resource, td.root.constraints, rtype, location, inner)
    if isinstance(resource.get("meta"), dict) and "profile" in resource["meta"]:
        profiles.check(resource, location, inner)


def _check_contained_ids(resource: dict, location: str, ctx: Context) -> None:
    """Contained resources are told apart by id alone ('#id'): two with one id make a reference to
    either ambiguous (R5 references.html: unique within the resource)."""
    contained = resource.get("contained")
    seen: dict[str, int] = {}
    for i, item in enumerate(contained if isinstance(contained, list) else ()):
        cid = item.get("id") if isinstance(item, dict) else None
        if not isinstance(cid, str):
            continue
        if cid in seen:
            message = f"contained id {_short(cid)} is also the id of contained[{seen[cid]}]; ids of contained resources are unique"
            ctx.error("duplicate", f"{location}.contained[{i}].id", message, "contained-id")
        else:
            seen[cid] = i


def _check_object(obj: dict, td: TypeDef, def_path: str, location: str, ctx: Context, targets=()) -> None:
    """The children of one JSON object against the elements under `def_path` in `td`."""
    plan = _plan(td.name, def_path)
    entries = plan.entries
    if "id" in obj and (td.kind != "resource" or "." in def_path) and td.name != "ElementDefinition":
        conformance.check_element_id(obj, location, ctx)
    present = False
    choices = None
    for key, value in obj.items():
        entry = entries.get(key)
        if entry is None:
            if key == "resourceType" and "." not in def_path:
                continue
            if key[:1] == "_" and key[1:] in entries and entries[key[1:]].kind == "primitive":
                present = True
                _check_primitive_extensions(value, f"{location}.{key[1:]}", ctx)
                continue
            ctx.error("structure", f"{location}.{key}", f"unknown element '{key}'", "unknown-element")
            continue
        present = True
        element = entry.element
        if element.is_choice:
            choices = choices or set()
            if element.path in choices:
                ctx.error(
                    "structure",
                    f"{location}.{element.name}",
                    f"more than one type given for {element.name}[x] ({key})",
                    "choice",
                )
            choices.add(element.path)
        # FHIRPath names a choice value by element and type: Observation.value.ofType(Quantity)
        child_location = (
            f"{location}.{element.name}.ofType({entry.code})" if element.is_choice else f"{location}.{key}"
        )
        if isinstance(value, list):
            if not entry.many:
                ctx.error(
                    "structure",
                    child_location,
                    f"cardinality {element.min}..{element.max}: an array was given for a single value",
                    "cardinality",
                )
            if not value:
                ctx.error("structure", child_location, "an empty array is not allowed (ele-1)", "ele-1")
            extensions = obj.get(f"_{key}") if entry.kind == "primitive" else None
            for i, item in enumerate(value):
                if item is None and isinstance(extensions, list) and i < len(extensions) and extensions[i]:
                    continue  # the value is absent but its extension is in _key[i]
                _check_value(item, entry, f"{child_location}[{i}]", ctx, targets)
        else:
            if entry.many:
                ctx.error(
                    "structure",
                    child_location,
                    f"cardinality {element.min}..{'*' if element.max is None else element.max}: "
                    "a single value was given where an array is required",
                    "cardinality",
                )
            _check_value(value, entry, child_location, ctx, targets)
    if not present:
        ctx.error("structure", location, "an element must have a value or children (ele-1)", "ele-1")
    if plan.required or plan.bounded:
        _check_cardinality(obj, plan, location, ctx)


def _count(obj: dict, element: ElementDef) -> int:
    n = 0
    for key in element.json_keys:
        value = obj.get(key)
        if value is None:
            value = obj.get("_" + key)
        if value is not None:
            n += len(value) if isinstance(value, list) else 1
    return n


def _check_cardinality(obj: dict, plan: Plan, location: str, ctx: Context) -> None:
    for element in plan.required:
        n = _count(obj, element)
        if n < element.min:
            name = f"{element.name}[x]" if element.is_choice else element.name
            bound = "*" if element.max is None else element.max
            ctx.error(
                "required",
                f"{location}.{name}",
                f"cardinality {element.min}..{bound}: {name} is required (found {n})",
                "cardinality",
            )
    for element in plan.bounded:
        n = _count(obj, element)
        if n > element.max:
            ctx.error(
                "structure",
                f"{location}.{element.name}",
                f"cardinality {element.min}..{element.max}: found {n}",
                "cardinality",
            )


def _check_value(value, entry: Entry, location: str, ctx: Context, targets=()):
    kind = entry.kind
    if kind == "primitive":
        _check_primitive(value, entry, location, ctx)
        return
    if kind == "resource":
        expected = entry.code
        actual = value.get("resourceType") if isinstance(value, dict) else None
        if (
            expected not in RESOURCE_TYPE_CODES
            and isinstance(actual, str)
            and not definitions.is_subtype(actual, expected)
        ):
            ctx.error("structure", location, f"expected a {expected} resource, found {actual}", "type")
            return
        validate_resource_node(value, location, ctx, contained=entry.element.name == "contained")
        return
    if not isinstance(value, dict):
        ctx.error("structure", location, f"expected a {entry.code} object, found {_short(value)}", "type")
        return
    if kind == "unknown":
        ctx.error("structure", location, f"unknown type {entry.code}", "type")
        return
    td, path = entry.target
    code = entry.code
    _check_object(value, td, path, location, ctx, entry.targets)
    if code == "Extension":
        _check_extension(value, location, ctx)
        conformance.check_extension_url(value, location, ctx)
    elif code == "Reference":
        _check_reference_target(value, entry.targets or targets, location, ctx)
        if isinstance(value.get("reference"), str):
            conformance.check_conditional_reference(value["reference"], location, ctx)
            conformance.check_reference_type(value, location, ctx)
    elif code == "Coding":
        conformance.check_display(value, location, ctx)
    elif code == "Attachment":
        conformance.check_attachment(value, location, ctx)
    elif code == "Meta":
        conformance.check_meta(value, location, ctx)
    if entry.element.required_valueset:
        _check_coded(value, code, entry.element.required_valueset, location, ctx)
    if entry.constraints:
        invariants.check(value, entry.constraints, entry.base, location, ctx)


def _check_extension(value: dict, location: str, ctx: Context) -> None:
    has_value = any(k.startswith("value") or k.startswith("_value") for k in value)
    if ("extension" in value) == has_value:
        ctx.error(
            "invariant",
            location,
            "ext-1: an extension must have either extensions or value[x], not both",
            "ext-1",
        )


def _check_primitive_extensions(value, location: str, ctx: Context) -> None:
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


def _check_primitive(value, entry: Entry, location: str, ctx: Context) -> None:
    code = entry.code
    if code == "boolean":
        ok = isinstance(value, bool)
    elif code in NUMBER_TYPES:
        lo, hi = NUMBER_TYPES[code]
        ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    elif code == "decimal":
        ok = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        if ok:
            conformance.check_decimal(value, location, ctx)
    else:
        ok = isinstance(value, str)
        if ok and code != "xhtml" and not value.strip():
            if value and code in ("string", "markdown"):  # datatypes.html: SHOULD have non-whitespace content
                ctx.error("structure", location, f"{code} value is only whitespace", "ele-1", "warning")
                return
            ctx.error("structure", location, f"{code} value is empty or blank (ele-1)", "ele-1")
            return
        if ok and entry.regex is not None and entry.regex.fullmatch(value) is None:
            if code != "base64Binary" or not conformance.base64_java_valid(value):
                ctx.error("value", location, f"{_short(value)} is not a valid {code}", f"type:{code}")
                return
            # Java's validator accepts it: still reported, at its severity
            ctx.error(
                "value",
                location,
                f"{_short(value)} does not match the base64Binary regex {entry.regex.pattern}",
                f"type:{code}",
                "warning",
            )
        if ok and code == "canonical":
            conformance.check_canonical(value, location, ctx)
    if not ok:
        ctx.error("structure", location, f"{_short(value)} is not a valid {code}", f"type:{code}")
        return
    url = entry.element.required_valueset
    if url and code in ("code", "string", "uri"):
        codes = definitions.value_set_codes(url)
        if codes is None and url in GRAMMAR_BOUND:  # no expansion possible: check the code's grammar
            if not GRAMMAR_BOUND[url].fullmatch(value):
                ctx.error(
                    "code-invalid",
                    location,
                    f"binding (required) to {url}: '{value}' is not a valid code of that system",
                    f"binding:{url}",
                )
        elif codes is not None and value not in codes:
            ctx.error(
                "code-invalid",
                location,
                f"binding (required) to {url}: '{value}' is not in the value set",
                f"binding:{url}",
            )
    if entry.constraints:
        invariants.check(value, entry.constraints, entry.base, location, ctx)


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
    if valueset is None:
        return
    codings = [c for c in _codings(value, code) if "code" in c]
    if not codings:
        if code in ("CodeableConcept", "CodeableReference") and (
            code == "CodeableConcept" or "concept" in value
        ):
            ctx.error(
                "code-invalid",
                location,
                f"binding (required) to {url}: no code given (text alone does not satisfy a required binding)",
                f"binding:{url}",
            )
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
    found = ctx.resolver.find(ref, ctx.root)
    target = found.get("resourceType") if found is not None else url_type(ref)
    from_url = found is None and target is not None
    if target is None:
        declared = value.get("type")
        target = declared if isinstance(declared, str) and declared in definitions.resource_types() else None
    if target is None:
        return
    if not any(definitions.is_subtype(target, allowed) for allowed in targets):
        # an unresolved target typed by its URL alone: Java warns (without assumeValidRestReferences),
        # HAPI refuses it on write
        severity = "warning" if from_url and not ctx.options.write else "error"
        ctx.error(
            "structure",
            f"{location}.reference",
            f"reference to {target} ('{ref}') is not allowed here; allowed targets: {', '.join(targets)}",
            "reference-target",
            severity,
        )
