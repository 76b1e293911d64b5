"""Store-level failures, by what went wrong; interactions/errors.py says what each means to a client
(status, OperationOutcome issue code, Retry-After)."""

from __future__ import annotations

import sys


class StoreError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PreconditionFailed(StoreError):
    """If-Match named a version that is not the current one (or the resource does not exist)."""


class Conflict(StoreError):
    """A concurrent writer got there first, or a create collided with an existing id."""


NOTHING_STORED = "The database connection was lost; nothing was stored. Retry."


class Unavailable(StoreError):
    """The database connection was lost or could not be had (PostgreSQL restarted, the backend was
    terminated) before anything was committed: nothing was stored, and the request may be sent again."""


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
