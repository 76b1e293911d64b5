"""The one error type search raises; the interactions layer turns it into an OperationOutcome."""

from __future__ import annotations


class SearchError(Exception):
    """Bad search input (400), unsupported feature (501), or a strict-mode unknown parameter (400)."""

    def __init__(self, status: int, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code  # OperationOutcome issue-type

    def outcome(self) -> dict:
        return {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": self.code, "diagnostics": self.message}],
        }
