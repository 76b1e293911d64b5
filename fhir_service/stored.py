"""What the store hands out and the interactions pass on: stored resources as their exact JSON
bytes, and the server's clock and ids. No SQL, no HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

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


@dataclass(frozen=True)
class SplicedSearchset:
    """A searchset Bundle as JSON bytes, the stored resources spliced in as stored (no parse and
    re-serialisation); `resource()` parses it for the representations that need a dict."""

    content: bytes

    def resource(self) -> dict:
        return jsontext.loads(self.content)


def now() -> datetime:
    """Millisecond precision: what lastUpdated shows is exactly what the database compares."""
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def format_instant(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def new_id() -> str:
    return str(uuid.uuid4())
