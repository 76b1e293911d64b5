"""FhirError: a failed request as an HTTP status plus the OperationOutcome that explains it. Low in
the layers, so that the request limits and the interactions raise the same error."""

from __future__ import annotations


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
