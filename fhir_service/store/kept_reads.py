"""Current versions kept in memory, served only when the database says, or has told, that they are
still current.

A read by id asks the database for the resource's current row; the statement sends the stored
content only when that row is not the version kept here (another pk or versionId), so a kept version
costs the round trip but not the content (its transfer and, on PostgreSQL, its de-TOASTing). A
written version (pk, versionId, lastUpdated) never changes, so its kept bytes are exactly as fresh
as the row the same statement just read (Blaze's design: contents cached, the current-version lookup
asked). The lookup itself is skipped while freshness.py's stamp says that no write can have
committed since the read that confirmed the kept version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fhir_service.stored import StoredResource

MAX_BYTES = 1024 * 1024  # kept per repository (so per worker process); the oldest go first
ENTRY_BYTES = 1024  # what one kept version costs besides its content (the row's objects, the dict entry)
NOTHING_KEPT = -1  # as pk and versionId: matches no row, so the content is sent

# The row's columns (StoredResource's order): type, id, version_id, last_updated, deleted, content, pk.
_VERSION, _UPDATED, _DELETED, _CONTENT, _PK = 2, 3, 4, 5, 6


class KeptReads:
    """`fetch(type, id, kept_pk, kept_version)`: the current row unprocessed (None if there is none),
    its content NULL when it is that version; `process(row)`: the row as a StoredResource;
    `full(type, id)`: the current version read without the cache; `stamp()` (freshness.py, or None
    where every read asks): taken before a read asks, a kept version is served unasked while equal."""

    def __init__(
        self,
        fetch: Callable[[str, str, int, int], tuple | None],
        process: Callable[[tuple], StoredResource],
        full: Callable[[str, str], StoredResource | None],
        max_bytes: int = MAX_BYTES,
        max_item: int | None = None,
        stamp: Callable[[], object] | None = None,
    ):
        self._fetch, self._process, self._full = fetch, process, full
        self._stamp = stamp or _no_stamp
        self.max_bytes = max_bytes
        self.max_item = max_bytes // 16 if max_item is None else max_item  # a huge one would push out many
        # → (raw lastUpdated, it, the stamp of the read that last confirmed it)
        self._kept: dict[tuple[str, str], tuple[object, StoredResource, object]] = {}
        self._bytes = 0
        self._lock = threading.Lock()  # only for changes: a hit reads the dict without it

    def read(self, resource_type: str, resource_id: str) -> StoredResource | None:
        key = (resource_type, resource_id)
        kept = self._kept.get(key)
        stamp = self._stamp()
        if kept is not None and stamp is not None and kept[2] == stamp:
            return kept[1]
        if kept is None:
            row = self._fetch(resource_type, resource_id, NOTHING_KEPT, NOTHING_KEPT)
        else:
            row = self._fetch(resource_type, resource_id, kept[1].pk, kept[1].version_id)
        if row is None:
            if kept is not None:
                self._drop(key, kept)
            return None
        if kept is not None and row[_PK] == kept[1].pk and row[_VERSION] == kept[1].version_id:
            if row[_UPDATED] == kept[0]:
                if stamp is not None:
                    self._confirm(key, kept, stamp)
                return kept[1]
            # the same pk and versionId written anew (a restored database): not the kept version
            self._drop(key, kept)
            return self._full(resource_type, resource_id)
        stored = self._process(row)
        if kept is not None:
            self._drop(key, kept)
        if not row[_DELETED] and row[_CONTENT] is not None:
            self._keep(key, row[_UPDATED], stored, stamp)
        return stored

    def _keep(self, key: tuple[str, str], updated: object, stored: StoredResource, stamp: object) -> None:
        size = len(stored.content) + ENTRY_BYTES
        if size > self.max_item:
            return
        with self._lock:
            if key in self._kept:  # another thread kept it meanwhile
                return
            while self._kept and self._bytes + size > self.max_bytes:
                oldest = next(iter(self._kept))
                self._bytes -= len(self._kept.pop(oldest)[1].content) + ENTRY_BYTES
            self._kept[key] = (updated, stored, stamp)
            self._bytes += size

    def _confirm(self, key: tuple[str, str], kept: tuple, stamp: object) -> None:
        with self._lock:
            if self._kept.get(key) is kept:
                self._kept[key] = (kept[0], kept[1], stamp)

    def _drop(self, key: tuple[str, str], kept: tuple) -> None:
        with self._lock:
            if self._kept.get(key) is kept:
                del self._kept[key]
                self._bytes -= len(kept[1].content) + ENTRY_BYTES


def _no_stamp() -> None:
    return None
