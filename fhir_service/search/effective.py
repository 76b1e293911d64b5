"""The resource types a search covers: the URL's type intersected with every `_type` parameter.

One rule for every search the server runs (type and system search, POST _search, Bundle GET
entries, conditional create/update/delete/patch, conditional references, $export) and for the
authorization decision over them: a comma ORs types within one `_type`, a repeated `_type` ANDs
(as every search parameter does), and an empty intersection is a search that matches nothing,
never one over every type."""

from __future__ import annotations

from fhir_service.resource_types import RESOURCE_TYPES

from .errors import SearchError


def type_values(params) -> list[list[str]] | None:
    """The types of each `_type` parameter (None when there is none); SearchError for an
    empty or unknown one."""
    found = None
    for name, value in params:
        if name != "_type":
            continue
        types = [t.strip() for t in value.split(",") if t.strip()]
        if not types:
            raise SearchError("Parameter '_type' has no value")
        unknown = [t for t in types if t not in RESOURCE_TYPES]
        if unknown:
            shown = ", ".join(t[:64] for t in unknown[:5])
            raise SearchError(f"Unknown resource type(s) in _type: {shown}", code="not-supported")
        found = (found or []) + [types]
    return found


def effective_types(url_type: str | None, params) -> tuple[str, ...] | None:
    """The types the search covers, in the order first named: None for every type (a system search
    without `_type`), () for none (the search matches nothing)."""
    covered = None if url_type is None else (url_type,)
    for types in type_values(params) or ():
        covered = tuple(dict.fromkeys(types)) if covered is None else tuple(t for t in covered if t in types)
    return covered
