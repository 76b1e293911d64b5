"""_include and _revinclude (with :iterate and *), following search_reference by (type, id).

Every round of includes is one SQL statement, whatever the number of _include/_revinclude
parameters: each include is a branch of a UNION, and the includes of the same shape share one
branch (their parameters' hashes in one `sp IN`). The statement is plain SQL run on the session's
DBAPI connection (same transaction), written once per shape and cached: building, cache-keying and
compiling SQLAlchemy statements and their expanding IN lists cost more than running them. Every
branch starts from the frontier's pks and follows indexes (see the _forward and _reverse plans), so
a round costs O(frontier + found), never O(corpus)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from fhir_service.store.driver import reused_cursor
from fhir_service.store.index_tables import INDEX_TABLES
from fhir_service.store.schema import Resource

from ..errors import SearchError
from ..hashing import param_hash
from ..indexer import sp_of
from ..registry import Registry
from .parse import Include

R = Resource.__table__.name
REF = INDEX_TABLES["reference"].__table__.name
MAX_ROUNDS = 5  # :iterate depth
MAX_INCLUDED = 1000
_CHUNK = 500  # frontier pks per statement (SQLite's bound parameters are limited)


@dataclass(frozen=True)
class _Branch:
    """One UNION branch: the includes of one shape, their parameters' hashes together."""

    reverse: bool
    sps: tuple[int, ...] | None  # None: every reference parameter (`*`)
    source_type: str | None  # checked on the source resource when `sp` does not imply it
    target_type: str | None


def _branches(registry: Registry, includes: list[Include]) -> list[_Branch]:
    """Merges the includes that differ only in their parameter: `sp` hashes (source type, code), so
    one `sp IN (…)` keeps each row to the include it belongs to."""
    shapes: dict[tuple, set[int] | None] = {}
    for include in includes:
        source_type = None if include.source_type == "*" else include.source_type
        if include.code == "*":
            shapes[(include.reverse, False, source_type, include.target_type)] = None
            continue
        param = registry.get(include.source_type, include.code)
        if param is None or param.type != "reference":
            raise SearchError(
                f"Invalid include: {include.source_type} has no reference parameter '{include.code}'"
            )
        sp = sp_of(param, include.source_type)
        # A common parameter (base Resource) hashes with "Resource": the type must be checked.
        implied = sp == param_hash(include.source_type, param.code)
        key = (include.reverse, True, None if implied else source_type, include.target_type)
        shapes.setdefault(key, set()).add(sp)
    return [
        _Branch(reverse, tuple(sorted(sps)) if by_sp else None, source_type, target_type)
        for (reverse, by_sp, source_type, target_type), sps in shapes.items()
    ]


class _Sql:
    """Placeholders per driver: SQLite takes `?` and an IN list of them; psycopg takes `%s` and a
    list as an array (`= ANY(%s)`): one statement text whatever the number of pks."""

    def __init__(self, sqlite: bool):
        self.sqlite = sqlite
        self.params: list = []

    def one(self, value) -> str:
        self.params.append(value)
        return "?" if self.sqlite else "%s"

    def any(self, column: str, values) -> str:
        if self.sqlite:
            self.params.extend(values)
            return f"{column} IN ({','.join('?' * len(values))})"
        self.params.append(list(values))
        return f"{column} = ANY(%s)"


def _forward(sql: _Sql, branch: _Branch, pks: list[int]) -> str:
    """The targets of the frontier's references: their (resource_pk, sp, …) index rows, then each
    target by the (type, id) unique index. SQLite keeps a CROSS JOIN's order (the planner may
    otherwise start from the targets' type)."""
    if branch.source_type is not None:
        head = (
            f"FROM {R} s CROSS JOIN {REF} r CROSS JOIN {R} t WHERE {sql.any('s.pk', pks)}"
            f" AND s.type = {sql.one(branch.source_type)} AND r.resource_pk = s.pk"
        )
    else:
        head = f"FROM {REF} r CROSS JOIN {R} t WHERE {sql.any('r.resource_pk', pks)}"
    where = [head]
    if branch.sps is not None:
        where.append(sql.any("r.sp", branch.sps))
    where.append("t.type = r.target_type AND t.id = r.target_id AND NOT t.deleted")
    if branch.target_type is not None:
        where.append(f"t.type = {sql.one(branch.target_type)}")
    return "SELECT t.pk " + " AND ".join(where)


