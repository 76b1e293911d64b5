"""Idempotent ingest into the store: make the resources of one *source* (a monograph or a FHIR file)
what the store holds, touching only what changed.

- a resource whose content (ignoring meta.versionId/lastUpdated) equals the stored one: no new version;
- a changed or new resource: a new version;
- a resource the source produced last time but not now, and no other source still produces: deleted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, insert, select

from fhir_service.store.schema import IngestMember

VOLATILE_META = ("versionId", "lastUpdated")


def canonical(resource: dict) -> str:
    """The content that decides whether a new version is needed."""
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in VOLATILE_META}
    body = {k: v for k, v in resource.items() if k != "meta"}
    if meta:
        body["meta"] = meta
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sync_source(
    uow, source: str, resources: Iterable[dict], index_rows: dict | None = None, rows_registry=None
) -> Counter:
    """Store `resources` as the current output of `source`. → Counter(created, updated, unchanged, deleted).

    `index_rows`/`rows_registry`: search index rows computed ahead, see Repository.put_many."""
    counts: Counter = Counter()
    resources = list(resources)
    keys = [(r["resourceType"], r["id"]) for r in resources]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{source} produces the same resource twice")
    current = uow.read_many(keys)
    changed = []
    for resource, key in zip(resources, keys, strict=True):
        stored = current.get(key)
        if stored is not None and not stored.deleted and canonical(stored.resource()) == canonical(resource):
            counts["unchanged"] += 1
        else:
            changed.append(resource)
    for _, created in uow.put_many(changed, current, index_rows=index_rows, rows_registry=rows_registry):
        counts["created" if created else "updated"] += 1
    deleted = _delete_disappeared(uow, source, set(keys))
    if deleted:
        counts["deleted"] += deleted
    _remember(uow.session, source, set(keys))
    return counts


def _delete_disappeared(uow, source: str, keys: set[tuple[str, str]]) -> int:
    session = uow.session
    previous = {
        (m.type, m.id) for m in session.scalars(select(IngestMember).where(IngestMember.source == source))
    }
    deleted = 0
    for rtype, rid in sorted(previous - keys):
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
