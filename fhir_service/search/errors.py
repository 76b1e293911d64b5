"""The one error type search raises: bad search input, or an unknown parameter under strict
handling. The interactions layer maps it to a status and an OperationOutcome (interactions/errors.py)."""

from __future__ import annotations


class SearchError(Exception):
    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code  # the OperationOutcome issue type: "invalid", "not-supported"

    def outcome(self) -> dict:
        return {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": self.code, "diagnostics": self.message}],
        }
