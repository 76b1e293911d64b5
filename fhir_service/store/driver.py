"""Driver-level options shared by the statements that bypass SQLAlchemy's execution path (the
prepared reads in connections.py, the captured search SQL in search/engine.py, the include rounds)."""

from __future__ import annotations

_CURSOR = "fhir_service.cursor"  # key of the reused cursor in the pool record's info


def binary_results(dialect) -> dict:
    """Cursor options for results in PostgreSQL's binary format: a stored resource (bytea) then
    crosses as its bytes, not as hex text the server encodes and psycopg decodes."""
    return {"binary": True} if dialect.driver == "psycopg" else {}


def reused_cursor(connection, dialect):
    """The DBAPI connection's own cursor (binary_results), made once and kept in its pool record's
    `info`: making a psycopg cursor (its adapters map, its state) is a large share of a read by
    id's driver CPU. Safe because a DBAPI connection serves one thread at a time (a
    pool checkout, a thread's kept connection) and every caller fetches its rows before it runs the
    next statement. `connection` is SQLAlchemy's pool-proxied DBAPI connection, whose `info` the
    pool clears when it reconnects: the cursor never outlives its DBAPI connection."""
    cursor = connection.info.get(_CURSOR)
    if cursor is None:
        cursor = connection.info[_CURSOR] = connection.dbapi_connection.cursor(**binary_results(dialect))
    return cursor
