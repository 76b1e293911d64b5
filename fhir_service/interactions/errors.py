"""A failed interaction: FhirError (fhir_service/outcome.py), the usual ones, and the failures of the
layers below (store, search, formats) mapped to a status and an OperationOutcome."""

from __future__ import annotations

from fhir_service.outcome import FhirError, outcome

__all__ = ["FhirError", "as_fhir_error", "bad_request", "not_found", "outcome"]

RETRY_AFTER = 1  # seconds before a client sends again what a lost connection or a lock kept out


def bad_request(message: str, code: str = "invalid") -> FhirError:
    return FhirError(400, message, code)


def not_found(message: str) -> FhirError:
    return FhirError(404, message, "not-found")


def as_fhir_error(exc: Exception) -> FhirError | None:
    """Map the failures of the layers below (store, search, formats) to FhirError; None if unknown."""
    from fhir_service.formats import FormatError
    from fhir_service.search.errors import SearchError
    from fhir_service.store.errors import (
        BUSY,
        NOTHING_STORED,
        PreconditionFailed,
        StoreError,
        Unavailable,
        busy,
        connection_lost,
    )

    if isinstance(exc, FhirError):
        return exc
    if isinstance(exc, Unavailable):  # nothing stored, or not known: the client may send it again
        return FhirError(503, exc.message, "transient", headers={"Retry-After": str(RETRY_AFTER)})
    if isinstance(exc, PreconditionFailed):
        return FhirError(412, exc.message, "conflict")
    if isinstance(exc, StoreError):
        return FhirError(409, exc.message, "conflict")
    if connection_lost(exc):  # one that no unit of work saw (a read, an entry of a Bundle)
        return as_fhir_error(Unavailable(NOTHING_STORED))
    if busy(exc):  # SQLite's busy timeout ran out (a long write, or a WAL lock race)
        return as_fhir_error(Unavailable(BUSY))
    if isinstance(exc, SearchError):
        return FhirError(400, exc.outcome())
    if isinstance(exc, FormatError):
        return FhirError(400, str(exc), "structure")
    return None
