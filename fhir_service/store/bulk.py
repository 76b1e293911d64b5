"""Bulk inserts at the driver level: `cursor.executemany` (SQLite) or COPY (PostgreSQL) with the rows
as they are.

SQLAlchemy's executemany builds and processes a parameter set per row (construct_params); for the
~100,000 search index rows of a corpus ingest that Python costs about as much as the database's own
work, and on psycopg its multi-row INSERT is a statement too long for psycopg's query cache, parsed
anew for every batch. Here the values go to the driver directly. A column whose type processes
values on the way in (UTC datetimes, booleans on SQLite) gets the very processor SQLAlchemy would
apply, so the stored values are exactly those of the ordinary path."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Double,
    Float,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
)


def insert_many(session, table: Table, rows: list[dict]) -> None:
    """INSERT `rows` (dicts with the same keys) into `table` in the session's transaction."""
    if rows:
        columns = tuple(rows[0])
        insert_tuples(session, table, columns, [tuple(row[name] for name in columns) for row in rows])


def insert_tuples(session, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """insert_many for rows given as value tuples in `columns` order."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    processors = _processors(dialect, table, columns)
    if processors:
        rows = [_processed(row, processors) for row in rows]
    if dialect.driver == "psycopg":
        _copy_tuples(conn, table, columns, rows)
    elif dialect.paramstyle == "qmark":  # SQLite
        conn.exec_driver_sql(_qmark_insert(dialect, table, columns), rows)
    else:  # another driver: SQLAlchemy's own executemany
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


def _processed(row: tuple, processors: tuple) -> tuple:
    return tuple(v if p is None or v is None else p(v) for v, p in zip(row, processors, strict=True))


@lru_cache(maxsize=256)
def _processors(dialect, table: Table, columns: tuple[str, ...]) -> tuple | None:
    """Each column's bind processor (None where the driver takes the value as it is); None if no
    column has one."""
    found = tuple(table.c[name].type._cached_bind_processor(dialect) for name in columns)
    return found if any(p is not None for p in found) else None


@lru_cache(maxsize=256)
def _qmark_insert(dialect, table: Table, columns: tuple[str, ...]) -> str:
    """INSERT with the placeholders in `columns` order (a compiled insert() orders them as the table)."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(columns))})"


def _copy_tuples(conn, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """PostgreSQL: COPY FROM STDIN, in the transaction; psycopg's executemany still pays a
    round of Python per row (pipeline mode), COPY streams them. In COPY's binary format when every
    column's type is one _binary_types knows (numbers go as their bytes, not formatted as text for
    the server to parse)."""
    quote = conn.dialect.identifier_preparer.quote
    target = f"{quote(table.name)} ({', '.join(quote(name) for name in columns)})"
    types = _binary_types(table, columns)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {target} FROM STDIN{' (FORMAT BINARY)' if types else ''}") as copy:
            if types:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)


@lru_cache(maxsize=256)
def _binary_types(table: Table, columns: tuple[str, ...]) -> tuple[str, ...] | None:
    """The PostgreSQL type of each column for a binary COPY; None if one is not a plain known type."""
    found = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, TypeDecorator):
            kind = kind.impl_instance
        if isinstance(kind, DateTime):
            found.append("timestamptz" if kind.timezone else "timestamp")
            continue
        kind = type(kind)
        if kind not in _PG_TYPES:
            return None
        found.append(_PG_TYPES[kind])
    return tuple(found)


_PG_TYPES = {
    BigInteger: "int8",
    Integer: "int4",
    SmallInteger: "int2",
    Float: "float8",
    Double: "float8",
    String: "varchar",
    Text: "text",
    Boolean: "bool",
    LargeBinary: "bytea",
}
