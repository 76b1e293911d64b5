"""A Repository and UnitOfWork in memory (interactions/ports.py): the SQL store's versions, stored
bytes, preconditions and history order (repository.py), kept in dicts, for the interactions' tests.

    repo = Repository()
    with repo.unit_of_work() as uow:
        stored, created = uow.update(resource, if_match="3")

Writers take turns for a whole unit of work (as on SQLite); each writes into a copy of the committed
state, which replaces it at commit, so readers only ever see committed versions. There is no search
index: `run_query` refuses, so what searches (conditional interactions, search, a Bundle's
conditional or GET-search entries) is tested on the SQL store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from fhir_service.store.preconditions import check_free, check_if_match, check_if_none_match, unchanged
from fhir_service.store.serialized import serialize, stamped
from fhir_service.store.unit_of_work import decode_cursor, encode_cursor
from fhir_service.stored import HistoryPage, StoredResource, format_instant, new_id, now

T = TypeVar("T")
Key = tuple[str, str]

NO_SEARCH = "The in-memory store has no search index: search and conditional interactions need the SQL store"


@dataclass
class _State:
    """The store's rows: `current` as the resource table (no method), `versions` as resource_version."""

    current: dict[Key, StoredResource]
    versions: dict[tuple[int, int], StoredResource]  # (pk, version id) → that version
    keys: dict[int, Key]  # pk → (type, id)
    next_pk: int = 1

    def copy(self) -> _State:
        return _State(dict(self.current), dict(self.versions), dict(self.keys), self.next_pk)


class Repository:
    def __init__(self) -> None:
        self._committed = _State({}, {}, {})
        self._writer = threading.Lock()
        self._writing_thread: int | None = None

    @contextmanager
    def unit_of_work(self, write: bool = True) -> Iterator[UnitOfWork]:
        """Committed when the block ends normally, dropped otherwise. A read-only one reads the
        latest committed state at each call, as each statement is its own snapshot in the SQL store."""
        if not write:
            yield UnitOfWork(self, None)
            return
        if self._writing_thread == threading.get_ident():  # it would wait for itself forever
            raise RuntimeError("a write unit of work inside another one on the same thread")
        with self._writer:
            self._writing_thread = threading.get_ident()
            try:
                uow = UnitOfWork(self, self._committed.copy())
                yield uow
                self._committed = uow._working
            finally:
                self._writing_thread = None

    def read(self, resource_type: str, resource_id: str) -> StoredResource | None:
        return self._committed.current.get((resource_type, resource_id))

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource | None:
        return _version(self._committed, resource_type, resource_id, version_id)

    def run_query(self, work: Callable[[Any], T]) -> T:
        raise NotImplementedError(NO_SEARCH)

    def stamp(self) -> None:
        return None  # nothing is kept across its reads


def _version(state: _State, resource_type: str, resource_id: str, version_id: int) -> StoredResource | None:
    current = state.current.get((resource_type, resource_id))
    return None if current is None else state.versions.get((current.pk, version_id))


