"""FHIR R4 and R4B views of the stored R5 resources, derived on the way out and reversible.

R5 is the stored truth. `to_version` derives the view a client of an older version reads;
`from_version` gives back exactly the R5 resource the view was derived from (what the view cannot
hold natively travels as HL7 cross-version extensions). The maps are tables (versions/r4/*.py,
versions/r4b/*.py) read by one generic walk (versions/engine.py); README.md says why each is so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from fhir_service.versions import engine, r4, r4b
from fhir_service.versions.r4 import search_parameter

# The FHIR versions served, by the short form the `fhirVersion` media-type parameter uses.
VERSIONS = {"4.0": "4.0.1", "4.3": "4.3.0", "5.0": "5.0.0"}

# Version-specific bases for clients that cannot set media-type parameters.
BASES = {"R4": "4.0", "R4B": "4.3"}

_CATALOGS = {"4.0": r4, "4.3": r4b}

# Looks a reference ("Type/id") up in the store: the R5 resource, or None.
Resolve = Callable[[str], dict | None]


# A SearchParameter's view names the types its version serves: the package answers that question,
# so the catalogs need not import the package back.
for _cat in (r4, r4b):
    _cat.BY_TYPE["SearchParameter"] = search_parameter.make(lambda t, v=_cat.VERSION: view_types(t, v))


def _catalog(version: str):
    try:
        return _CATALOGS[version]
    except KeyError:
        raise ValueError(f"no view for FHIR version {version!r} (known: {', '.join(VERSIONS)})") from None


@cache
def _generic(version: str, rtype: str) -> engine.Map | None:
    return engine.Map(rtype, rtype) if rtype in engine._resource_types(version) else None


def _map_forth(resource: dict, version: str) -> engine.Map:
    cat = _catalog(version)
    rtype = resource.get("resourceType")
    if rtype in cat.BY_FIELD:
        key, maps = cat.BY_FIELD[rtype]
        m = maps.get(resource.get(key))
        if m is not None:
            return m
    m = cat.BY_TYPE.get(rtype) or _generic(version, rtype)
    if m is None:
        raise ValueError(f"{rtype} has no FHIR {VERSIONS[version]} view")
    return m


@cache
def _by_view(version: str) -> dict[str, engine.Map]:
    cat = _catalog(version)
    found = {m.view_type: m for m in cat.BY_TYPE.values()}
    for _, maps in cat.BY_FIELD.values():
        found.update({m.view_type: m for m in maps.values()})
    return found


def _map_back(resource: dict, version: str) -> engine.Map:
    rtype = resource.get("resourceType")
    m = _by_view(version).get(rtype) or _generic(version, rtype)
    if m is None or rtype not in engine._resource_types(engine.R5) and m.r5_type == rtype:
        raise ValueError(f"{rtype} is not a FHIR {VERSIONS[version]} view of a stored type")
    return m


def _renamer(version: str, resolve: Resolve | None):
    def rename(rtype: str, forth: bool, ref: str) -> str | None:
        if forth:
            cat = _catalog(version)
            if rtype in cat.BY_FIELD:
                found = resolve(_relative(ref)) if resolve else None
                return _map_forth(found, version).view_type if found else None
            m = cat.BY_TYPE.get(rtype)
            if m is not None:
                return m.view_type
            return rtype if rtype in engine._resource_types(version) else None
        m = _by_view(version).get(rtype)
        if m is not None:
            return m.r5_type
        return rtype if rtype in engine._resource_types(engine.R5) else None

    return rename


def _relative(ref: str) -> str:
    parts = ref.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    return "/".join(parts[-2:])


def _with_entries(bundle: dict, resolve: Resolve | None) -> Resolve:
    """References between a Bundle's entries resolve within it first."""
    inside = {}
    for entry in bundle.get("entry", []):
        r = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(r, dict) and isinstance(r.get("id"), str):
            inside[f"{r.get('resourceType')}/{r['id']}"] = r
    return lambda ref: inside.get(ref) or (resolve(ref) if resolve else None)


