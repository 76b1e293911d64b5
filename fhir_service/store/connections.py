"""The connections a Repository keeps: one per thread, out of the pool (on PostgreSQL in autocommit
mode), and the prepared one-row reads that run on them (a read by id)."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import weakref

from sqlalchemy import Connection, Engine

from fhir_service.store.database import is_sqlite
from fhir_service.store.driver import reused_cursor

PING_AFTER = 1.0  # seconds a kept connection may idle before it is checked (see _ThreadConnections)


class _ThreadConnections:
    """One connection per thread for the prepared reads and read-only units of work, kept out of
    the pool; on PostgreSQL in autocommit mode: a pool checkout (SQLite: a locked queue and a
    reset; PostgreSQL: pre-ping, the SELECT, the reset's ROLLBACK) costs more than a read by id.
    Between uses such a connection holds no lock or snapshot."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._sqlite = is_sqlite(engine)
        self._local = threading.local()
        self._all: weakref.WeakSet[_Kept] = weakref.WeakSet()

    def connection(self) -> Connection:
        kept = getattr(self._local, "kept", None)
        now = time.monotonic()
        if kept is not None and now - kept.used > PING_AFTER and not self._alive(kept):
            self.discard()
            kept = None
        if kept is None:
            connection = self._engine.connect()
            if self._sqlite:  # no BEGIN from database.py's listener: the driver is in autocommit mode
                connection = connection.execution_options(sqlite_begin="AUTOCOMMIT")
            else:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.detach()  # ours until the thread (or this Repository) goes away
            kept = self._local.kept = _Kept(connection)
            self._all.add(kept)
        kept.used = now
        return kept.connection

    def _alive(self, kept: _Kept) -> bool:
        """pool_pre_ping for a connection idle longer than PING_AFTER (as HikariCP skips the check
        for one used within the last 500 ms): under load no round trip, after a quiet spell (when
        the database may have restarted) one."""
        if self._sqlite:
            return True
        try:
            return self._engine.dialect.do_ping(kept.connection.connection.dbapi_connection)
        except Exception:
            return False

    def get(self):
        """The DBAPI connection (for the prepared reads)."""
        return self.connection().connection

    def enter(self) -> Connection | None:
        """The thread's connection for a read-only unit of work; None when a unit of work of this
        thread already uses it (a nested unit then takes a pooled connection)."""
        if getattr(self._local, "busy", False):
            return None
        connection = self.connection()
        self._local.busy = True
        return connection

    def leave(self) -> None:
        self._local.busy = False

    def discard(self) -> None:
        """After an error the connection may be in any state: the next use opens a fresh one."""
        kept, self._local.kept = getattr(self._local, "kept", None), None
        if kept is not None:
            with contextlib.suppress(Exception):
                kept.connection.invalidate()  # closed without the reset a dead connection fails
            kept.close()

    def close_all(self) -> None:
        for kept in list(self._all):
            kept.close()


class _ConnectionReader:
    """The part of a Session the search engine uses (Core statements, `info`, the bind), answered by
    a Connection."""

    def __init__(self, connection: Connection):
        self._connection = connection
        self.info: dict = {}

    def connection(self) -> Connection:
        return self._connection

    def get_bind(self) -> Connection:
        return self._connection

    def execute(self, statement, parameters=None):
        return self._connection.execute(statement, parameters)

    def scalar(self, statement, parameters=None):
        return self._connection.scalar(statement, parameters)

    def scalars(self, statement, parameters=None):
        return self._connection.scalars(statement, parameters)


class _Kept:
    """A thread's connection, closed when the thread ends (its threading.local is dropped). A
    weakref.finalize, not __del__: it holds the connection, so a garbage cycle cannot finalize the
    driver's connection first (psycopg warns about connections deleted while open)."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.used = time.monotonic()
        self.close = weakref.finalize(self, _close_quietly, connection)


def _close_quietly(connection) -> None:
    with contextlib.suppress(Exception):
        connection.close()


_READ_NAMES = itertools.count()  # server-side statement names of the prepared reads (PostgreSQL)


class _PreparedRead:
    """A one-row Core SELECT compiled once for the engine's dialect and run on the thread's own DBAPI
    connection (see _ThreadConnections). For a read by key, SQLAlchemy's per-execute machinery
    (Connection, events, result objects) costs more than the database's own work; this keeps its
    SQL, bind names and column types. On PostgreSQL it runs below psycopg's cursor too
    (store/libpq.py). Autocommit: each SELECT is its own snapshot. A kept connection the server
    dropped (restart, idle timeout) fails once; the read is then retried on a new one."""

    def __init__(self, engine: Engine, statement, connections: _ThreadConnections):
        dialect = engine.dialect
        self._libpq = None
        if dialect.driver == "psycopg":  # libpq.row: $n placeholders, prepared under a name of its own
            from fhir_service.store import libpq

            self._libpq = libpq.row
            compiled = statement.compile(dialect=type(dialect)(paramstyle="numeric_dollar"))
            self._name = f"fhir_read_{next(_READ_NAMES)}".encode()
            self._sql = str(compiled).encode()
        else:
            compiled = statement.compile(dialect=dialect)
            self._sql = str(compiled)
        self._connections = connections
        self._dialect = dialect
        self._positions = compiled.positiontup if compiled.positional else None
        self._processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def row(self, params: dict) -> tuple | None:
        row = self.raw(params)
        return None if row is None else self.processed(row)

    def raw(self, params: dict) -> tuple | None:
        """The row as the driver returns it (no result processing)."""
        args = tuple(params[name] for name in self._positions) if self._positions is not None else params
        try:
            return self._fetch(self._connections.get(), args)
        except Exception:
            self._connections.discard()
            try:
                return self._fetch(self._connections.get(), args)  # a read is safe to repeat
            except BaseException:
                self._connections.discard()
                raise

    def processed(self, row: tuple) -> tuple:
        return tuple(v if p is None else p(v) for p, v in zip(self._processors, row, strict=True))

    def _fetch(self, connection, args) -> tuple | None:
        if self._libpq is not None:
            return self._libpq(connection, self._name, self._sql, args)
        cursor = reused_cursor(connection, self._dialect)
        cursor.execute(self._sql, args)
        return cursor.fetchone()
