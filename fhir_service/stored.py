"""What the store hands out and the interactions pass on: stored resources as their exact JSON
bytes, and the server's clock and ids. No SQL, no HTTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Protocol

from fhir_service import jsontext


@dataclass(frozen=True)
class StoredResource:
    """One version of a resource as stored; `content` is the exact JSON served (None when deleted)."""

    type: str
    id: str
    version_id: int
    last_updated: datetime
    deleted: bool
    content: bytes | None
    pk: int
    method: str | None = None

    def resource(self) -> dict | None:
        return None if self.content is None else jsontext.loads(self.content)


@dataclass(frozen=True)
class HistoryPage:
    entries: list[StoredResource]
    total: int
    next_cursor: str | None
    created: frozenset[tuple[int, int]] = frozenset()  # (pk, version) of the versions that created

    def creates(self, version: StoredResource) -> bool:
        """Did writing this version create its resource (the first version, or one after a deletion)?"""
        return version.version_id == 1 or (version.pk, version.version_id) in self.created


class StoredBytes(Protocol):
    type: str
    id: str
    content: bytes


@dataclass(frozen=True)
class SplicedSearchset:
    """A searchset Bundle of stored resources: `content` is its JSON bytes with the resources spliced
    in as stored (no parse and re-serialisation); `entries()` gives the other representations one
    parsed entry at a time (a large page as dicts all at once is what a worker's memory keeps);
    `resource()` parses all of it."""

    head: dict  # the Bundle without its matches and includes: at most an outcome entry
    base_url: str
    matches: list[StoredBytes]
    includes: list[StoredBytes]

    @cached_property
    def content(self) -> bytes:
        return _spliced(self.head, self.base_url, self.matches, self.includes)

    def resource(self) -> dict:
        return jsontext.loads(self.content)

    def without_entries(self) -> dict:
        return {k: v for k, v in self.head.items() if k != "entry"}

    def entries(self, parse=jsontext.loads) -> Iterator[dict]:
        """The entries in the searchset's shape and order, each parsed when it is reached (`parse`:
        what each resource's stored bytes become)."""
        base = self.base_url.rstrip("/")
        for mode, group in (("match", self.matches), ("include", self.includes)):
            for c in group:
                resource = parse(c.content)
                yield {"fullUrl": f"{base}/{c.type}/{c.id}", "resource": resource, "search": {"mode": mode}}
        yield from self.head.get("entry", [])


def _spliced(head: dict, base_url: str, matches: list[StoredBytes], includes: list[StoredBytes]) -> bytes:
    """`head` with the stored bytes spliced in as its first entries, in the searchset's entry shape
    and order. One join of all the pieces: the stored contents are copied once, into the answer."""
    base = base_url.rstrip("/")
    prefix = b'{"fullUrl":' + _dumps(base + "/")[:-1]  # the base's JSON string, still open
    pieces: list[bytes] = []
    for tail, group in ((_MATCH, matches), (_INCLUDE, includes)):
        for c in group:
            if _PLAIN.fullmatch(c.id) and _PLAIN.fullmatch(c.type):
                pieces += (b",", prefix, f'{c.type}/{c.id}"'.encode())
            else:
                pieces += (b',{"fullUrl":', _dumps(f"{base}/{c.type}/{c.id}"))
            pieces += (b',"resource":', c.content, tail)
    for entry in head.get("entry", []):
        pieces += (b",", _dumps(entry))
    bare = _dumps({k: v for k, v in head.items() if k != "entry"})
    if not pieces:
        return bare
    pieces[0] = bare[:-1] + b',"entry":['  # in place of the first entry's separating comma
    pieces.append(b"]}")
    return b"".join(pieces)


_PLAIN = re.compile(r"[A-Za-z0-9.\-]+")  # FHIR ids and type names: nothing JSON must escape
_MATCH = b',"search":{"mode":"match"}}'
_INCLUDE = b',"search":{"mode":"include"}}'


def _dumps(value) -> bytes:
    """As the store serialises and the REST layer renders JSON."""
    return jsontext.dumps(value).encode("utf-8")


def now() -> datetime:
    """Millisecond precision: what lastUpdated shows is exactly what the database compares."""
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def format_instant(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def new_id() -> str:
    return str(uuid.uuid4())
