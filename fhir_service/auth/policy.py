"""What a request needs: FHIR interaction (+ its parameters, or a Bundle's entries) → the SMART scope
letters per resource type it must be granted (pure; the Flask layer maps routes to interactions).

This is the early check, on what the request names: conditional create/update/delete and
conditional references search their type (`s`), `_has:T:` and typed chains (`subject:T.name`)
search T, system search needs `s` on each effective type (search/effective.py: all types without
`_type`), history at system level `s` on every type, `$export` `r` and `s` on each exported type.
The search engine decides again over every search a request runs (search/engine.py `_authorize`):
`s` on each type the compiled search reads, untyped chain targets and `_list`/`_in` containers
included, so a search nested in a conditional operation, a Bundle entry or a conditional reference
is held to the same rule. `_include`/`_revinclude` are not refused: their results are filtered to
the types the token can read (fhir_service.interactions.search).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from fhir_service import references
from fhir_service.auth.scopes import Grant
from fhir_service.interactions.errors import FhirError, outcome
from fhir_service.resource_types import RESOURCE_TYPES

ALL = "*"
REALM = "fhir-service"
LETTER = {
    "create": "c",
    "read": "r",
    "vread": "r",
    "history-instance": "r",
    "validate": "r",
    "update": "u",
    "patch": "u",
    "delete": "d",
    "search-type": "s",
    "history-type": "s",
    "search-system": "s",
    "history-system": "s",
}
# What FHIR_SERVICE_AUTH_PUBLIC_READ leaves open (metadata is always open).
PUBLIC_INTERACTIONS = {
    "read",
    "vread",
    "search-type",
    "search-system",
    "history-instance",
    "history-type",
    "history-system",
}
NAMES = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}


@dataclass(frozen=True)
class Need:
    letter: str  # one of c r u d s
    type: str  # a resource type, or "*" for every type

    def scope(self) -> str:
        return f"system/{self.type}.{self.letter}"

    def describe(self) -> str:
        what = "every resource type" if self.type == ALL else self.type
        return f"{NAMES[self.letter]} {what} (scope {self.scope()})"


def interaction_needs(
    interaction: str, rtype: str | None, params: list[tuple[str, str]] = (), conditional: bool = False
) -> list[Need]:
    """The needs of one REST interaction on `rtype` (None at system level)."""
    if interaction == "export":
        return [Need(letter, t) for t in _searched_types(None, params) for letter in "rs"]
    letter = LETTER[interaction]
    if interaction == "search-system":
        needs = [Need("s", t) for t in _searched_types(None, params)]
    elif interaction == "history-system":
        needs = [Need("s", ALL)]
    else:
        needs = [Need(letter, rtype or ALL)]
    if conditional and rtype:
        needs.append(Need("s", rtype))
    if interaction.startswith("search"):
        needs += search_param_needs(params)
    return _unique(needs)


def _searched_types(url_type: str | None, params) -> list[str]:
    """The search's effective types (search/effective.py), "*" for all; none when `_type` is
    invalid (the search answers 400 itself)."""
    from fhir_service.search.effective import effective_types
    from fhir_service.search.errors import SearchError

    try:
        types = effective_types(url_type, params)
    except SearchError:
        return []
    return [ALL] if types is None else list(types)


def search_param_needs(params) -> list[Need]:
    """Types a search reaches beyond its own: `_has:T:` (nested too) and typed chain hops."""
    needs = []
    for name, _ in params:
        if name.startswith("_has:"):
            parts = name.split(":")
            needs += [Need("s", parts[i + 1]) for i, p in enumerate(parts[:-1]) if p == "_has"]
        elif "." in name:
            for hop in name.split(".")[:-1]:
                _, _, target = hop.partition(":")
                if target in RESOURCE_TYPES:
                    needs.append(Need("s", target))
    return needs


def bundle_needs(bundle: dict, base_url: str) -> tuple[list[Need], bool]:
    """(needs of every entry of a transaction/batch Bundle, whether all entries are reads).
    Malformed entries raise the transaction's own 400 — only after the caller authenticated."""
    from fhir_service.interactions.transaction import parse_entries

    needs: list[Need] = []
    read_only = True
    for e in parse_entries(bundle, base_url.rstrip("/")):
        rtype = e.resource_type if e.resource_type in RESOURCE_TYPES else ALL
        if e.method in ("GET", "HEAD"):
            if e.resource_id:
                needs.append(Need("r", rtype))
            else:
                params = parse_qsl(e.query, keep_blank_values=True)
                needs += interaction_needs("search-type", rtype, params)
            continue
        read_only = False
        if e.method == "POST":
            needs += interaction_needs("create", rtype, conditional=bool(e.if_none_exist))
        elif e.method == "PUT":
            needs += interaction_needs("update", rtype, conditional=e.resource_id is None)
        elif e.method == "PATCH":
            needs += interaction_needs("patch", rtype, conditional=e.resource_id is None)
        elif e.method == "DELETE":
            needs += interaction_needs("delete", rtype, conditional=e.resource_id is None)
        if e.resource is not None:
            needs += [Need("s", t) for t in conditional_reference_types(e.resource)]
    return _unique(needs), read_only


def conditional_reference_types(resource: dict) -> set[str]:
    """Types searched to resolve conditional references (`Type?identifier=…`) inside a resource."""
    found = set()
    for reference in references.iter_references(resource):
        head, sep, _ = reference.partition("?")
        if sep and "/" not in head and not reference.startswith("#"):
            found.add(head if head in RESOURCE_TYPES else ALL)
    return found


def missing(grant: Grant, needs: list[Need]) -> list[Need]:
    return [n for n in needs if not grant.allows(n.letter, n.type)]


def require(grant: Grant, needs: list[Need]) -> None:
    """403 + an OperationOutcome naming the missing scopes, unless `grant` covers every need."""
    absent = missing(grant, needs)
    if not absent:
        return
    scopes = " ".join(n.scope() for n in absent)
    message = "The access token does not allow this request: it needs " + "; ".join(
        n.describe() for n in absent
    )
    challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scopes}"'
    raise FhirError(403, outcome(message, "forbidden"), headers={"WWW-Authenticate": challenge})


def _unique(needs: list[Need]) -> list[Need]:
    return list(dict.fromkeys(needs))


@dataclass(frozen=True)
class GrantAccess:
    """A Grant as the interactions take it (interactions/ports.Access): the REST layer passes it in."""

    grant: Grant

    def require_search(self, types: frozenset[str]) -> None:
        require(self.grant, [Need("s", t) for t in sorted(types)])

    def reads_everything(self) -> bool:
        return self.grant.reads_everything()

    def readable(self, resource_type: str) -> bool:
        return self.grant.readable(resource_type)
