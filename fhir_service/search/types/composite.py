"""composite: each component is indexed into its own type's table under the sp of `code$index`,
and rows taken from the same item share `grp`; a query value `a$b` matches when one item's
component rows match a and b (a join on resource_pk and grp)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from fhir_service.store.index_tables import INDEX_TABLES

from ..errors import SearchError
from ..extract import evaluate, evaluate_on_item
from ..registry import Registry, SearchParam
from .common import split_escaped

MAX_GROUP = 32767  # grp is a SmallInteger
SpFor = Callable[[SearchParam, str, str], int]  # (param, resource type, code) → sp


def component_code(param: SearchParam, index: int) -> str:
    return f"{param.code}${index}"


def extract_rows(registry: Registry, rtype: str, param: SearchParam, resource: dict, sp_for: SpFor):
    """Index rows by component type for one resource."""
    from . import MODULES

    rows: dict[str, list[dict]] = {}
    for grp, item in enumerate(evaluate(rtype, param.expression, resource)[:MAX_GROUP], start=1):
        for index, (definition, expression) in enumerate(param.components):
            component = registry.by_url(definition)
            if component is None or component.type not in MODULES:
                continue
            sp = sp_for(param, rtype, component_code(param, index))
            for row in MODULES[component.type].extract(evaluate_on_item(expression, item)):
                rows.setdefault(component.type, []).append({**row, "sp": sp, "grp": grp})
    return rows


def matching_rows(
    registry: Registry, rtype: str, param: SearchParam, values: list[str], sp_for: SpFor, predicate
):
    """One SELECT of resource pks per query value; `predicate(module, columns, raw, component)`
    is the component type's own predicate."""
    from . import MODULES

    components = [registry.by_url(url) for url, _ in param.components]
    if any(c is None or c.type not in MODULES for c in components):
        raise SearchError(f"Composite '{param.code}' has components this server cannot search")
    selects = []
    for value in values:
        parts = split_escaped(value, "$")
        if len(parts) != len(components):
            raise SearchError(f"'{param.code}' needs {len(components)} '$'-separated values, got '{value}'")
        tables = [INDEX_TABLES[c.type].__table__.alias() for c in components]
        first = tables[0]
        where = []
        for index, (component, table, part) in enumerate(zip(components, tables, parts, strict=True)):
            where.append(table.c.sp == sp_for(param, rtype, component_code(param, index)))
            where.append(predicate(MODULES[component.type], table.c, part, component))
            if index:
                where += [table.c.resource_pk == first.c.resource_pk, table.c.grp == first.c.grp]
        selects.append(select(first.c.resource_pk).select_from(*tables).where(*where))
    return selects
