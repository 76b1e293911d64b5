"""Bulk inserts at the driver level: `cursor.executemany` with the rows as they are.

SQLAlchemy's executemany builds and processes a parameter set per row (construct_params); for the
~100,000 search index rows of a corpus ingest that Python costs about as much as the database's own
work. When no column of the statement needs a bind processor (ints, strings: the driver takes the
values as they are) the compiled SQL is handed to the driver directly (PostgreSQL: COPY); otherwise (dates on SQLite,
stored as SQLAlchemy's text format) the ordinary path keeps the exact same stored values."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Table, bindparam


def insert_many(session, table: Table, rows: list[dict]) -> None:
    """INSERT `rows` (dicts with the same keys) into `table` in the session's transaction."""
    if not rows:
        return
    conn = session.connection()
    columns = tuple(rows[0])
    sql, positions = _driver_insert(conn.dialect, table, columns)
    if sql is not None and conn.dialect.driver == "psycopg":
        _copy(conn, table, columns, rows)
    elif sql is None:
        conn.execute(table.insert(), rows)
    elif positions is None:  # named paramstyle (psycopg): the dicts as they are
        conn.exec_driver_sql(sql, rows)
    else:
        conn.exec_driver_sql(sql, [tuple(row[name] for name in positions) for row in rows])


def insert_tuples(session, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """insert_many for rows given as value tuples in `columns` order."""
    if not rows:
        return
    conn = session.connection()
    sql, positions = _driver_insert(conn.dialect, table, columns)
    if sql is not None and conn.dialect.driver == "psycopg":
        _copy_tuples(conn, table, columns, rows)
    elif sql is not None and conn.dialect.paramstyle == "qmark":  # SQLite
        conn.exec_driver_sql(_qmark_insert(conn.dialect, table, columns), rows)
    else:
        insert_many(session, table, [dict(zip(columns, row, strict=True)) for row in rows])


@lru_cache(maxsize=256)
def _qmark_insert(dialect, table: Table, columns: tuple[str, ...]) -> str:
    """INSERT with the placeholders in `columns` order (a compiled insert() orders them as the table)."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(columns))})"


@lru_cache(maxsize=256)
def _driver_insert(dialect, table: Table, columns: tuple[str, ...]):
    """(SQL in the driver's paramstyle, parameter names in order or None if named); (None, None)
    when a column's type processes values on the way in."""
    for name in columns:
        if table.c[name].type.dialect_impl(dialect).bind_processor(dialect) is not None:
            return None, None
    compiled = table.insert().values({name: bindparam(name) for name in columns}).compile(dialect=dialect)
    return compiled.string, (tuple(compiled.positiontup) if compiled.positional else None)


def _copy(conn, table: Table, columns: tuple[str, ...], rows: list[dict]) -> None:
    _copy_tuples(conn, table, columns, [tuple(row[name] for name in columns) for row in rows])


def _copy_tuples(conn, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """PostgreSQL: COPY FROM STDIN, in the transaction; psycopg's executemany still pays a
    round of Python per row (pipeline mode), COPY streams them."""
    quote = conn.dialect.identifier_preparer.quote
    target = f"{quote(table.name)} ({', '.join(quote(name) for name in columns)})"
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
