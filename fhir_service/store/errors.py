"""Store-level failures. Each carries the HTTP status and OperationOutcome issue code it means, so
callers (REST handlers, transactions) can report it without the store knowing about HTTP."""

from __future__ import annotations

import sys


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


NOTHING_STORED = "The database connection was lost; nothing was stored. Retry."


class Unavailable(StoreError):
    """The database connection was lost or could not be had (PostgreSQL restarted, the backend was
    terminated) before anything was committed: nothing was stored, and the request may be sent again."""

    status = 503
    code = "transient"
    retry_after = 1  # seconds, for the Retry-After header


class CommitUnknown(Unavailable):
    """The connection was lost during COMMIT: the change may or may not have been stored."""


def connection_lost(exc: BaseException | None) -> bool:
    """Is `exc`, or an exception it was raised from or while handling, the database connection going
    away (or one that could not be made)? SQLAlchemy marks the disconnects it recognises; psycopg's
    OperationalError also covers a server that is down, restarting or shutting the session."""
    psycopg = sys.modules.get("psycopg")  # only ever imported for a PostgreSQL engine
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, Unavailable) or getattr(exc, "connection_invalidated", False):
            return True
        if psycopg is not None and isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
