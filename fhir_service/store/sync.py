"""Idempotent ingest into the store: make the resources of one *source* (a monograph or a FHIR file)
what the store holds, touching only what changed.

- a resource whose content (ignoring meta.versionId/lastUpdated) equals the stored one: no new version;
- a changed or new resource: a new version;
- a resource the source produced last time but not now, and no other source still produces: deleted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, insert, select

from fhir_service import jsontext
from fhir_service.store.bulk import insert_many
from fhir_service.store.schema import IngestMember
from fhir_service.store.serialized import Serialized, as_dict
from fhir_service.store.serialized import key as resource_key
from fhir_service.stored import format_instant

VOLATILE_META = ("versionId", "lastUpdated")


def canonical(resource: dict) -> str:
    """The content that decides whether a new version is needed."""
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in VOLATILE_META}
    body = {k: v for k, v in resource.items() if k != "meta"}
    if meta:
        body["meta"] = meta
    return jsontext.dumps(body, sort_keys=True)


def _unchanged(stored, resource) -> bool:
    """Whether `resource` (a dict or Serialized) has the content of the stored version. A Serialized
    one is first compared as the bytes it would be stored as with that version's meta: the same
    serializer made both, so equal content is equal bytes, unless the stored one came another way."""
    if stored is None or stored.deleted:
        return False
    if isinstance(resource, Serialized):
        if resource.content(stored.version_id, format_instant(stored.last_updated)) == stored.content:
            return True
    return canonical(stored.resource()) == canonical(as_dict(resource))


def sync_source(
    uow, source: str, resources: Iterable[dict], index_rows: dict | None = None, rows_registry=None
) -> Counter:
    """Store `resources` (dicts, or Serialized by ingest's workers) as the current output of `source`.
    → Counter(created, updated, unchanged, deleted).

    `index_rows`/`rows_registry`: search index rows computed ahead, see UnitOfWork.put_many."""
    resources = list(resources)
    keys = [resource_key(r) for r in resources]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{source} produces the same resource twice")
    counts = _write_changed(uow, list(zip(resources, keys, strict=True)), index_rows, rows_registry)
    deleted = _delete_disappeared(uow, source, set(keys))
    if deleted:
        counts["deleted"] += deleted
    _remember(uow.session, source, set(keys))
    return counts


def sync_sources(uow, sources: list[tuple[str, list[dict], dict | None]], rows_registry=None) -> Counter:
    """`sync_source` for each (source, resources, index_rows) in order, in a few statements for all
    of them (ingest: a statement per source and type cost the writer more than the rows did).

    Same result as the calls one by one. When sources of the batch share a resource (one produces
    it or produced it last time, another produces it now) the order matters: then it is those calls."""
    keys_of = [[resource_key(r) for r in resources] for _, resources, _ in sources]
    names = [source for source, _, _ in sources]
    previous = _members(uow.session, names)
    touched = [set(keys) | previous.get(name, set()) for name, keys in zip(names, keys_of, strict=True)]
    if (
        len(set(names)) != len(names)
        or sum(map(len, touched)) != len(set().union(*touched))
        or any(len(set(keys)) != len(keys) for keys in keys_of)
    ):
        counts: Counter = Counter()
        for source, resources, index_rows in sources:
            counts.update(sync_source(uow, source, resources, index_rows, rows_registry))
        return counts
    index_rows = {key: rows for _, _, found in sources for key, rows in (found or {}).items()}
    pairs = [
        pair
        for (_, resources, _), keys in zip(sources, keys_of, strict=True)
        for pair in zip(resources, keys, strict=True)
    ]
    counts = _write_changed(uow, pairs, index_rows, rows_registry)
    for name, keys in zip(names, keys_of, strict=True):
        gone = previous.get(name, set()) - set(keys)
        if gone:
            counts["deleted"] += _delete_unclaimed(uow, name, gone)
    session = uow.session
    if previous:
        session.execute(delete(IngestMember).where(IngestMember.source.in_(list(previous))))
    members = [
        {"source": n, "type": t, "id": i}
        for n, keys in zip(names, keys_of, strict=True)
        for t, i in sorted(set(keys))
    ]
    insert_many(session, IngestMember.__table__, members)
    return +counts


def _write_changed(uow, pairs: list[tuple], index_rows: dict | None, rows_registry) -> Counter:
    """Of (resource, key) pairs, write those whose content differs from the stored version.
    → Counter(created, updated, unchanged)."""
    counts: Counter = Counter()
    current = uow.read_many([key for _, key in pairs])
    changed = []
    for resource, key in pairs:
        if _unchanged(current.get(key), resource):
            counts["unchanged"] += 1
        else:
            changed.append(resource)
    for _, created in uow.put_many(changed, current, index_rows=index_rows, rows_registry=rows_registry):
        counts["created" if created else "updated"] += 1
    return counts


def _members(session, sources: list[str]) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    for start in range(0, len(sources), 500):
        chunk = sources[start : start + 500]
        query = select(IngestMember.source, IngestMember.type, IngestMember.id).where(
            IngestMember.source.in_(chunk)
        )
        for source, rtype, rid in session.execute(query):
            found.setdefault(source, set()).add((rtype, rid))
    return found


def _delete_disappeared(uow, source: str, keys: set[tuple[str, str]]) -> int:
    session = uow.session
    previous = {
        (m.type, m.id) for m in session.scalars(select(IngestMember).where(IngestMember.source == source))
    }
    return _delete_unclaimed(uow, source, previous - keys)


def _delete_unclaimed(uow, source: str, gone: set[tuple[str, str]]) -> int:
    """Delete the resources in `gone` (`source` no longer produces them) no other source claims."""
    session = uow.session
    deleted = 0
    for rtype, rid in sorted(gone):
        claimed_elsewhere = session.scalar(
            select(IngestMember.source).where(
                IngestMember.type == rtype, IngestMember.id == rid, IngestMember.source != source
            )
        )
        if claimed_elsewhere is None:
            stored = uow.read(rtype, rid)
            if stored is not None and not stored.deleted:
                uow.delete(rtype, rid)
                deleted += 1
    return deleted


def _remember(session, source: str, keys: set[tuple[str, str]]) -> None:
    session.execute(delete(IngestMember).where(IngestMember.source == source))
    if keys:
        session.execute(
            insert(IngestMember), [{"source": source, "type": t, "id": i} for t, i in sorted(keys)]
        )
