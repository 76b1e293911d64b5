"""Store integrity check (`fhir-service check`): what must hold after any crash or bulk load.

1. history: each current row has its version in resource_version with the same content, no
   version beyond it exists, and none of versions 1..current is missing;
2. references: every `Reference.reference` in a live resource resolves — `Type/id` to a live
   resource, `Type/id/_history/v` to a stored version, `#id` to a contained resource; a stored
   `urn:uuid:`/`urn:oid:` or conditional (`Type?…`) reference is an error (a transaction should have
   rewritten it). Absolute URLs count when they start with `base_url`, else they are external;
3. search index: no index row belongs to a deleted or missing resource, every live resource has its
   full-text row (search_text), and (unless `deep` is off)
   each live resource's rows are exactly those its current content yields — so no row survives
   from an older version.

Memory: one (type, id) key per live resource plus one resource at a time.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session, aliased

from fhir_service.references import iter_references
from fhir_service.store.schema import Resource, ResourceVersion

MAX_PROBLEMS = 1000


@dataclass
class Report:
    resources: int = 0
    references: int = 0
    index_rows: int = 0
    problems: list[str] = field(default_factory=list)
    more: int = 0  # problems beyond MAX_PROBLEMS, counted only

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more += 1


def check_store(engine: Engine, base_url: str | None = None, deep: bool = True) -> Report:
    report = Report()
    with Session(engine) as session:
        _check_history(session, report)
        live = _live_keys(session)
        report.resources = len(live)
        _check_references(session, live, base_url, report)
        _check_index(session, report, deep)
    return report


def _check_history(session: Session, report: Report) -> None:
    r, v = Resource, ResourceVersion
    missing = session.execute(
        select(r.type, r.id, r.version_id)
        .outerjoin(v, and_(v.resource_pk == r.pk, v.version_id == r.version_id))
        .where(v.resource_pk.is_(None))
    )
    for rtype, rid, vid in missing:
        report.problem(f"{rtype}/{rid}: current version {vid} has no resource_version row")
    differs = session.execute(
        select(r.type, r.id, r.version_id)
        .join(v, and_(v.resource_pk == r.pk, v.version_id == r.version_id))
        .where((v.deleted != r.deleted) | (func.coalesce(v.content, b"") != func.coalesce(r.content, b"")))
    )
    for rtype, rid, vid in differs:
        report.problem(f"{rtype}/{rid}: current row differs from its version {vid} in resource_version")
    v2 = aliased(ResourceVersion)
    # versions run 1..current: (resource_pk, version_id) is unique, so with none beyond the current
    # one, fewer rows than the current version number means a version is missing
    uneven = session.execute(
        select(r.type, r.id, r.version_id, func.max(v2.version_id), func.count(v2.version_id))
        .join(v2, v2.resource_pk == r.pk)
        .group_by(r.pk, r.type, r.id, r.version_id)
        .having((func.max(v2.version_id) > r.version_id) | (func.count(v2.version_id) != r.version_id))
    )
    for rtype, rid, current, latest, count in uneven:
        if latest > current:
            report.problem(f"{rtype}/{rid}: resource_version has version {latest} beyond the current row")
        else:
            report.problem(
                f"{rtype}/{rid}: {count} versions in resource_version for current version {current}"
            )


def _live_keys(session: Session) -> set[tuple[str, str]]:
    rows = session.execute(select(Resource.type, Resource.id).where(Resource.deleted.is_(False)))
    return {(t, i) for t, i in rows}


def _relative(reference: str, base_url: str | None) -> str | None:
    """The reference relative to this server, or None when it points elsewhere."""
    if base_url and reference.startswith(base_url.rstrip("/") + "/"):
        return reference[len(base_url.rstrip("/")) + 1 :]
    if "://" in reference:
        return None
    return reference


def _check_references(session: Session, live: set, base_url: str | None, report: Report) -> None:
    query = select(Resource.type, Resource.id, Resource.content).where(Resource.deleted.is_(False))
    for rtype, rid, content in session.execute(query.order_by(Resource.pk).execution_options(yield_per=500)):
        resource = json.loads(content)
        contained = {c.get("id") for c in resource.get("contained", []) if isinstance(c, dict)}
        for reference in iter_references(resource):
            report.references += 1
            problem = _reference_problem(session, reference, live, contained, base_url)
            if problem:
                report.problem(f"{rtype}/{rid}: reference '{reference}' {problem}")


def _reference_problem(session, reference: str, live: set, contained: set, base_url) -> str | None:
    if reference.startswith("#"):
        return None if reference == "#" or reference[1:] in contained else "names no contained resource"
    if reference.startswith(("urn:uuid:", "urn:oid:")):
        return "is a Bundle-local urn that was never rewritten"
    relative = _relative(reference, base_url)
    if relative is None:
        return None  # external
    path, _, _fragment = relative.partition("#")
    if "?" in path:
        return "is a conditional reference that was never resolved"
    parts = path.split("/")
    if len(parts) == 2:
        return None if tuple(parts) in live else "does not resolve to a live resource"
    if len(parts) == 4 and parts[2] == "_history" and parts[3].isdigit():
        found = session.scalar(
            select(func.count())
            .select_from(ResourceVersion)
            .where(
                ResourceVersion.type == parts[0],
                ResourceVersion.id == parts[1],
                ResourceVersion.version_id == int(parts[3]),
                ResourceVersion.deleted.is_(False),
            )
        )
        return None if found else "does not resolve to a stored version"
    return None  # not a RESTful reference (e.g. a bare identifier-like string in a uri element)


def _index_tables():
    from fhir_service.store.index_tables import INDEX_TABLES

    return INDEX_TABLES


def _check_index(session: Session, report: Report, deep: bool) -> None:
    for kind, table in _index_tables().items():
        t = table.__table__
        report.index_rows += session.scalar(select(func.count()).select_from(t)) or 0
        stale = session.execute(
            select(t.c.resource_pk, Resource.type, Resource.id, func.count())
            .select_from(t.outerjoin(Resource, Resource.pk == t.c.resource_pk))
            .where((Resource.pk.is_(None)) | (Resource.deleted.is_(True)))
            .group_by(t.c.resource_pk, Resource.type, Resource.id)
        )
        for pk, rtype, rid, count in stale:
            whose = f"{rtype}/{rid} (deleted)" if rtype else f"missing resource pk {pk}"
            report.problem(f"{count} {kind} index rows belong to {whose}")
    from fhir_service.search import text

    stale, missing = text.check(session.connection())
    if stale:
        report.problem(f"{stale} full-text (search_text) rows belong to deleted or missing resources")
    if missing:
        report.problem(f"{missing} live resources have no full-text (search_text) row")
    if deep:
        _check_index_content(session, report)


def _row_key(row: dict) -> tuple:
    """An index row without its surrogate key and owner; unset columns dropped on both sides."""
    return tuple(sorted((k, v) for k, v in row.items() if k not in ("row", "resource_pk") and v is not None))


BATCH = 200


def _check_index_content(session: Session, report: Report) -> None:
    """Each live resource's index rows equal what its current content yields (no leftovers)."""
    from fhir_service.search.active import active_registry
    from fhir_service.search.indexer import rows_for

    registry = active_registry(session)
    tables = _index_tables()
    query = select(Resource.pk, Resource.type, Resource.id, Resource.content).where(
        Resource.deleted.is_(False)
    )
    rows = session.execute(query.order_by(Resource.pk).execution_options(yield_per=BATCH))
    for batch in rows.partitions(BATCH):
        pks = [pk for pk, *_ in batch]
        stored: dict[tuple[str, int], Counter] = {}
        for kind, table in tables.items():
            t = table.__table__
            for r in session.execute(select(t).where(t.c.resource_pk.in_(pks))):
                mapping = dict(r._mapping)
                stored.setdefault((kind, mapping["resource_pk"]), Counter())[_row_key(mapping)] += 1
        for pk, rtype, rid, content in batch:
            expected = rows_for(registry, json.loads(content))
            for kind in tables:
                have = stored.get((kind, pk), Counter())
                want = Counter(_row_key(r) for r in expected.get(kind, []))
                if have != want:
                    report.problem(
                        f"{rtype}/{rid}: {kind} index rows differ from its current version "
                        f"({sum((have - want).values())} stale, {sum((want - have).values())} missing)"
                    )
