"""Driver-level options shared by the statements that bypass SQLAlchemy's execution path (the
prepared reads in repository.py, the captured search SQL in search/engine.py, the include rounds)."""

from __future__ import annotations

_CURSOR = "fhir_service.cursor"  # key of the reused cursor in the pool record's info


def binary_results(dialect) -> dict:
    """Cursor options for results in PostgreSQL's binary format: a stored resource (bytea) then
    crosses as its bytes, not as hex text the server encodes and psycopg decodes (a read by id:
    39 -> 26 µs of client CPU for a 6 kB resource, and less server CPU)."""
    return {"binary": True} if dialect.driver == "psycopg" else {}


def reused_cursor(connection, dialect):
    """The DBAPI connection's own cursor (binary_results), made once and kept in its pool record's
    `info`: making a psycopg cursor (its adapters map, its state) was a third of a read by id's
    driver CPU (58 -> 37 µs a read). Safe because a DBAPI connection serves one thread at a time (a
    pool checkout, a thread's kept connection) and every caller fetches its rows before it runs the
    next statement. `connection` is SQLAlchemy's pool-proxied DBAPI connection, whose `info` the
    pool clears when it reconnects: the cursor never outlives its DBAPI connection."""
    cursor = connection.info.get(_CURSOR)
    if cursor is None:
        cursor = connection.info[_CURSOR] = connection.dbapi_connection.cursor(**binary_results(dialect))
    return cursor


_PREPARED = "fhir_service.prepared"  # names prepared on the connection, and its Transformer


def libpq_row(connection, name: bytes, sql: bytes, args: tuple) -> tuple | None:
    """The one row (or None) of `sql` (`$n` placeholders), prepared once per connection as `name`,
    run through psycopg's libpq layer (`pgconn.exec_prepared`, which releases the GIL while it waits)
    instead of a cursor, with psycopg's own dumpers and binary loaders (a Transformer, as a cursor
    uses). A cursor's execute (its generator-driven wait, its prepared-statement manager) was a third
    of a read by id's driver CPU: 48 -> 36 µs for a 6 kB resource. Parameters go as text and take
    their types from the statement's casts, so one preparation serves every value. For the prepared
    reads on a thread's kept autocommit connection (repository.py): nothing else uses the
    connection meanwhile, and a failure raises the psycopg error a cursor would."""
    from psycopg import errors, pq
    from psycopg.adapt import PyFormat, Transformer

    dbapi = connection.dbapi_connection
    pgconn = dbapi.pgconn
    state = connection.info.get(_PREPARED)
    if state is None:
        state = connection.info[_PREPARED] = (set(), Transformer(dbapi))
    prepared, transformer = state
    if name not in prepared:
        _check(pgconn.prepare(name, sql), pq.ExecStatus.COMMAND_OK, dbapi, errors)
        prepared.add(name)
    params = transformer.dump_sequence(args, [PyFormat.TEXT] * len(args))
    result = pgconn.exec_prepared(name, params, result_format=pq.Format.BINARY)
    _check(result, pq.ExecStatus.TUPLES_OK, dbapi, errors)
    if not result.ntuples:
        return None
    transformer.set_pgresult(result)
    return transformer.load_row(0, tuple)


def _check(result, expected, dbapi, errors) -> None:
    if result.status != expected:
        raise errors.error_from_result(result, encoding=dbapi.info.encoding)
