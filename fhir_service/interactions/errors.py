"""FhirError: a failed interaction as an HTTP status plus the OperationOutcome that explains it."""

from __future__ import annotations

RETRY_AFTER = 1  # seconds a client waits before sending again what a lost connection kept from the store


def outcome(
    message: str, code: str = "invalid", severity: str = "error", expression: str | None = None
) -> dict:
    issue = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


class FhirError(Exception):
    def __init__(self, status: int, body: dict | str, code: str = "invalid", headers: dict | None = None):
        self.outcome = outcome(body, code) if isinstance(body, str) else body
        super().__init__(self.message)
        self.status = status
        self.headers = headers or {}

    @property
    def message(self) -> str:
        return "; ".join(i.get("diagnostics", i.get("code", "")) for i in self.outcome.get("issue", []))


def bad_request(message: str, code: str = "invalid") -> FhirError:
    return FhirError(400, message, code)


def not_found(message: str) -> FhirError:
    return FhirError(404, message, "not-found")


def as_fhir_error(exc: Exception) -> FhirError | None:
    """Map the failures of the layers below (store, search, formats) to FhirError; None if unknown."""
    from fhir_service.formats import FormatError
    from fhir_service.search.errors import SearchError
    from fhir_service.store.errors import (
        NOTHING_STORED,
        PreconditionFailed,
        StoreError,
        Unavailable,
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
    if isinstance(exc, SearchError):
        return FhirError(400, exc.outcome())
    if isinstance(exc, FormatError):
        return FhirError(400, str(exc), "structure")
    return None
