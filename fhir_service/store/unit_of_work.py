"""The unit of work: the reads and writes of versioned resources in one database transaction.

Writes lock the resource row first (PostgreSQL: SELECT … FOR UPDATE; SQLite: the database write
lock taken by BEGIN IMMEDIATE), check the expected version, then append version n+1. The
(resource_pk, version_id) primary key of `resource_version` is the last guard against a lost update.
Every write keeps the search index in step inside the same transaction.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from fhir_service.store import bulk_write
from fhir_service.store.preconditions import check_free, check_if_match, check_if_none_match, unchanged
from fhir_service.store.schema import Resource, ResourceVersion
from fhir_service.store.serialized import serialize, stamped
from fhir_service.store.write_hook import index_hook
from fhir_service.stored import HistoryPage, StoredResource, format_instant, new_id, now

T = TypeVar("T")


def stamp(resource: dict, resource_id: str, version_id: int, last_updated: datetime) -> dict:
    """The resource as stored: id and meta.versionId/lastUpdated set, resourceType/id/meta first."""
    return stamped(resource, resource_id, version_id, format_instant(last_updated))


def _stored(row: Resource | ResourceVersion, method: str | None = None) -> StoredResource:
    pk = row.pk if isinstance(row, Resource) else row.resource_pk
    method = method if method is not None else getattr(row, "method", None)
    return StoredResource(
        row.type, row.id, row.version_id, row.last_updated, row.deleted, row.content, pk, method
    )


def _version_where(resource_type, resource_id, version_id) -> list:
    """Through `resource`'s unique (type, id) to the (resource_pk, version_id) primary key:
    resource_version has no (type, id) index, filtering on them scans every version of the type."""
    pk = select(Resource.pk).where(Resource.type == resource_type, Resource.id == resource_id)
    return [ResourceVersion.resource_pk == pk.scalar_subquery(), ResourceVersion.version_id == version_id]


class UnitOfWork:
    def __init__(self, session: Session, lock_rows: bool):
        self.session = session
        self._lock_rows = lock_rows

    # --- reads -----------------------------------------------------------------------------

    def read(self, resource_type: str, resource_id: str, for_update: bool = False) -> StoredResource | None:
        """The current version (a tombstone with deleted=True if the resource was deleted);
        `for_update` locks the row until commit (read-modify-write such as patch)."""
        row = self._current(resource_type, resource_id, lock=for_update)
        return None if row is None else _stored(row)

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource | None:
        row = self.session.scalars(
            select(ResourceVersion).where(*_version_where(resource_type, resource_id, version_id))
        ).first()
        return None if row is None else _stored(row)

    def read_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], StoredResource]:
        """Current rows for many (type, id) keys in a few queries, locked for a write (put_many)."""
        return bulk_write.read_many(self.session, keys, self._lock_rows)

    def by_pks(self, pks: list[int]) -> list[StoredResource]:
        rows = {r.pk: r for r in self.session.scalars(select(Resource).where(Resource.pk.in_(pks)))}
        return [_stored(rows[pk]) for pk in pks if pk in rows]

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Resource)) or 0

    def serialize_on(self, key: str) -> None:
        """Make writers that use the same `key` (e.g. conditional-create criteria) take turns until
        commit. PostgreSQL: a transaction-scoped advisory lock; SQLite: the writer lock already does."""
        if self._lock_rows:
            self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """What the block writes is undone if it raises; the unit of work goes on (a batch entry)."""
        nested = self.session.begin_nested()
        try:
            yield
            nested.commit()
        except BaseException:
            nested.rollback()
            raise

    def release_memory(self) -> None:
        """Write what is pending and forget the loaded rows: the transaction stays open, memory does
        not grow (long Bundles)."""
        self.session.flush()
        self.session.expunge_all()

    # --- writes ----------------------------------------------------------------------------

    def create(self, resource: dict, id: str | None = None, method: str = "POST") -> StoredResource:
        """Store version 1 under a new server id (or `id`); 409 if a live resource has that id."""
        resource_id = id or new_id()
        row = self._current(resource["resourceType"], resource_id, lock=True)
        check_free(resource["resourceType"], resource_id, row)
        return self._write(row, resource, resource_id, method)

    def update(
        self,
        resource: dict,
        if_match: str | None = None,
        method: str = "PUT",
        if_none_match: frozenset[str] | None = None,
    ) -> tuple[StoredResource, bool]:
        """Store a new version of resource (its id required); create it if absent. → (stored, created).
        `if_none_match`: versions ("*": any) the current one must not be (HTTP If-None-Match).

        An update that changes nothing but meta.versionId/lastUpdated is a no-op returning the current
        version, as HAPI does: re-loading the same fixtures must not grow the history."""
        rtype, resource_id = resource["resourceType"], resource["id"]
        row = self._current(rtype, resource_id, lock=True)
        check_if_match(rtype, resource_id, row, if_match)
        check_if_none_match(rtype, resource_id, row, if_none_match)
        if unchanged(row, resource):
            return _stored(row), False
        created = row is None or row.deleted  # before _write, which revives a deleted row
        return self._write(row, resource, resource_id, method), created

    def delete(
        self, resource_type: str, resource_id: str, if_match: str | None = None
    ) -> StoredResource | None:
        """Append a deleted version. None if there is no such resource; the existing tombstone
        (no new version) if it is already deleted."""
        row = self._current(resource_type, resource_id, lock=True)
        check_if_match(resource_type, resource_id, row, if_match)
        if row is None:
            return None
        if row.deleted:
            return _stored(row)
        row.version_id += 1
        row.last_updated = now()
        row.deleted = True
        row.content = None
        self.session.add(self._version_of(row, "DELETE"))
        index_hook().remove(self.session, row.pk)
        self.session.flush()
        return _stored(row, "DELETE")

    def put_many(
        self,
        resources: list[dict],
        current: dict[tuple[str, str], StoredResource],
        method: str = "PUT",
        index_rows: dict[tuple[str, str], dict] | None = None,
        rows_registry=None,
    ) -> list[tuple[StoredResource, bool]]:
        """Store a new version of each resource (a dict, or Serialized by an ingest worker) in a
        few bulk statements (ingest). → [(stored, created)].

        `current` must be what read_many returned for these resources in this unit of work (it holds
        the row locks on PostgreSQL; SQLite's writer lock is held for the whole unit of work). The
        versions' primary key still guards against a concurrent writer. `index_rows` are search index
        rows computed ahead (ingest workers) with `rows_registry`, by (type, id); see index_many.
        """
        return bulk_write.put_many(self.session, resources, current, method, index_rows, rows_registry)

    # --- queries and history ---------------------------------------------------------------

    def run_query(self, work: Callable[[Session], T]) -> T:
        """`work(reader)` inside this unit of work's transaction (it sees its uncommitted writes)."""
        return work(self.session)

    def history(
        self,
        resource_type: str | None = None,
        resource_id: str | None = None,
        since: datetime | None = None,
        count: int = 50,
        cursor: str | None = None,
    ) -> HistoryPage:
        """Versions newest first, keyset-paged on (last_updated, resource_pk, version_id)."""
        v = ResourceVersion
        where = []
        if resource_type is not None:
            where.append(v.type == resource_type)
        if resource_id is not None:
            where.append(v.id == resource_id)
        if since is not None:
            where.append(v.last_updated >= since)
        total = self.session.scalar(select(func.count()).select_from(v).where(*where)) or 0
        page_where = list(where)
        if cursor:
            lu, pk, vid = decode_cursor(cursor)
            page_where.append(
                or_(
                    v.last_updated < lu,
                    and_(
                        v.last_updated == lu,
                        or_(v.resource_pk < pk, and_(v.resource_pk == pk, v.version_id < vid)),
                    ),
                )
            )
        rows = self.session.scalars(
            select(v)
            .where(*page_where)
            .order_by(v.last_updated.desc(), v.resource_pk.desc(), v.version_id.desc())
            .limit(count + 1)
        ).all()
        entries = [_stored(r) for r in rows[:count]]
        more = len(rows) > count and count > 0
        last = entries[-1] if entries else None
        next_cursor = encode_cursor(last.last_updated, last.pk, last.version_id) if more and last else None
        return HistoryPage(entries, total, next_cursor, self._recreations(entries))

    def _recreations(self, entries: list[StoredResource]) -> frozenset[tuple[int, int]]:
        """The PUT versions among `entries` that follow a deletion: a create-on-update, answered 201."""
        later = [(e.pk, e.version_id - 1) for e in entries if e.method == "PUT" and e.version_id > 1]
        if not later:
            return frozenset()
        v = ResourceVersion
        found = set()
        for start in range(0, len(later), 500):
            found.update(
                self.session.execute(
                    select(v.resource_pk, v.version_id).where(
                        v.deleted.is_(True),
                        tuple_(v.resource_pk, v.version_id).in_(later[start : start + 500]),
                    )
                ).all()
            )
        return frozenset((pk, version + 1) for pk, version in found)

    # --- internals -------------------------------------------------------------------------

    def _current(self, resource_type: str, resource_id: str, lock: bool) -> Resource | None:
        query = select(Resource).where(Resource.type == resource_type, Resource.id == resource_id)
        if lock and self._lock_rows:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def _write(self, row: Resource | None, resource: dict, resource_id: str, method: str) -> StoredResource:
        last_updated = now()
        version_id = 1 if row is None else row.version_id + 1
        stored = stamp(resource, resource_id, version_id, last_updated)
        content = serialize(stored)
        if row is None:
            row = Resource(type=resource["resourceType"], id=resource_id)
            self.session.add(row)
        row.version_id, row.last_updated, row.deleted, row.content = version_id, last_updated, False, content
        self.session.flush()  # assigns row.pk for the version row and the index
        self.session.add(self._version_of(row, method))
        index_hook().index(self.session, row.pk, stored)
        self.session.flush()
        return _stored(row, method)

    @staticmethod
    def _version_of(row: Resource, method: str) -> ResourceVersion:
        return ResourceVersion(
            resource_pk=row.pk,
            version_id=row.version_id,
            type=row.type,
            id=row.id,
            last_updated=row.last_updated,
            deleted=row.deleted,
            method=method,
            content=row.content,
        )


def encode_cursor(last_updated: datetime, pk: int, version_id: int) -> str:
    raw = json.dumps([last_updated.isoformat(), pk, version_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int, int]:
    """Raises ValueError on anything that is not a cursor this module made."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        lu, pk, vid = json.loads(raw)
        at = datetime.fromisoformat(lu)
        if at.tzinfo is None:
            raise ValueError("no time zone")
        return at.astimezone(UTC), int(pk), int(vid)  # astimezone: OverflowError past 9999
    except Exception as exc:
        raise ValueError(f"Invalid history page cursor {cursor!r}") from exc