def to_version(resource: dict, version: str, *, resolve: Resolve | None = None) -> dict:
    """The `version` view of an R5 resource (a new dict; the argument is not changed).

    `resolve` ("Type/id" → stored R5 resource or None) lets R4 references to a ClinicalUseDefinition
    name the R4 type it is served as (it depends on the target's `type`); without it, or when the
    target is not found, such a reference keeps its R5 form inside a cross-version extension."""
    if version == "5.0":
        return resource
    m = _map_forth(resource, version)
    if resource.get("resourceType") == "Bundle":
        resolve = _with_entries(resource, resolve)
    walk = engine.Walk(
        version, m, _renamer(version, resolve), lambda r, _: to_version(r, version, resolve=resolve)
    )
    td5, tdv = engine._def(engine.R5, m.r5_type), engine._def(version, m.view_type)
    out: dict = {"resourceType": m.view_type}
    walk.forth_node(resource, td5, m.r5_type, tdv, m.view_type, out)
    engine.fill_placeholders(out, tdv, m.view_type, walk)
    if m.after:
        m.after(out, resource, True)
    return out


def from_version(resource: dict, version: str) -> dict:
    """The R5 resource a `version` view was derived from (inverse of `to_version`)."""
    if version == "5.0":
        return resource
    m = _map_back(resource, version)
    walk = engine.Walk(version, m, _renamer(version, None), lambda r, _: from_version(r, version))
    td5, tdv = engine._def(engine.R5, m.r5_type), engine._def(version, m.view_type)
    out: dict = {"resourceType": m.r5_type}
    walk.back_node(resource, td5, m.r5_type, tdv, m.view_type, out)
    for key, value in m.implied.items():
        out.setdefault(key, value)
    if m.after:
        m.after(out, resource, False)
    return out


def view_type(r5_type: str, version: str, resource: dict | None = None) -> str:
    """The resource type an R5 type is served as in `version` (R4 splits ClinicalUseDefinition
    by its `type`, so the resource may be needed; without it the first of `view_types`)."""
    if version == "5.0":
        return r5_type
    if resource is not None:
        return _map_forth(resource, version).view_type
    return view_types(r5_type, version)[0]


@cache
def resource_types(version: str) -> frozenset[str]:
    """The concrete resource types of FHIR `version`, from its shipped definitions."""
    return engine._resource_types(version)


def view_types(r5_type: str, version: str) -> tuple[str, ...]:
    """Every resource type an R5 type may be served as in `version` (empty: not served there)."""
    if version == "5.0":
        return (r5_type,)
    cat = _catalog(version)
    if r5_type in cat.BY_FIELD:
        return tuple(m.view_type for m in cat.BY_FIELD[r5_type][1].values())
    m = cat.BY_TYPE.get(r5_type) or _generic(version, r5_type)
    return (m.view_type,) if m else ()


def r5_type(view_type_name: str, version: str) -> tuple[str, dict[str, str]]:
    """The stored R5 type behind a view type, and the search constraints that select it
    (e.g. R4 MedicinalProductIndication → ClinicalUseDefinition with type=indication)."""
    if version == "5.0":
        return view_type_name, {}
    cat = _catalog(version)
    for r5, (key, maps) in cat.BY_FIELD.items():
        for value, m in maps.items():
            if m.view_type == view_type_name:
                return r5, {key: value}
    m = _by_view(version).get(view_type_name)
    return (m.r5_type, {}) if m else (view_type_name, {})


def back_exactly(resource: dict, version: str, *, resolve: Resolve | None = None) -> dict:
    """`from_version`, for a view a client wrote: the R5 resource, or ValueError when it would not
    give the client's view back (something in it has no R5 home in this map, or is not in the form
    the view would say it in), so that a write is refused rather than silently narrowed."""
    r5 = from_version(resource, version)
    if to_version(r5, version, resolve=resolve) != resource:
        raise ValueError(
            f"this FHIR {VERSIONS[version]} {resource.get('resourceType')} does not convert to R5 without loss"
        )
    return r5
