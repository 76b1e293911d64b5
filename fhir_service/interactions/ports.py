"""What the interactions need of a store: the Repository and UnitOfWork they are written against.
store/repository.py with store/unit_of_work.py implements them over SQL, store/memory.py in memory (for tests, without search).

Beyond these members the interactions rely on: a failed If-Match / If-None-Match raises
store.errors.PreconditionFailed (412) and a create over a live id store.errors.Conflict (409); a
version from a write, vread or history carries its `method`, the current row read or matched none."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from fhir_service.stored import HistoryPage, StoredResource

T = TypeVar("T")


class UnitOfWork(Protocol):
    """One database transaction: what it reads sees what it wrote; it commits as a whole."""

    def read(
        self, resource_type: str, resource_id: str, for_update: bool = False
    ) -> StoredResource | None: ...

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource | None: ...

    def read_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], StoredResource]: ...

    def by_pks(self, pks: list[int]) -> list[StoredResource]: ...

    def create(self, resource: dict, id: str | None = None, method: str = "POST") -> StoredResource: ...

    def update(
        self,
        resource: dict,
        if_match: str | None = None,
        method: str = "PUT",
        if_none_match: frozenset[str] | None = None,
    ) -> tuple[StoredResource, bool]: ...

    def delete(
        self, resource_type: str, resource_id: str, if_match: str | None = None
    ) -> StoredResource | None: ...

    def history(
        self,
        resource_type: str | None = None,
        resource_id: str | None = None,
        since: datetime | None = None,
        count: int = 50,
        cursor: str | None = None,
    ) -> HistoryPage: ...

    def serialize_on(self, key: str) -> None:
        """Writers that use the same key take turns until commit (conditional creates)."""

    def savepoint(self) -> AbstractContextManager[None]:
        """What the block writes is undone if it raises; the unit of work goes on."""

    def release_memory(self) -> None:
        """Write what is pending and forget what was loaded; the transaction stays open."""

    def run_query(self, work: Callable[[Any], T]) -> T:
        """`work(reader)` in this transaction: the search engine's statements (the reader is SQL's)."""


class Access(Protocol):
    """What the caller may do, as the REST layer's authorization decided (None: authorization is off)."""

    def require_search(self, types: frozenset[str]) -> None:
        """Raise FhirError (403) unless every one of `types` ("*": all) may be searched."""

    def reads_everything(self) -> bool: ...

    def readable(self, resource_type: str) -> bool: ...


class Repository(Protocol):
    def unit_of_work(self, write: bool = True) -> AbstractContextManager[UnitOfWork]: ...

    def read(self, resource_type: str, resource_id: str) -> StoredResource | None: ...

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource | None: ...

    def run_query(self, work: Callable[[Any], T]) -> T:
        """`work(reader)` as a read on its own, retried once on a lost connection (a search)."""

    def stamp(self) -> object | None:
        """Equal stamps: no write can have committed between them; None: cannot tell."""
