"""Compile parsed clauses into SQL conditions on a resource pk column.

Every clause becomes `pk IN (SELECT resource_pk FROM search_<type> WHERE sp = :sp AND (v1 OR v2…))`
(or NOT IN for :not and :missing=true), so the planner can drive the search from the index. Chains
join search_reference to the target resource by (type, id) and nest the rest of the chain on the
target's pk; `_has` does the same in reverse. All values are bound parameters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, column, false, or_, select, table, union_all

from fhir_service.store.index_tables import INDEX_TABLES
from fhir_service.store.schema import Resource

from .. import text
from ..dates import parse_range, to_datetime
from ..errors import SearchError
from ..hashing import h64
from ..indexer import sp_of
from ..registry import Registry, SearchParam
from ..types import MODULES, composite
from ..types.common import split_prefix
from ..types.date import range_predicate
from .parse import Clause

R = Resource.__table__
ANY_TYPE = "Resource"  # system-level search without _type
REF = INDEX_TABLES["reference"].__table__
# What chains, _has and _list/_in alias: resource and search_reference with only the columns they
# use, because an alias builds a proxy per column on first use.
_R = table(
    "resource", *(column(c.name, c.type) for c in (R.c.pk, R.c.type, R.c.id, R.c.deleted, R.c.last_updated))
)
_REF = table(
    "search_reference",
    *(column(c.name, c.type) for c in (REF.c.resource_pk, REF.c.sp, REF.c.target_type, REF.c.target_id)),
)
# _list / _in: the container types and the reference parameter that lists their members
MEMBERS = {"List": "item", "Group": "member", "CareTeam": "participant"}
HANDLED = {"_id", "_lastUpdated", "_text", "_content", "_list", "_in"}  # not plain index lookups
MODIFIERS = {
    "token": {"not", "text", "of-type", "in", "not-in", "missing", "below", "above"},
    "string": {"exact", "contains", "missing"},
    "reference": {"identifier", "missing"},
    "date": {"missing"},
    "number": {"missing"},
    "quantity": {"missing"},
    "uri": {"below", "above", "missing"},
    "composite": {"missing"},
}


def supported(param: SearchParam, registry: Registry) -> bool:
    """Whether a search on `param` does what its definition says (what the CapabilityStatement
    claims): R5's parameters without an expression, the special ones the compiler does not
    implement (_filter, _query, Location near/contains, …) and composites with such a component
    are warned about or refused instead."""
    if param.code in HANDLED or param.code in ("_has", "_type"):
        return True
    if param.type == "composite":
        parts = [registry.by_url(url) for url, _ in param.components]
        if not parts or any(p is None or p.type not in MODULES for p in parts):
            return False
    return param.type != "special" and bool(param.expression)


@dataclass(frozen=True)
class Membership:
    """A clause that is "pk IN rows" (or NOT IN): the engine may drive the search from `rows` or
    probe them per candidate with EXISTS."""

    rows: object  # Select (or a UNION) of resource pks
    negate: bool


class _Probe:
    """Stands in for the pk column to learn whether a clause compiles to a plain membership test."""

    def in_(self, rows):
        return Membership(rows, False)

    def not_in(self, rows):
        return Membership(rows, True)

    def __getattr__(self, name):
        raise _NotMembership(name)


class _NotMembership(Exception):
    pass


class Compiler:
    def __init__(self, registry: Registry, base_url: str = "", strict: bool = False):
        self.registry = registry
        self.base_url = base_url
        self.strict = strict
        self.warnings: list[str] = []
        # True once a positive clause restricts the result to rows of one type's parameters: sp hashes
        # (type, code), so the resource.type filter is then implied and the planner should drive the
        # search from the index tables rather than from every resource of the type.
        self.type_bound = False
        # Every type a clause searches (chain targets, _has sources, _list/_in containers): what
        # the request must be allowed to search (engine._authorize). ANY_TYPE stands for all.
        self.searched: set[str] = set()

    # --- entry points ------------------------------------------------------------------------

    def condition(self, resource_types: list[str], clause: Clause, pk_col=None):
        """Condition on `pk_col` (default resource.pk) for resources of any of `resource_types`;
        None when the parameter is unknown (a warning is recorded, or SearchError in strict mode)."""
        pk_col = R.c.pk if pk_col is None else pk_col
        known = [t for t in resource_types if self._known(t, clause)]
        if not known:
            self._unknown(clause.raw_name or clause.code, resource_types)
            return None
        if len(resource_types) == 1:
            self.type_bound |= self._binds_type(resource_types[0], clause)
            return self._for_type(resource_types[0], clause, pk_col)
        return or_(*(and_(R.c.type == t, self._for_type(t, clause, pk_col)) for t in known))

    def _binds_type(self, rtype: str, clause: Clause) -> bool:
        if clause.modifier in ("not", "not-in", "missing") or rtype == ANY_TYPE:
            return False
        if clause.has or clause.code in ("_id", "_lastUpdated", "_list", "_in"):
            return True
        param = self.registry.get(rtype, clause.chain[0].code if clause.chain else clause.code)
        return param is not None and not any(b in ("Resource", "DomainResource") for b in param.base)

    def membership(self, resource_types: list[str], clause: Clause) -> Membership | None:
        """The clause as a Membership when it is one (single type, plain IN/NOT IN), else None."""
        if len(resource_types) != 1 or not self._known(resource_types[0], clause):
            return None
        try:
            found = self._for_type(resource_types[0], clause, _Probe())
        except _NotMembership:
            return None
        return found if isinstance(found, Membership) else None

    # --- resolution --------------------------------------------------------------------------

    def _known(self, rtype: str, clause: Clause) -> bool:
        if clause.has:
            return True
        first = clause.chain[0].code if clause.chain else clause.code
        if first in HANDLED:
            return True
        param = self.registry.get(rtype, first)
        return (
            param is not None and (param.type != "special") and bool(param.expression or param.code == "_id")
        )

    def _unknown(self, name: str, types: list[str]) -> None:
        message = f"Unknown or unsupported search parameter '{name}' for {', '.join(types) or 'any type'}"
        if self.strict:
            raise SearchError(message, code="not-supported")
        self.warnings.append(message + " (ignored)")

    def _param(self, rtype: str, code: str) -> SearchParam:
        param = self.registry.get(rtype, code)
        if param is None or param.type == "special" or not param.expression:
            raise SearchError(f"Unknown search parameter '{code}' on {rtype}", code="not-supported")
        return param

    # --- clauses -----------------------------------------------------------------------------

    def _for_type(self, rtype: str, clause: Clause, pk_col):
        self.searched.add(rtype)
        if clause.has:
            return self._has(rtype, clause, pk_col)
        if clause.chain:
            return self._chain(rtype, clause, pk_col)
        if clause.code == "_id":
            return self._resource_column(rtype, clause, pk_col, lambda v, r: r.c.id == v)
        if clause.code == "_lastUpdated":
            return self._resource_column(rtype, clause, pk_col, self._last_updated)
        if clause.code in text.PARAMS:
            self._no_modifier(clause)
            return pk_col.in_(text.matching(clause.code, clause.values))
        if clause.code in ("_list", "_in"):
            return self._members(rtype, clause, pk_col)
        param = self._param(rtype, clause.code)
        modifier = clause.modifier
        if modifier and not (
            modifier in MODIFIERS.get(param.type, ())
            or (param.type == "reference" and modifier[:1].isupper())
        ):
            raise SearchError(f"Modifier ':{modifier}' is not supported on '{clause.code}' ({param.type})")
        if param.type == "reference" and modifier and modifier[:1].isupper() and param.target:
            if modifier not in param.target and modifier not in ("Resource",):
                raise SearchError(f"'{clause.code}' cannot refer to a {modifier}")
        if param.type == "composite":
            return self._composite(rtype, param, clause, pk_col)
        table = INDEX_TABLES[param.type].__table__
        sp = sp_of(param, rtype)
        if modifier == "missing":
            present = select(table.c.resource_pk).where(table.c.sp == sp)
            return pk_col.not_in(present) if clause.values[0] == "true" else pk_col.in_(present)
        module = MODULES[param.type]
        preds = [self._predicate(module, table.c, modifier, v, param) for v in clause.values]
        rows = select(table.c.resource_pk).where(table.c.sp == sp, or_(*preds))
        return pk_col.not_in(rows) if modifier in ("not", "not-in") else pk_col.in_(rows)

    def _predicate(self, module, columns, modifier, value, param):
        if modifier in ("below", "above") and module is MODULES["token"]:
            return self._subsumed(columns, f"{param.code}:{modifier}", value)
        if module is MODULES["reference"]:
            return module.predicate(columns, modifier, value, param, self.base_url)
        return module.predicate(columns, modifier, value, param)

    def _subsumed(self, columns, name: str, value: str):
        """token :below/:above: the code and its descendants/ancestors, where the code system's
        hierarchy ships with the definitions; elsewhere the code alone (with a warning) or 400."""
        from fhir_service.definitions.hierarchy import related

        system, bar, code = value.partition("|")
        if not bar or not system or not code:
            raise SearchError(f"'{name}' needs system|code, got '{value}'")
        codes = related(system, code, name.rpartition(":")[2])
        if codes is None:
            message = (
                f"'{name}': the hierarchy of code system '{system}' is not known locally, so "
                "subsumption cannot be evaluated"
            )
            if self.strict:
                raise SearchError(message, code="not-supported")
            warning = message + f" (matched the code '{code}' itself only)"
            if warning not in self.warnings:  # a clause is compiled twice (condition, membership)
                self.warnings.append(warning)
            codes = frozenset((code,))
        # a bare `code` element is indexed without a system: its binding's system is implied
        return and_(
            columns.h_code.in_(sorted(h64(c) for c in codes)),
            or_(columns.h_sys == h64(system), columns.h_sys == h64("")),
        )

    @staticmethod
    def _no_modifier(clause: Clause) -> None:
        if clause.modifier:
            raise SearchError(f"Modifier ':{clause.modifier}' is not supported on '{clause.code}'")

    def _members(self, rtype: str, clause: Clause, pk_col):
        """_list=id / _in=Type/id: the resources a List (entry.item), Group (member.entity) or CareTeam
        (participant.member) refers to, read from the container's own reference index rows."""
        self._no_modifier(clause)
        wanted: dict[str, list[str]] = {}
        for value in clause.values:
            if clause.code == "_list" and value.startswith("$"):
                raise SearchError(
                    f"Functional list '{value}' is not supported by this server", code="not-supported"
                )
            parts = value.rstrip("/").split("/")
            container, cid = (
                (parts[-2], parts[-1])
                if len(parts) >= 2
                else ("List" if clause.code == "_list" else "", parts[-1])
            )
            allowed = ("List",) if clause.code == "_list" else tuple(MEMBERS)
            if container not in allowed:
                raise SearchError(
                    f"{clause.code} takes a reference to a {' or '.join(allowed)}, got '{value}'"
                )
            wanted.setdefault(container, []).append(cid)
            self.searched.add(container)
        alternatives = []
        for container, cids in wanted.items():
            owner, ref, target = _R.alias(), _REF.alias(), _R.alias()
            owners = select(owner.c.pk).where(
                owner.c.type == container, owner.c.id.in_(cids), owner.c.deleted.is_(False)
            )
            rows = (
                select(target.c.pk)
                .join(ref, and_(ref.c.target_type == target.c.type, ref.c.target_id == target.c.id))
                .where(
                    ref.c.resource_pk.in_(owners),
                    ref.c.sp == sp_of(self._param(container, MEMBERS[container]), container),
                    target.c.deleted.is_(False),  # current members only, as index rows would be
                )
            )
            if rtype != ANY_TYPE:
                rows = rows.where(ref.c.target_type == rtype)
            alternatives.append(rows)
        return pk_col.in_(alternatives[0] if len(alternatives) == 1 else union_all(*alternatives))

    def _resource_column(self, rtype: str, clause: Clause, pk_col, predicate):
        if clause.modifier not in (None, "not", "missing"):
            raise SearchError(f"Modifier ':{clause.modifier}' is not supported on '{clause.code}'")
        if clause.modifier == "missing":
            return false() if clause.values[0] == "true" else pk_col.is_not(None)
        r = _R.alias()  # never correlated with an enclosing resource table
        rows = select(r.c.pk).where(or_(*(predicate(v, r) for v in clause.values)))
        if rtype != ANY_TYPE:
            rows = rows.where(r.c.type == rtype)
        return pk_col.not_in(rows) if clause.modifier == "not" else pk_col.in_(rows)

    @staticmethod
    def _last_updated(value: str, r):
        prefix, text = split_prefix(value)
        low, high = parse_range(text)
        lu = r.c.last_updated
        lo, hi = to_datetime(low), to_datetime(high)
        point = {
            "eq": and_(lu >= lo, lu < hi),
            "ne": or_(lu < lo, lu >= hi),
            "gt": lu >= hi,
            "sa": lu >= hi,
            "lt": lu < lo,
            "eb": lu < lo,
            "ge": lu >= lo,
            "le": lu < hi,
        }
        if prefix in point:
            return point[prefix]
        return range_predicate(lu, lu, "eq", lo, hi)  # ap on a point: treated as eq of the period

    def _chain(self, rtype: str, clause: Clause, pk_col):
        hop, rest = (
            clause.chain[0],
            Clause(clause.code, clause.modifier, clause.values, clause.chain[1:], raw_name=clause.raw_name),
        )
        param = self._param(rtype, hop.code)
        if param.type != "reference":
            raise SearchError(f"Cannot chain on '{hop.code}': it is a {param.type} parameter")
        next_code = rest.chain[0].code if rest.chain else rest.code
        if hop.target_type and param.target and hop.target_type not in param.target:
            raise SearchError(f"'{hop.code}' on {rtype} cannot refer to a {hop.target_type}")
        targets = [hop.target_type] if hop.target_type else list(param.target)
        targets = [t for t in targets if t and self._known(t, rest)]
        if not targets:
            raise SearchError(f"Chained parameter '{next_code}' is not defined on any target of '{hop.code}'")
        # nested INs (no join) so the planner can go inner match → target (type, id) → referring rows
        alternatives = []
        for t in targets:
            target = _R.alias()
            target_ids = select(target.c.id).where(
                target.c.deleted.is_(False), self._for_type(t, rest, target.c.pk)
            )
            if not self._binds_type(t, rest):  # else the index rows already imply the type
                target_ids = target_ids.where(target.c.type == t)
            ref = _REF.alias()
            alternatives.append(
                select(ref.c.resource_pk).where(
                    ref.c.target_type == t, ref.c.target_id.in_(target_ids), ref.c.sp == sp_of(param, rtype)
                )
            )
        return pk_col.in_(alternatives[0] if len(alternatives) == 1 else union_all(*alternatives))

    def _has(self, rtype: str, clause: Clause, pk_col):
        source_type, ref_code = clause.has
        param = self._param(source_type, ref_code)
        if param.type != "reference":
            raise SearchError(f"_has: '{ref_code}' on {source_type} is not a reference parameter")
        if not self._known(source_type, clause.inner):
            raise SearchError(f"_has: unknown parameter '{clause.inner.raw_name}' on {source_type}")
        ref = _REF.alias()
        referenced = select(ref.c.target_id).where(
            ref.c.sp == sp_of(param, source_type),
            ref.c.target_type == rtype,
            self._for_type(source_type, clause.inner, ref.c.resource_pk),
        )
        target = _R.alias()
        return pk_col.in_(select(target.c.pk).where(target.c.type == rtype, target.c.id.in_(referenced)))

    def _composite(self, rtype: str, param: SearchParam, clause: Clause, pk_col):
        if clause.modifier == "missing":  # an item has its first component's rows when present
            first = self.registry.by_url(param.components[0][0]) if param.components else None
            if first is None or first.type not in MODULES:
                raise SearchError(f"Composite '{param.code}' has components this server cannot search")
            table = INDEX_TABLES[first.type].__table__
            sp = sp_of(param, rtype, composite.component_code(param, 0))
            present = select(table.c.resource_pk).where(table.c.sp == sp)
            return pk_col.not_in(present) if clause.values[0] == "true" else pk_col.in_(present)

        def predicate(module, columns, raw, component):
            return self._predicate(module, columns, None, raw, component)

        selects = composite.matching_rows(self.registry, rtype, param, clause.values, sp_of, predicate)
        return pk_col.in_(selects[0] if len(selects) == 1 else union_all(*selects))
