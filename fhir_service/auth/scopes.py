"""SMART on FHIR scopes (App Launch v2, with v1 compatibility): parsing and `Grant.allows`.

v2: `system/MedicationKnowledge.cruds` — context / type (or `*`) . letters, a subset of c r u d s in
that order. v1: `.read` (= rs), `.write` (= cud), `.*` (= cruds). Letters per interaction (v2):
c create · r read, vread, instance history · u update, patch · d delete · s type/system search and
history. `system/` and `user/` scopes grant what they say; `patient/` scopes would need patient
compartment filtering, which this service does not do, so they grant nothing (a deny, never a leak);
granular scopes (`...rs?category=x`) likewise grant nothing. Other scopes (openid, launch, ...) are
ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LETTERS = "cruds"
V1 = {"read": "rs", "write": "cud", "*": "cruds"}
GRANTING_CONTEXTS = ("system", "user")
_SCOPE = re.compile(r"^(patient|user|system)/([A-Za-z]+|\*)\.([a-z*]+)$")


@dataclass(frozen=True)
class Scope:
    context: str
    type: str  # a resource type or "*"
    letters: str  # subset of "cruds"


def parse_scope(text: str) -> Scope | None:
    """One scope string → Scope, or None when it is not a resource scope this service honours."""
    match = _SCOPE.match(text)
    if match is None:
        return None
    context, rtype, action = match.groups()
    letters = V1.get(action)
    if letters is None:
        if not action or any(a not in LETTERS for a in action) or not _in_order(action):
            return None
        letters = action
    return Scope(context, rtype, letters)


def _in_order(action: str) -> bool:
    positions = [LETTERS.index(a) for a in action]
    return positions == sorted(set(positions))


@dataclass(frozen=True)
class Grant:
    """What one access token may do: letters per resource type ("*" for every type)."""

    by_type: tuple[tuple[str, str], ...] = ()
    scope: str = ""  # as presented, for messages
    client: str = ""  # who holds it (tokens.py, jwt.py): what a Bulk export job is bound to

    def allows(self, letter: str, rtype: str) -> bool:
        """May the token do `letter` on `rtype`? rtype "*" asks for every type (a wildcard scope)."""
        for granted_type, letters in self.by_type:
            if letter in letters and (granted_type == "*" or granted_type == rtype):
                return True
        return False

    def readable(self, rtype: str) -> bool:
        return self.allows("r", rtype)

    def reads_everything(self) -> bool:
        return self.allows("r", "*")


def parse_grant(scopes: str | list[str] | None, client: str = "") -> Grant:
    """A space-separated scope string (or a JSON list, as some servers send `scp`) → Grant."""
    if scopes is None:
        return Grant(client=client)
    items = scopes.split() if isinstance(scopes, str) else [str(s) for s in scopes]
    merged: dict[str, set[str]] = {}
    for item in items:
        scope = parse_scope(item)
        if scope is not None and scope.context in GRANTING_CONTEXTS:
            merged.setdefault(scope.type, set()).update(scope.letters)
    by_type = tuple((t, "".join(sorted(ls, key=LETTERS.index))) for t, ls in sorted(merged.items()))
    return Grant(by_type, " ".join(items), client)


# A grant for anonymous public reads: everything may be read and searched, nothing written.
PUBLIC_READ = Grant((("*", "rs"),), "(public read)")
