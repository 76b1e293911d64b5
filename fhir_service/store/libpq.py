"""PostgreSQL's prepared reads below psycopg's cursor (connections._PreparedRead on psycopg).

A module of its own so that only a psycopg engine imports psycopg (a slow import): repository imports it
when it builds a prepared read for one.
"""

from __future__ import annotations

from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer

_PREPARED = "fhir_service.prepared"  # names prepared on the connection, and its Transformer


def row(connection, name: bytes, sql: bytes, args: tuple) -> tuple | None:
    """The one row (or None) of `sql` (`$n` placeholders), prepared once per connection as `name`,
    run through psycopg's libpq layer (`pgconn.exec_prepared`, which releases the GIL while it waits)
    instead of a cursor, with psycopg's own dumpers and binary loaders (a Transformer, as a cursor
    uses): a cursor's execute (its generator-driven wait, its prepared-statement manager) is a large
    share of a read by id's driver CPU. Parameters go as text and take
    their types from the statement's casts, so one preparation serves every value. For the prepared
    reads on a thread's kept autocommit connection (connections.py): nothing else uses the
    connection meanwhile, and a failure raises the psycopg error a cursor would. `connection` is
    SQLAlchemy's pool-proxied DBAPI connection (its `info` dies with the DBAPI connection)."""
    dbapi = connection.dbapi_connection
    pgconn = dbapi.pgconn
    state = connection.info.get(_PREPARED)
    if state is None:
        state = connection.info[_PREPARED] = (set(), Transformer(dbapi))
    prepared, transformer = state
    if name not in prepared:
        _check(pgconn.prepare(name, sql), pq.ExecStatus.COMMAND_OK, dbapi)
        prepared.add(name)
    params = transformer.dump_sequence(args, [PyFormat.TEXT] * len(args))
    result = pgconn.exec_prepared(name, params, result_format=pq.Format.BINARY)
    _check(result, pq.ExecStatus.TUPLES_OK, dbapi)
    if not result.ntuples:
        return None
    transformer.set_pgresult(result)
    return transformer.load_row(0, tuple)


def _check(result, expected, dbapi) -> None:
    if result.status != expected:
        raise errors.error_from_result(result, encoding=dbapi.info.encoding)
