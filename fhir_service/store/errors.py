"""Store-level failures, by what went wrong; interactions/errors.py says what each means to a client
(status, OperationOutcome issue code, Retry-After)."""

from __future__ import annotations

import sys
from collections.abc import Callable


class StoreError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PreconditionFailed(StoreError):
    """If-Match named a version that is not the current one (or the resource does not exist)."""


class Conflict(StoreError):
    """A concurrent writer got there first, or a create collided with an existing id."""


NOTHING_STORED = "The database connection was lost; nothing was stored. Retry."
BUSY = "The database stayed locked by other work for longer than its busy timeout; nothing was stored. Retry."
# SQLite's primary result codes for a lock it could not have in time: SQLITE_BUSY, and SQLITE_PROTOCOL
# (a WAL reader that lost the race for the shared-memory lock too often)
_SQLITE_BUSY_CODES = (5, 15)


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
    lost = (psycopg.OperationalError, psycopg.InterfaceError) if psycopg is not None else ()
    return _in_chain(
        exc,
        lambda e: isinstance(e, (Unavailable, *lost)) or getattr(e, "connection_invalidated", False),
    )


def busy(exc: BaseException | None) -> bool:
    """Is `exc`, or an exception it was raised from or while handling, SQLite failing to get a lock
    in time? The statement did nothing and the transaction commits nothing: the client may retry."""

    def sqlite_busy(e: BaseException) -> bool:
        code = getattr(e, "sqlite_errorcode", None)  # the sqlite3 module's, extended codes included
        return isinstance(code, int) and code & 0xFF in _SQLITE_BUSY_CODES

    return _in_chain(exc, sqlite_busy)


def _in_chain(exc: BaseException | None, test: Callable[[BaseException], bool]) -> bool:
    """Does `test` hold for `exc` or an exception it was raised from or while handling?"""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if test(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
