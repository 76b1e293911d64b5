"""Searchset pages kept per worker process, answered again while no write can have committed.

A page is kept under the repository's stamp taken before its search ran (store/freshness.py: the
stamp every kept read uses). It is answered again only while the stamp is unchanged, so a repeated
search never misses a write that committed since; a write during the search moves the stamp, and the
page is never answered again. A repeated search gets the same bytes, Bundle.id and meta.lastUpdated
included (when the page was assembled), as HAPI FHIR's reused searches do. The key is what the page
depends on besides the data: the type, the query as sent, the base URL and the Prefer handling.
"""

from __future__ import annotations

import threading

MAX_PAGES = 256
MAX_BYTES = 16 * 1024 * 1024  # kept pages in all; the oldest are dropped first
MAX_PAGE_BYTES = 1024 * 1024  # a larger page is not kept


class KeptSearches:
    def __init__(self, max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES):
        self.max_pages, self.max_bytes = max_pages, max_bytes
        self._kept: dict[tuple, tuple[object, bytes]] = {}  # key → (stamp, page), oldest first
        self._bytes = 0
        self._lock = threading.Lock()  # between threads that keep pages; a lookup takes none

    def get(self, key: tuple, stamp: object | None) -> bytes | None:
        kept = self._kept.get(key)
        if stamp is None or kept is None or kept[0] != stamp:
            return None
        return kept[1]

    def keep(self, key: tuple, stamp: object | None, page: bytes) -> None:
        if stamp is None or len(page) > min(MAX_PAGE_BYTES, self.max_bytes):
            return
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            while self._kept and (
                len(self._kept) >= self.max_pages or self._bytes + len(page) > self.max_bytes
            ):
                self._bytes -= len(self._kept.pop(next(iter(self._kept)))[1])
            self._kept[key] = (stamp, page)
            self._bytes += len(page)
