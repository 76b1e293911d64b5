"""Ingest's writer on PostgreSQL: `UnitOfWork.put_many` with the new resources' primary keys taken
from the sequence up front and every row sent with COPY.

put_many inserts the new `resource` rows with INSERT … RETURNING to learn their pks: SQLAlchemy
builds a multi-row INSERT for each batch (too long for psycopg's query cache, so parsed anew in
Python each time) and the server plans and runs it row by row; the versions go the same way. Here one
`SELECT nextval(…) FROM generate_series(1, n)` reserves the pks (the sequence is what the column's
default would have called, so concurrent writers never get the same pk) and the rows go with COPY,
like the search index rows. Same rows, same stored bytes, same return value as put_many; any other
database (SQLite) uses put_many itself.
"""

from __future__ import annotations

from sqlalchemy import update

from fhir_service.store.bulk import insert_tuples
from fhir_service.store.schema import Resource, ResourceVersion

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
    """UnitOfWork.put_many(resources, current, method, index_rows, rows_registry), see there."""
    session = uow.session
    conn = session.connection()
    if conn.dialect.driver != "psycopg" or not resources:
        return uow.put_many(
            resources, current, method=method, index_rows=index_rows, rows_registry=rows_registry
        )
    from fhir_service.search import indexer
    from fhir_service.store.repository import StoredResource, now, serialize, stamp

    last_updated = now()
    new = [r for r in resources if (r["resourceType"], r["id"]) not in current]
    pks = iter(_reserve(conn, len(new)) if new else ())
    inserts, updates, versions, out, items = [], [], [], [], []
    index_rows = index_rows or {}
    for resource in resources:
        key = rtype, rid = resource["resourceType"], resource["id"]
        existing = current.get(key)
        version_id = 1 if existing is None else existing.version_id + 1
        stored = stamp(resource, rid, version_id, last_updated)
        content = serialize(stored)
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
    insert_tuples(session, Resource.__table__, _RESOURCE_COLUMNS, inserts)
    if updates:
        session.execute(update(Resource), updates)
    insert_tuples(session, ResourceVersion.__table__, _VERSION_COLUMNS, versions)
    indexer.index_many(session, items, rows_registry)
    return out


def _reserve(conn, n: int) -> list[int]:
    """n new pks of `resource`, ascending (as the column's default would have assigned them)."""
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
