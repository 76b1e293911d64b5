"""Write-time indexing: the index rows of a resource's current version, replaced in the caller's
transaction. History versions are never indexed; a deleted resource has no rows."""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType

from sqlalchemy import bindparam, delete

from fhir_service.store.index_tables import INDEX_TABLES

from . import text
from .extract import compile_expression, reference_type_of
from .hashing import param_hash
from .registry import COMMON_BASES, Registry, SearchParam
from .types import MODULES, composite


def sp_of(param: SearchParam, resource_type: str, code: str | None = None) -> int:
    """Common parameters hash with "Resource" so one predicate serves a search across types."""
    owner = "Resource" if any(b in COMMON_BASES for b in param.base) else resource_type
    return param_hash(owner, code or param.code)


@lru_cache(maxsize=1024)
def _plan(reg: Registry, resource_type: str) -> tuple[tuple[SearchParam, ModuleType | None, int], ...]:
    """(parameter, its type's module or None for a composite, sp) per indexed parameter of the type:
    the registry's lookups once per type, not once per resource (ingest indexes thousands)."""
    return tuple(
        (param, MODULES.get(param.type), sp_of(param, resource_type))
        for param in reg.indexed_params(resource_type)
        if param.type == "composite" or param.type in MODULES
    )


def _extracted(reg: Registry, resource: dict):
    """(kind, rows, sp) per indexed parameter with values; sp None when the rows are complete
    (composites), else each row still needs its `sp` and `grp` 0."""
    rtype = resource["resourceType"]
    context = {"resource": resource}
    for param, module, sp in _plan(reg, rtype):
        if module is None:
            for kind, found in composite.extract_rows(reg, rtype, param, resource, sp_of).items():
                yield kind, found, None
            continue
        values = []
        for part in compile_expression(rtype, param.expression):  # extract.evaluate, inlined
            found = part.evaluate(resource, context)
            if part.reference_type:
                found = [v for v in found if reference_type_of(v) == part.reference_type]
            values.extend(found)
        found = module.extract(values) if values else None
        if not found:
            continue
        if len(found) > 1:  # repeated values: one row
            found = list({tuple(sorted(r.items())): r for r in found}.values())
        yield param.type, found, sp


def rows_for(reg: Registry, resource: dict) -> dict[str, list[dict]]:
    """Index rows by parameter type for one resource (pure: no database)."""
    rows: dict[str, list[dict]] = {}
    for kind, found, sp in _extracted(reg, resource):
        if sp is not None:
            found = [{**r, "sp": sp, "grp": 0} for r in found]
        rows.setdefault(kind, []).extend(found)
    return rows


TEXT_ROW = ("text", ("narrative", "content"))  # packed_rows' group of the full-text row


def packed_rows(
    reg: Registry, resource: dict, text_dialect: str | None = None
) -> dict[tuple[str, tuple[str, ...]], list[tuple]]:
    """rows_for's rows as value tuples by (kind, columns) - composite rows may fill fewer columns -
    and, given the database's dialect, the full-text row (TEXT_ROW). What index_many inserts; an
    ingest worker sends these (a tuple unpickles far cheaper than a dict in the single writer, and
    the text's words are more work than all other rows)."""
    packed: dict[tuple[str, tuple[str, ...]], list[tuple]] = {}
    for kind, found, sp in _extracted(reg, resource):
        for row in found:
            if sp is None:
                packed.setdefault((kind, tuple(row)), []).append(tuple(row.values()))
            else:
                packed.setdefault((kind, (*row, "sp", "grp")), []).append((*row.values(), sp, 0))
    if text_dialect is not None:
        packed[TEXT_ROW] = [text.values(resource, text_dialect)]
    return packed


def index_resource(session, resource_pk: int, resource: dict) -> None:
    """Replace the index rows of `resource_pk` with those of `resource` (its current version)."""
    from .active import active_registry

    if (resource.get("meta") or {}).get("versionId") != "1":  # version 1 is a new pk: nothing to replace
        remove_from_index(session, resource_pk)
    insert_rows(session, resource_pk, rows_for(active_registry(session), resource))
    text.write(session.connection(), [(resource_pk, resource)])  # _text/_content (removed above)


def insert_rows(session, resource_pk: int, rows: dict[str, list[dict]]) -> None:
    for kind, found in rows.items():
        if found:
            session.execute(
                INDEX_TABLES[kind].__table__.insert(), [{**r, "resource_pk": resource_pk} for r in found]
            )


_DELETES = [
    delete(table.__table__).where(table.__table__.c.resource_pk == bindparam("pk"))
    for table in INDEX_TABLES.values()
]


def remove_from_index(session, resource_pk: int) -> None:
    """Drop every index row of a resource (deleted, or about to be re-indexed)."""
    for statement in _DELETES:
        session.execute(statement, {"pk": resource_pk})
    text.remove(session.connection(), [resource_pk])


def index_many(session, items, rows_registry: Registry | None = None) -> None:
    """Index a batch of stored resources in one statement per table (ingest, put_many).

    `items` are (resource_pk, resource, is_new, rows) (resource: a dict or store.serialized's
    Serialized): a new pk has no rows to delete; `rows` may be
    precomputed by `packed_rows` elsewhere (ingest workers) and are used only when they were computed
    with `rows_registry` and that is still the active registry (else recomputed here)."""
    from fhir_service.store.bulk import insert_tuples
    from fhir_service.store.serialized import as_dict

    from .active import active_registry

    reg = active_registry(session)
    replaced = [pk for pk, _, is_new, _ in items if not is_new]
    for start in range(0, len(replaced), 500):
        chunk = replaced[start : start + 500]
        for table in INDEX_TABLES.values():
            session.execute(delete(table.__table__).where(table.__table__.c.resource_pk.in_(chunk)))
    conn = session.connection()
    text.remove(conn, replaced)  # _text/_content: one full-text row per resource
    dialect = conn.dialect.name
    batches: dict[tuple[str, tuple[str, ...]], list[tuple]] = {}
    text_rows = []
    for pk, resource, _, rows in items:
        if rows is None or rows_registry is not reg:
            rows = packed_rows(reg, as_dict(resource), dialect)
        for group, values in rows.items():
            if group != TEXT_ROW:
                batches.setdefault(group, []).extend([(*v, pk) for v in values])
        text_rows.append(
            (pk, *(rows[TEXT_ROW][0] if TEXT_ROW in rows else text.values(as_dict(resource), dialect)))
        )
    for (kind, columns), values in batches.items():
        insert_tuples(session, INDEX_TABLES[kind].__table__, (*columns, "resource_pk"), values)
    text.insert(conn, text_rows)
