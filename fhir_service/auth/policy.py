"""What a request needs: an AccessRequest (a FHIR interaction, its parameters and what they search,
as the REST layer describes it; one per Bundle entry) → the SMART scope letters per resource type it
must be granted (pure).

This is the early check, on what the request names: conditional create/update/delete and
conditional references search their type (`s`), `_has:T:` and typed chains (`subject:T.name`)
search T, system search needs `s` on each effective type (search/effective.py: all types without
`_type`), history at system level `s` on every type, `$export` `r` and `s` on each exported type.
A Bundle entry is decided as the interaction the transaction runs it as (a history or vread entry
like the top-level one); an interaction no rule decides is refused (fail-closed).
The search engine decides again over every search a request runs (through the `authorize`
callback the interactions get from GrantAccess): `s` on each type the compiled search reads, untyped chain targets and `_list`/`_in` containers
included, so a search nested in a conditional operation, a Bundle entry or a conditional reference
is held to the same rule. `_include`/`_revinclude` are not refused: their results are filtered to
the types the token can read (fhir_service.interactions.search).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, eq=False)
class AccessRequest:
    """A request as the REST layer describes it to the policy: which interaction on which type, with
    what the policy cannot work out alone already worked out (no HTTP, no search parsing here)."""

    interaction: str  # a key of LETTER ("read", "create", "search-type", …) or "export"
    resource_type: str | None = None  # None at system level; "*" for a Bundle entry's unknown type
    params: tuple[tuple[str, str], ...] = ()
    conditional: bool = False  # conditional create/update/delete/patch: it searches its type
    searched: tuple[str, ...] = ()  # system search and export: the effective types ("*": every one)
    resource: dict | None = None  # a Bundle entry's body: its conditional references search their types


def needs(request: AccessRequest) -> list[Need]:
    """The needs of one interaction."""
    interaction, rtype = request.interaction, request.resource_type
    if interaction == "export":
        return [Need(letter, t) for t in request.searched for letter in "rs"]
    letter = LETTER.get(interaction)
    if letter is None:  # an interaction the policy cannot decide is refused, never let through
        raise FhirError(403, outcome(f"No access rule decides the interaction '{interaction}'", "forbidden"))
    if interaction == "search-system":
        found = [Need("s", t) for t in request.searched]
    elif interaction == "history-system":
        found = [Need("s", ALL)]
    else:
        found = [Need(letter, rtype or ALL)]
    if request.conditional and rtype:
        found.append(Need("s", rtype))
    if interaction.startswith("search"):
        found += search_param_needs(request.params)
    if request.resource is not None:
        found += [Need("s", t) for t in conditional_reference_types(request.resource)]
    return _unique(found)


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


def bundle_needs(entries: list[AccessRequest]) -> tuple[list[Need], bool]:
    """(needs of every entry of a transaction/batch Bundle, whether all entries are reads)."""
    found = [need for e in entries for need in needs(e)]
    return _unique(found), all(e.interaction in PUBLIC_INTERACTIONS for e in entries)


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
