"""Search criteria for conditional create/update/delete: parse once, match with the search engine."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fhir_service.interactions.errors import FhirError, bad_request
from fhir_service.interactions.ports import Access, UnitOfWork
from fhir_service.limits import check_search
from fhir_service.search import engine

# Parameters that change a search's presentation, not which resources match.
RESULT_PARAMETERS = {
    "_format",
    "_pretty",
    "_summary",
    "_elements",
    "_count",
    "_sort",
    "_include",
    "_revinclude",
}


def criteria(query: str | list[tuple[str, str]]) -> list[tuple[str, str]]:
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
    pairs = [(k, v) for k, v in check_search(pairs) if k not in RESULT_PARAMETERS]  # limits.py
    if not pairs:
        raise bad_request("Conditional interaction without search criteria")
    return pairs


def matches(
    uow: UnitOfWork,
    resource_type: str,
    params: list[tuple[str, str]],
    limit: int = 2,
    access: Access | None = None,
) -> list:
    """The stored resources matching `params` in this unit of work, at most `limit`."""
    authorize = None if access is None else access.require_search
    return uow.by_pks(
        uow.run_query(
            lambda reader: engine.match(reader, resource_type, params, limit=limit, authorize=authorize)
        )
    )


def single_match(
    uow: UnitOfWork, resource_type: str, params: list[tuple[str, str]], access: Access | None = None
):
    """None or the one match; 412 when the criteria are not selective enough."""
    matches_ = matches(uow, resource_type, params, access=access)
    if len(matches_) > 1:
        raise FhirError(412, f"Multiple {resource_type} resources match the criteria", "multiple-matches")
    return matches_[0] if matches_ else None


def update_match(
    uow: UnitOfWork,
    resource_type: str,
    params: list[tuple[str, str]],
    resource_id: str | None,
    access: Access | None = None,
):
    """The resource a conditional update writes over (None: it creates), by R5 http.html#cond-update:
    one match and a body id naming another resource → 400; no match and a body id naming a resource
    that exists → 409 (the criteria did not select it, so it is not overwritten)."""
    match = single_match(uow, resource_type, params, access)
    if match is not None:
        if resource_id is not None and resource_id != match.id:
            raise bad_request(
                f"Resource id '{resource_id}' differs from the matched {resource_type}/{match.id}"
            )
        return match
    if resource_id is not None:
        existing = uow.read(resource_type, resource_id)
        if existing is not None and not existing.deleted:
            raise FhirError(
                409,
                f"No {resource_type} matches the criteria, and {resource_type}/{resource_id} exists: "
                "a conditional update does not overwrite a resource its criteria do not match",
                "conflict",
            )
    return None
