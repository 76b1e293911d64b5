"""The $export kick-off request: parameters checked and parsed (pure; HTTP-free)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fhir_service.interactions.errors import FhirError
from fhir_service.search import dates
from fhir_service.search.effective import effective_types
from fhir_service.search.errors import SearchError

NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
# Parameters of the IG this server does not implement: refusing them beats silently ignoring them.
UNSUPPORTED = {"_typeFilter", "_elements", "patient", "includeAssociatedData", "_until", "organizeOutputBy"}


@dataclass(frozen=True)
class ExportRequest:
    types: tuple[str, ...] | None  # None: every type in the store; (): none
    since: datetime | None


def _bad(message: str) -> FhirError:
    return FhirError(400, message, "invalid")


def parse_instant(value: str) -> datetime:
    try:
        return dates.parse_instant(value, "_since", zone_required=True)
    except SearchError as exc:
        raise _bad(exc.message) from exc


def parse_kickoff(params: list[tuple[str, str]], prefer: str | None) -> ExportRequest:
    """Raise FhirError(400) for anything the IG says the server must refuse."""
    if "respond-async" not in (prefer or "").replace(" ", "").split(","):
        raise _bad("$export is asynchronous: send 'Prefer: respond-async'")
    try:
        types = effective_types(None, params)  # as every search: () exports nothing
    except SearchError as exc:
        raise _bad(f"_type: {exc.message}") from exc
    since = None
    for key, value in params:
        if key == "_outputFormat":
            if value not in NDJSON_FORMATS:
                raise _bad(f"_outputFormat '{value}' is not supported (application/fhir+ndjson only)")
        elif key == "_type":
            continue
        elif key == "_since":
            since = parse_instant(value)
        elif key in UNSUPPORTED:
            raise _bad(f"$export parameter '{key}' is not supported by this server")
        elif key not in ("_format",):
            raise _bad(f"Unknown $export parameter '{key}'")
    return ExportRequest(types, since)
