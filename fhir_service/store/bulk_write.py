"""Ingest's writer: `UnitOfWork.put_many` with the new resources' primary keys taken up front and
every row sent in bulk (COPY on PostgreSQL, executemany on SQLite).

put_many inserts the new `resource` rows with INSERT … RETURNING to learn their pks: SQLAlchemy
builds a multi-row INSERT for each batch (too long for psycopg's query cache, so parsed anew in
Python each time) and the server plans and runs it row by row; the versions go the same way. Here one
`SELECT nextval(…) FROM generate_series(1, n)` reserves the pks (the sequence is what the column's
default would have called, so concurrent writers never get the same pk) and the rows go with COPY,
like the search index rows. On SQLite put_many's INSERT … RETURNING runs once per row (SQLAlchemy
cannot sort a multi-row RETURNING there); the writer holds the write lock (BEGIN IMMEDIATE) and a
new rowid is max(pk) + 1, so the pks are known up front there too. Same rows, same stored bytes,
same return value as put_many; any other database uses put_many itself.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import update

from fhir_service.store.bulk import insert_tuples
from fhir_service.store.schema import Resource, ResourceVersion
from fhir_service.store.serialized import key as resource_key
from fhir_service.store.serialized import stored_form
from fhir_service.store.write_hook import index_hook
from fhir_service.stored import StoredResource, format_instant, now

_RESOURCE_COLUMNS = ("pk", "type", "id", "version_id", "last_updated", "deleted", "content")
_VERSION_COLUMNS = ("resource_pk", "version_id", "type", "id", "last_updated", "deleted", "method", "content")
_sequences: dict = {}  # engine URL → the sequence behind resource.pk


def put_many(
    uow,
    resources: list[dict],
    current: dict,
    method: str = "PUT",
    index_rows: dict | None = None,
    rows_registry=None,
) -> list:
    """UnitOfWork.put_many(resources, current, method, index_rows, rows_registry), see there
    (`resources`: dicts or Serialized ones)."""
    session = uow.session
    conn = session.connection()
    if not _bulk(conn) or not resources:
        return uow.put_many(
            resources, current, method=method, index_rows=index_rows, rows_registry=rows_registry
        )

    last_updated = now()
    instant = format_instant(last_updated)
    new = [r for r in resources if resource_key(r) not in current]
    pks = iter(_reserve(conn, len(new)) if new else ())
    inserts, updates, versions, out, items = [], [], [], [], []
    index_rows = index_rows or {}
    for resource in resources:
        key = rtype, rid = resource_key(resource)
        existing = current.get(key)
        version_id = 1 if existing is None else existing.version_id + 1
        stored, content = stored_form(resource, version_id, instant)
        if existing is None:
            pk = next(pks)
            inserts.append((pk, rtype, rid, version_id, last_updated, False, content))
        else:
            pk = existing.pk
            updates.append(
                {
                    "pk": pk,
                    "version_id": version_id,
                    "last_updated": last_updated,
                    "deleted": False,
                    "content": content,
                }
            )
        versions.append((pk, version_id, rtype, rid, last_updated, False, method, content))
        out.append(
            (
                StoredResource(rtype, rid, version_id, last_updated, False, content, pk, method),
                existing is None or existing.deleted,
            )
        )
        items.append((pk, stored, existing is None, index_rows.get(key)))
    # binary COPY on PostgreSQL (bulk.py): the content (bytea) goes as its bytes, not as hex text escaped once
    # more for COPY's text format (that formatting was the writer's largest cost after the JSON)
    insert_tuples(session, Resource.__table__, _RESOURCE_COLUMNS, inserts)
    if updates:
        session.execute(update(Resource), updates)
    insert_tuples(session, ResourceVersion.__table__, _VERSION_COLUMNS, versions)
    index_hook().index_many(session, items, rows_registry)
    return out


def read_many(uow, keys: list[tuple[str, str]]) -> dict:
    """UnitOfWork.read_many(keys): on PostgreSQL one statement for all keys (a join with the keys as
    two arrays) instead of one per type and 500 ids, each built and compiled by SQLAlchemy."""
    session = uow.session
    conn = session.connection()
    if conn.dialect.driver != "psycopg" or not keys:
        return uow.read_many(keys)

    lock = " FOR UPDATE OF r" if getattr(uow, "_lock_rows", True) else ""
    rows = conn.exec_driver_sql(
        "SELECT r.type, r.id, r.version_id, r.last_updated, r.deleted, r.content, r.pk FROM resource r"
        " JOIN unnest(%(types)s::varchar[], %(ids)s::varchar[]) AS k(type, id)"
        " ON r.type = k.type AND r.id = k.id" + lock,
        {"types": [t for t, _ in keys], "ids": [i for _, i in keys]},
    )
    return {
        (t, i): StoredResource(t, i, v, lu.astimezone(UTC), d, None if c is None else bytes(c), pk)
        for t, i, v, lu, d, c, pk in rows
    }


def _bulk(conn) -> bool:
    return conn.dialect.driver == "psycopg" or conn.dialect.name == "sqlite"


def _reserve(conn, n: int) -> list[int]:
    """n new pks of `resource`, ascending (as the column's default would have assigned them)."""
    if conn.dialect.name == "sqlite":  # the rowids SQLite assigns: the write lock is held
        top = conn.exec_driver_sql("SELECT coalesce(max(pk), 0) FROM resource").scalar_one()
        return list(range(top + 1, top + 1 + n))
    url = conn.engine.url
    sequence = _sequences.get(url)
    if sequence is None:
        sequence = _sequences[url] = conn.exec_driver_sql(
            "SELECT pg_get_serial_sequence('resource', 'pk')"
        ).scalar_one()
    rows = conn.exec_driver_sql(
        "SELECT nextval(%(s)s::regclass) FROM generate_series(1, %(n)s)", {"s": sequence, "n": n}
    )
    return sorted(pk for (pk,) in rows)