class UnitOfWork:
    def __init__(self, repo: Repository, working: _State | None):
        self._repo = repo
        self._working = working  # None: read-only, reading what is committed

    @property
    def _state(self) -> _State:
        return self._repo._committed if self._working is None else self._working

    def _writable(self) -> _State:
        if self._working is None:
            raise RuntimeError("a write in a read-only unit of work")
        return self._working

    # --- reads -----------------------------------------------------------------------------

    def read(self, resource_type: str, resource_id: str, for_update: bool = False) -> StoredResource | None:
        """The current version (a tombstone if deleted); `for_update`: the writer lock already holds it."""
        return self._state.current.get((resource_type, resource_id))

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource | None:
        return _version(self._state, resource_type, resource_id, version_id)

    def read_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], StoredResource]:
        current = self._state.current
        return {key: current[key] for key in keys if key in current}

    def by_pks(self, pks: list[int]) -> list[StoredResource]:
        state = self._state
        return [state.current[state.keys[pk]] for pk in pks if pk in state.keys]

    def serialize_on(self, key: str) -> None:
        """Nothing to take: writers already take turns for their whole unit of work."""

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        saved = None if self._working is None else self._working.copy()
        try:
            yield
        except BaseException:
            if saved is not None:
                self._working = saved
            raise

    def release_memory(self) -> None:
        """Nothing is loaded beyond the state itself."""

    def run_query(self, work: Callable[[Any], T]) -> T:
        raise NotImplementedError(NO_SEARCH)

    # --- writes ----------------------------------------------------------------------------

    def create(self, resource: dict, id: str | None = None, method: str = "POST") -> StoredResource:
        resource_id = id or new_id()
        current = self._writable().current.get((resource["resourceType"], resource_id))
        check_free(resource["resourceType"], resource_id, current)
        return self._write(current, resource, resource_id, method)

    def update(
        self,
        resource: dict,
        if_match: str | None = None,
        method: str = "PUT",
        if_none_match: frozenset[str] | None = None,
    ) -> tuple[StoredResource, bool]:
        """As the SQL store: 412 on a failed If-Match or If-None-Match, and an update that changes
        nothing but meta.versionId/lastUpdated returns the current version."""
        rtype, resource_id = resource["resourceType"], resource["id"]
        current = self._writable().current.get((rtype, resource_id))
        check_if_match(rtype, resource_id, current, if_match)
        check_if_none_match(rtype, resource_id, current, if_none_match)
        if unchanged(current, resource):
            return current, False
        return self._write(current, resource, resource_id, method), current is None or current.deleted

    def delete(
        self, resource_type: str, resource_id: str, if_match: str | None = None
    ) -> StoredResource | None:
        current = self._writable().current.get((resource_type, resource_id))
        check_if_match(resource_type, resource_id, current, if_match)
        if current is None or current.deleted:
            return current
        tombstone = replace(
            current,
            version_id=current.version_id + 1,
            last_updated=now(),
            deleted=True,
            content=None,
            method="DELETE",
        )
        self._put(tombstone)
        return tombstone

    def _write(
        self, current: StoredResource | None, resource: dict, resource_id: str, method: str
    ) -> StoredResource:
        state = self._writable()
        last_updated = now()
        version_id = 1 if current is None else current.version_id + 1
        content = serialize(stamped(resource, resource_id, version_id, format_instant(last_updated)))
        if current is None:
            pk, state.next_pk = state.next_pk, state.next_pk + 1
        else:
            pk = current.pk
        version = StoredResource(
            resource["resourceType"], resource_id, version_id, last_updated, False, content, pk, method
        )
        self._put(version)
        return version

    def _put(self, version: StoredResource) -> None:
        state = self._writable()
        state.current[(version.type, version.id)] = replace(version, method=None)
        state.versions[(version.pk, version.version_id)] = version
        state.keys[version.pk] = (version.type, version.id)

    # --- history ---------------------------------------------------------------------------

    def history(
        self,
        resource_type: str | None = None,
        resource_id: str | None = None,
        since: datetime | None = None,
        count: int = 50,
        cursor: str | None = None,
    ) -> HistoryPage:
        """Versions newest first, keyset-paged on (last_updated, pk, version id) as the SQL store's."""
        state = self._state
        selected = [
            v
            for v in state.versions.values()
            if (resource_type is None or v.type == resource_type)
            and (resource_id is None or v.id == resource_id)
            and (since is None or v.last_updated >= since)
        ]
        total = len(selected)
        if cursor:
            after = decode_cursor(cursor)
            selected = [v for v in selected if (v.last_updated, v.pk, v.version_id) < after]
        selected.sort(key=lambda v: (v.last_updated, v.pk, v.version_id), reverse=True)
        entries = selected[:count]
        more = len(selected) > count and count > 0
        last = entries[-1] if entries else None
        next_cursor = encode_cursor(last.last_updated, last.pk, last.version_id) if more and last else None
        recreated = frozenset(
            (e.pk, e.version_id)
            for e in entries
            if e.method == "PUT" and e.version_id > 1 and state.versions[(e.pk, e.version_id - 1)].deleted
        )
        return HistoryPage(entries, total, next_cursor, recreated)
