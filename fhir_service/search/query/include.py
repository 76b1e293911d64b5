"""_include and _revinclude (with :iterate and *), following search_reference by (type, id)."""

from __future__ import annotations

from sqlalchemy import and_, select

from fhir_service.store.schema import Resource

from ..errors import SearchError
from ..indexer import sp_of
from ..registry import Registry
from ..tables import INDEX_TABLES
from .parse import Include

R = Resource.__table__
REF = INDEX_TABLES["reference"].__table__
MAX_ROUNDS = 5  # :iterate depth
MAX_INCLUDED = 1000


def _sps(registry: Registry, include: Include, types: list[str]) -> list[int] | None:
    """The reference parameters an include follows; None means all of them (`*`)."""
    if include.code == "*":
        return None
    param = registry.get(include.source_type, include.code)
    if param is None or param.type != "reference":
        raise SearchError(
            400, f"Invalid include: {include.source_type} has no reference parameter '{include.code}'"
        )
    return [sp_of(param, include.source_type)]


def _forward(session, sps, include: Include, pks: set[int]) -> set[int]:
    target = R.alias()
    source = R.alias()
    query = (
        select(target.c.pk)
        .select_from(
            REF.join(target, and_(target.c.type == REF.c.target_type, target.c.id == REF.c.target_id)).join(
                source, source.c.pk == REF.c.resource_pk
            )
        )
        .where(REF.c.resource_pk.in_(pks), target.c.deleted.is_(False))
    )
    if sps is not None:
        query = query.where(REF.c.sp.in_(sps))
    if include.source_type != "*":
        query = query.where(source.c.type == include.source_type)
    if include.target_type:
        query = query.where(target.c.type == include.target_type)
    return set(session.scalars(query.limit(MAX_INCLUDED)))


def _reverse(session, sps, include: Include, pks: set[int]) -> set[int]:
    """Resources whose reference parameter points at one of `pks`: first the targets' (type, id),
    then search_reference by (target_type, target_id, sp), the index built for exactly this."""
    targets: dict[str, list[str]] = {}
    for rtype, rid in session.execute(select(R.c.type, R.c.id).where(R.c.pk.in_(pks))):
        if include.target_type in (None, rtype):
            targets.setdefault(rtype, []).append(rid)
    found: set[int] = set()
    for rtype, ids in targets.items():
        query = select(REF.c.resource_pk).where(REF.c.target_type == rtype, REF.c.target_id.in_(ids))
        if sps is not None:
            query = query.where(REF.c.sp.in_(sps))
        elif include.source_type != "*":
            source = R.alias()
            query = query.join(source, source.c.pk == REF.c.resource_pk).where(
                source.c.type == include.source_type
            )
        found |= set(session.scalars(query.limit(MAX_INCLUDED)))
    return found


def included(
    session, registry: Registry, includes: list[Include], types: list[str], matches: list[int]
) -> list[int]:
    """pks of the resources to add with search.mode=include (never one of the matches)."""
    if not includes or not matches:
        return []
    found: set[int] = set()
    matched = set(matches)
    plain = [i for i in includes if not i.iterate]
    iterating = [i for i in includes if i.iterate]
    for include in plain:
        step = _reverse if include.reverse else _forward
        found |= step(session, _sps(registry, include, types), include, matched)
    frontier = matched | found
    for _ in range(MAX_ROUNDS):
        if not iterating or not frontier or len(found) >= MAX_INCLUDED:
            break
        new: set[int] = set()
        for include in iterating:
            step = _reverse if include.reverse else _forward
            new |= step(session, _sps(registry, include, types), include, frontier)
        frontier = new - found - matched
        found |= frontier
    return sorted(found - matched)[:MAX_INCLUDED]
