"""search: type level (GET /Type, POST /Type/_search) and system level (GET /?_type=…): a page from the
search engine, run on the repository, as a searchset Bundle."""

from __future__ import annotations

from fhir_service.interactions.checks import check_type
from fhir_service.interactions.ports import Access, Repository
from fhir_service.interactions.result import Result
from fhir_service.interactions.searchset import bundle as searchset_bundle
from fhir_service.limits import check_search
from fhir_service.search import engine

# Handled by the REST layer (representation); the engine only carries them into the page links.
FORMAT_PARAMETERS = {"_format", "_pretty"}
INCLUDES = ("_include", "_revinclude")


def search(
    repo: Repository,
    resource_type: str | None,
    params: list[tuple[str, str]],
    base_url: str,
    strict: bool = False,
    raw: bool = False,
    *,
    access: Access | None,
):
    """`raw`: the body may be the Bundle's JSON bytes (for the REST layer, which renders them as they
    are); without it always a dict (a transaction embeds it in its response Bundle)."""
    if resource_type is not None:
        check_type(resource_type)
    params = check_search(params)  # limits.py
    types = [resource_type] if resource_type else None
    authorize = None if access is None else access.require_search
    restricted = access is not None and not access.reads_everything() and _includes(params)

    def work(reader):
        return engine.page(reader, types, params, base_url=base_url, strict=strict, authorize=authorize)

    page = repo.run_query(work)
    bundle = searchset_bundle(page, base_url, types, raw=raw and not restricted)
    if restricted:
        bundle = readable_includes(bundle, access.readable)
    return Result(200, bundle)


def _includes(params) -> bool:
    return any(k.split(":", 1)[0] in INCLUDES for k, _ in params)


def readable_includes(bundle: dict, readable) -> dict:
    """Drop the included resources (search.mode=include) of types the token cannot read: an
    _include/_revinclude never leaks a type the search scope does not cover."""
    entries = bundle.get("entry") or []
    kept = [
        e
        for e in entries
        if (e.get("search") or {}).get("mode") != "include"
        or readable(e.get("resource", {}).get("resourceType"))
    ]
    if len(kept) != len(entries):
        bundle = {**bundle, "entry": kept} if kept else {k: v for k, v in bundle.items() if k != "entry"}
    return bundle
