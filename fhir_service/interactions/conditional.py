"""Search criteria for conditional create/update/delete: parse once, match through the store."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fhir_service.interactions.errors import FhirError, bad_request
from fhir_service.limits import check_search

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


def single_match(uow, resource_type: str, params: list[tuple[str, str]]):
    """None or the one match; 412 when the criteria are not selective enough."""
    matches = uow.match(resource_type, params, limit=2)
    if len(matches) > 1:
        raise FhirError(412, f"Multiple {resource_type} resources match the criteria", "multiple-matches")
    return matches[0] if matches else None
