"""_include and _revinclude (with :iterate and *), following search_reference by (type, id)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, and_, bindparam, select

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


@cache
def _statement(reverse: bool, by_sp: bool, source_type: bool, target_type: bool) -> Select:
    """One prebuilt statement per shape, the values bound at execution: building and cache-keying a
    fresh Select per include cost more than running it. Forward: the targets of the `pks`'
    references. Reverse: the resources whose references point at (`target_type`, one of `ids`),
    through the (target_type, target_id, sp) index (a join from the targets' pks instead let SQLite
    read every row of the parameter at ×20)."""
    source = R.alias("source")
    if reverse:
        query = select(REF.c.resource_pk).where(
            REF.c.target_type == bindparam("target_type"),
            REF.c.target_id.in_(bindparam("ids", expanding=True)),
        )
    else:
        target = R.alias("target")
        joined = REF.join(target, and_(target.c.type == REF.c.target_type, target.c.id == REF.c.target_id))
        query = (
            select(target.c.pk)
            .select_from(joined)
            .where(REF.c.resource_pk.in_(bindparam("pks", expanding=True)), target.c.deleted.is_(False))
        )
        if target_type:
            query = query.where(target.c.type == bindparam("target_type"))
    if by_sp:
        query = query.where(REF.c.sp.in_(bindparam("sps", expanding=True)))
    if source_type:
        query = query.join(source, source.c.pk == REF.c.resource_pk)
        query = query.where(source.c.type == bindparam("source_type"))
    return query.limit(MAX_INCLUDED)


_TYPE_ID = select(R.c.type, R.c.id).where(R.c.pk.in_(bindparam("pks", expanding=True)))


def _step(session, sps, include: Include, pks: set[int]) -> set[int]:
    connection = session.connection()
    values = {"sps": sps, "source_type": include.source_type, "target_type": include.target_type}
    if not include.reverse:
        statement = _statement(
            False, sps is not None, include.source_type != "*", include.target_type is not None
        )
        return set(connection.scalars(statement, {**values, "pks": sorted(pks)}))
    # a reverse step by sp needs no source type: sp hashes (source type, code)
    statement = _statement(True, sps is not None, include.source_type != "*" and sps is None, False)
    targets: dict[str, list[str]] = {}
    for rtype, rid in connection.execute(_TYPE_ID, {"pks": sorted(pks)}):
        if include.target_type in (None, rtype):
            targets.setdefault(rtype, []).append(rid)
    found: set[int] = set()
    for rtype, ids in targets.items():
        found |= set(connection.scalars(statement, {**values, "target_type": rtype, "ids": ids}))
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
        found |= _step(session, _sps(registry, include, types), include, matched)
    frontier = matched | found
    for _ in range(MAX_ROUNDS):
        if not iterating or not frontier or len(found) >= MAX_INCLUDED:
            break
        new: set[int] = set()
        for include in iterating:
            new |= _step(session, _sps(registry, include, types), include, frontier)
        frontier = new - found - matched
        found |= frontier
    return sorted(found - matched)[:MAX_INCLUDED]