def _reverse(sql: _Sql, branch: _Branch, pks: list[int]) -> str:
    """The resources whose references point at the frontier: each frontier resource's (type, id)
    by its pk, then the (target_type, target_id, sp, resource_pk) index. Reference index rows exist
    for current resources only, so the sources need no `deleted` check."""
    where = [f"FROM {R} t CROSS JOIN {REF} r WHERE {sql.any('t.pk', pks)}"]
    if branch.target_type is not None:
        where.append(f"t.type = {sql.one(branch.target_type)}")
    where.append("r.target_type = t.type AND r.target_id = t.id")
    if branch.sps is not None:
        where.append(sql.any("r.sp", branch.sps))
    select = "SELECT r.resource_pk "
    if branch.source_type is not None:
        where[0] = where[0].replace(f"{REF} r", f"{REF} r CROSS JOIN {R} s", 1)
        where.append(f"s.pk = r.resource_pk AND s.type = {sql.one(branch.source_type)}")
    return select + " AND ".join(where)


@lru_cache(maxsize=256)
def _plan(registry: Registry, includes: tuple[Include, ...]) -> list[_Branch]:
    return _branches(registry, list(includes))


def _execute(dbapi, dialect, statement: str, params: list) -> list[tuple]:
    cursor = reused_cursor(dbapi, dialect)  # PostgreSQL: binary results (bytea as bytes, not hex text)
    cursor.execute(statement, params)
    return cursor.fetchall()


_CONTENTS = f"SELECT x.pk, x.type, x.id, x.content FROM {R} x WHERE x.pk IN "


def _round(dbapi, dialect, branches: list[_Branch], pks: set[int], contents: bool) -> list:
    """What all `branches` reach from `pks` (one statement per _CHUNK pks): their pks, or with
    `contents` their rows (pk, type, id, content), read by the same statement."""
    found: list = []
    ordered = sorted(pks)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        sql = _Sql(dialect.name == "sqlite")
        parts = [(_reverse if b.reverse else _forward)(sql, b, chunk) for b in branches]
        # one LIMIT for every frontier size: one statement text (PostgreSQL prepares it once)
        statement = f"{' UNION '.join(parts)} LIMIT {MAX_INCLUDED + _CHUNK}"
        if contents:
            found += _execute(dbapi, dialect, f"{_CONTENTS}({statement})", sql.params)
        else:
            found += [row[0] for row in _execute(dbapi, dialect, statement, sql.params)]
    return found


def included_contents(
    session, registry: Registry, includes: list[Include], types: list[str], matches: list[int]
) -> list[tuple[int, str, str, bytes | None]]:
    """(pk, type, id, stored content) of the resources to add with search.mode=include, in pk order
    (never one of the matches), read by the include statements themselves."""
    return _included(session, registry, includes, matches, True)


def included(
    session, registry: Registry, includes: list[Include], types: list[str], matches: list[int]
) -> list[int]:
    """pks of the resources to add with search.mode=include (never one of the matches), in order."""
    return _included(session, registry, includes, matches, False)


def _included(session, registry: Registry, includes: list[Include], matches: list[int], contents: bool):
    if not includes or not matches:
        return []
    plain = _plan(registry, tuple(i for i in includes if not i.iterate))
    iterating = _plan(registry, tuple(i for i in includes if i.iterate))
    connection = session.connection()
    dbapi = connection.connection  # the DBAPI connection of the session's transaction
    matched = set(matches)
    found: dict[int, tuple | int] = {}  # pk -> its row (or pk)
    if plain:
        found = _new(_round(dbapi, connection.dialect, plain, matched, contents), contents, found, matched)
    frontier = matched | set(found)
    for _ in range(MAX_ROUNDS):  # every :iterate round reads its contents: no statement after the last
        if not iterating or not frontier or len(found) >= MAX_INCLUDED:
            break
        new = _new(_round(dbapi, connection.dialect, iterating, frontier, contents), contents, found, matched)
        found.update(new)
        frontier = set(new)
    return [found[pk] for pk in sorted(found)[:MAX_INCLUDED]]


def _new(rows: list, contents: bool, found: dict, matched: set[int]) -> dict:
    """The rows (or pks) of a round that are neither a match nor found already, by pk."""
    new = {}
    for row in rows:
        pk = row[0] if contents else row
        if pk not in found and pk not in matched:
            new[pk] = row
    return new
