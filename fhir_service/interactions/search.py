"""search: type level (GET /Type, POST /Type/_search) and system level (GET /?_type=…), via the store."""

from __future__ import annotations

from fhir_service.interactions.checks import check_type
from fhir_service.interactions.result import Result

# Handled by the REST layer (representation), not by the search engine.
FORMAT_PARAMETERS = {"_format", "_pretty"}


def search(
    repo,
    resource_type: str | None,
    params: list[tuple[str, str]],
    base_url: str,
    strict: bool = False,
    raw: bool = False,
):
    """`raw`: the body may be the Bundle's JSON bytes (for the REST layer, which renders them as they
    are); without it always a dict (a transaction embeds it in its response Bundle)."""
    if resource_type is not None:
        check_type(resource_type)
    params = [(k, v) for k, v in params if k not in FORMAT_PARAMETERS]
    types = [resource_type] if resource_type else None
    with repo.unit_of_work(write=False) as uow:
        bundle = uow.search(types, params, base_url, strict=strict, raw=raw)
    return Result(200, bundle)
