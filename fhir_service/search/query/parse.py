"""Parse search parameters into clauses (pure syntax; the compiler resolves them in the registry).

`name[:modifier][.chain…]=v1,v2` is one clause whose values are ORed; repeated parameters are ANDed.
`_has:Type:ref:param=v` nests a clause searched on Type. Result parameters (_sort, _count, …) go
into the Query's own fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..effective import effective_types
from ..errors import SearchError
from ..types.common import split_escaped

DEFAULT_COUNT = 20
MAX_COUNT = 1000
SUMMARY = ("true", "text", "data", "count", "false")
TOTAL = ("none", "estimate", "accurate")
# handled elsewhere (REST formatting) or meaningless here: accepted silently
IGNORED = {"_format", "_pretty"}


@dataclass(frozen=True)
class Hop:
    """One step of a chain: a reference parameter, optionally restricted to a target type."""

    code: str
    target_type: str | None = None


@dataclass
class Clause:
    code: str
    modifier: str | None
    values: list[str]
    chain: list[Hop] = field(default_factory=list)  # hops before `code`, searched on the targets
    has: tuple[str, str] | None = None  # _has: (resource type, its reference parameter)
    inner: Clause | None = None  # the clause _has applies to the referring resources
    raw_name: str = ""


@dataclass(frozen=True)
class Include:
    source_type: str  # "*" for _include=*
    code: str  # "*" for every reference parameter
    target_type: str | None
    iterate: bool
    reverse: bool


@dataclass
class Query:
    clauses: list[Clause] = field(default_factory=list)
    types: tuple[str, ...] | None = None  # effective.py: None every type, () none
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (code, descending)
    count: int = DEFAULT_COUNT
    includes: list[Include] = field(default_factory=list)
    total: str = "none"
    summary: str | None = None
    elements: list[str] = field(default_factory=list)
    cursor: str | None = None
    unsupported: list[str] = field(default_factory=list)  # result parameters we do not implement


def _int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise SearchError(f"{name} must be an integer, got '{value}'") from exc
    if number < 0:
        raise SearchError(f"{name} must not be negative")
    return number


def _modifier_split(segment: str) -> tuple[str, str | None]:
    code, _, modifier = segment.partition(":")
    return code, modifier or None


def parse_clause(name: str, value: str) -> Clause:
    if name.startswith("_has:"):
        parts = name.split(":", 3)
        if len(parts) != 4 or not all(parts[1:]):
            raise SearchError(f"Invalid _has parameter '{name}': expected _has:Type:reference:parameter")
        _, rtype, ref_code, rest = parts
        return Clause(
            code="_has",
            modifier=None,
            values=[],
            has=(rtype, ref_code),
            inner=parse_clause(rest, value),
            raw_name=name,
        )
    segments = name.split(".")
    chain = []
    for segment in segments[:-1]:
        code, target = _modifier_split(segment)
        chain.append(Hop(code, target))
    code, modifier = _modifier_split(segments[-1])
    values = split_escaped(value, ",") if value != "" else []
    values = [v for v in values if v != ""]
    if not values:
        raise SearchError(f"Parameter '{name}' has no value")
    if modifier == "missing" and any(v not in ("true", "false") for v in values):
        raise SearchError(f"':missing' takes true or false, got '{value}'")
    return Clause(code=code, modifier=modifier, values=values, chain=chain, raw_name=name)


def _include(name: str, value: str) -> list[Include]:
    reverse = name.startswith("_revinclude")
    iterate = name.endswith(":iterate") or name.endswith(":recurse")
    if value == "*":
        return [Include("*", "*", None, iterate, reverse)]
    parts = value.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise SearchError(f"Invalid {name} value '{value}': expected Type:parameter[:targetType]")
    return [Include(parts[0], parts[1], parts[2] if len(parts) == 3 else None, iterate, reverse)]


def parse(params: list[tuple[str, str]], url_type: str | None = None) -> Query:
    """`url_type`: the type searched (None: a system-level search)."""
    q = Query(types=effective_types(url_type, params))
    for name, value in params:
        if name in IGNORED:
            continue
        if name == "_count":
            q.count = min(_int("_count", value), MAX_COUNT)
        elif name == "_sort":
            for key in filter(None, value.split(",")):
                q.sort.append((key[1:], True) if key.startswith("-") else (key, False))
        elif name.startswith("_include") or name.startswith("_revinclude"):
            q.includes.extend(_include(name, value))
        elif name == "_total":
            if value not in TOTAL:
                raise SearchError(f"_total must be one of {', '.join(TOTAL)}")
            q.total = value
        elif name == "_summary":
            if value not in SUMMARY:
                raise SearchError(f"_summary must be one of {', '.join(SUMMARY)}")
            q.summary = None if value == "false" else value
        elif name == "_elements":
            q.elements.extend(e.strip() for e in value.split(",") if e.strip())
        elif name == "_cursor":
            q.cursor = value
        elif name == "_type":
            continue  # in q.types already
        elif (name, value) in (("_contained", "false"), ("_containedType", "container")):
            continue  # what every search does: contained resources are not searched on their own
        elif name in ("_contained", "_containedType", "_maxresults", "_score", "_graph", "_query", "_filter"):
            q.unsupported.append(name)
        else:
            q.clauses.append(parse_clause(name, value))
    return q
