"""Store-level failures. Each carries the HTTP status and OperationOutcome issue code it means, so
callers (REST handlers, transactions) can report it without the store knowing about HTTP."""

from __future__ import annotations


class StoreError(Exception):
    status = 409
    code = "conflict"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PreconditionFailed(StoreError):
    """If-Match named a version that is not the current one (or the resource does not exist)."""

    status = 412


class Conflict(StoreError):
    """A concurrent writer got there first, or a create collided with an existing id."""

    status = 409
