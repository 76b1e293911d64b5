"""The writer of many resources at once (ingest, `UnitOfWork.put_many`): their new versions in a few
bulk statements, and `read_many`, the current rows they are written over.

The new resources' primary keys are taken up front and every row goes in bulk (COPY on PostgreSQL,
executemany on SQLite), not by INSERT … RETURNING: SQLAlchemy builds a multi-row INSERT for each
batch (too long for psycopg's query cache, so parsed anew in Python each time), the server plans and
runs it row by row, and on SQLite it runs once per row (SQLAlchemy cannot sort a multi-row RETURNING
there). On PostgreSQL one `SELECT nextval(…) FROM generate_series(1, n)` reserves the pks (the
sequence is what the column's default would have called, so concurrent writers never get the same
pk); on SQLite the writer holds the write lock (BEGIN IMMEDIATE) and a new rowid is max(pk) + 1.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import update

from fhir_service.store.bulk import insert_tuples
from fhir_service.store.schema import CURRENT_COLUMNS, Resource, ResourceVersion
from fhir_service.store.serialized import key as resource_key
from fhir_service.store.serialized import stored_form
from fhir_service.store.write_hook import index_hook
from fhir_service.stored import StoredResource, format_instant, now

_RESOURCE_COLUMNS = ("pk", "type", "id", "version_id", "last_updated", "deleted", "content")
_VERSION_COLUMNS = ("resource_pk", "version_id", "type", "id", "last_updated", "deleted", "method", "content")
_sequences: dict = {}  # engine URL → the sequence behind resource.pk


def put_many(
    session,
    resources: list,
    current: dict[tuple[str, str], StoredResource],
    method: str = "PUT",
    index_rows: dict[tuple[str, str], dict] | None = None,
    rows_registry=None,
) -> list[tuple[StoredResource, bool]]:
    """Store a new version of each resource (a dict, or Serialized by an ingest worker) and its search
    index rows in the session's transaction. → [(stored, created)] in the order of `resources`.

    `current` must be what read_many returned for these resources in this transaction (it holds the
    row locks on PostgreSQL; SQLite's writer lock is held for the whole transaction). The versions'
    primary key still guards against a concurrent writer. `index_rows` are search index rows
    computed ahead (ingest workers) with `rows_registry`, by (type, id); see index_many."""
    if not resources:
        return []
    conn = session.connection()
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


def read_many(session, keys: list[tuple[str, str]], lock: bool) -> dict[tuple[str, str], StoredResource]:
    """The current rows (tombstones included) of many (type, id) keys; `lock`: FOR UPDATE until
    commit (PostgreSQL). On psycopg one statement for all keys (a join with the keys as two arrays),
    elsewhere one per type and 500 ids."""
    if not keys:
        return {}
    conn = session.connection()
    if conn.dialect.driver == "psycopg":
        rows = conn.exec_driver_sql(
            "SELECT r.type, r.id, r.version_id, r.last_updated, r.deleted, r.content, r.pk FROM resource r"
            " JOIN unnest(%(types)s::varchar[], %(ids)s::varchar[]) AS k(type, id)"
            " ON r.type = k.type AND r.id = k.id" + (" FOR UPDATE OF r" if lock else ""),
            {"types": [t for t, _ in keys], "ids": [i for _, i in keys]},
        )
        return {
            (t, i): StoredResource(t, i, v, lu.astimezone(UTC), d, None if c is None else bytes(c), pk)
            for t, i, v, lu, d, c, pk in rows
        }
    found: dict[tuple[str, str], StoredResource] = {}
    by_type: dict[str, list[str]] = {}
    for rtype, rid in keys:
        by_type.setdefault(rtype, []).append(rid)
    for rtype, ids in by_type.items():
        for start in range(0, len(ids), 500):
            query = CURRENT_COLUMNS.where(Resource.type == rtype, Resource.id.in_(ids[start : start + 500]))
            if lock:
                query = query.with_for_update()
            found.update({(row.type, row.id): StoredResource(*row) for row in session.execute(query)})
    return found


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
