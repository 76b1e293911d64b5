"""_sort keys and keyset paging.

A sort key is a correlated MIN (ascending) or MAX (descending) over the parameter's index rows,
with missing values mapped to a sentinel that sorts last, so keys are never NULL and the keyset
condition stays a plain comparison. Every ordering ends with the resource pk (unique, stable)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from fhir_service.store.index_tables import INDEX_TABLES
from fhir_service.store.schema import Resource

from ..errors import SearchError
from ..indexer import sp_of
from ..registry import Registry
from ..types import MODULES
from ..types.common import MAX_CHAR

R = Resource.__table__
_SENTINELS = {  # (ascending: missing sorts after everything, descending: before nothing)
    "string": (MAX_CHAR, ""),
    "token": (MAX_CHAR, ""),
    "reference": (MAX_CHAR, ""),
    "uri": (MAX_CHAR, ""),
    "date": (2**62, -(2**62)),
    "number": (1e308, -1e308),
    "quantity": (1e308, -1e308),
}


@dataclass(frozen=True)
class SortKey:
    expression: object  # SQL expression, never NULL
    descending: bool


def sort_keys(registry: Registry, types: list[str], sort: list[tuple[str, bool]]) -> list[SortKey]:
    keys = []
    for code, descending in sort:
        if code == "_id":
            keys.append(SortKey(R.c.id, descending))
            continue
        if code == "_lastUpdated":
            keys.append(SortKey(R.c.last_updated, descending))
            continue
        params = [(t, registry.get(t, code)) for t in types]
        params = [(t, p) for t, p in params if p is not None and p.type in MODULES and p.expression]
        if not params:
            raise SearchError(f"Cannot sort on '{code}': not a sortable parameter of {', '.join(types)}")
        kind = params[0][1].type
        table = INDEX_TABLES[kind].__table__
        module = MODULES[kind]
        try:
            column = module.sort_column(table.c, descending)
        except TypeError:
            column = module.sort_column(table.c)
        aggregate = func.max(column) if descending else func.min(column)
        sps = sorted({sp_of(p, t) for t, p in params})
        same_param = table.c.sp == sps[0] if len(sps) == 1 else table.c.sp.in_(sps)
        value = select(aggregate).where(table.c.resource_pk == R.c.pk, same_param).scalar_subquery()
        sentinel = _SENTINELS[kind][1 if descending else 0]
        keys.append(SortKey(func.coalesce(value, sentinel), descending))
    return keys


def after(columns: list, descending: list[bool], values: list, reverse: bool):
    """Rows strictly after `values` in the ordering (before them when `reverse`), expanded OR form
    because directions may differ between keys."""
    alternatives = []
    for i, (column, desc, value) in enumerate(zip(columns, descending, values, strict=True)):
        forward = (column < value) if desc != reverse else (column > value)
        alternatives.append(and_(*(c == v for c, v in zip(columns[:i], values[:i], strict=True)), forward))
    return or_(*alternatives)
