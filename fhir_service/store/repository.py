"""The Repository: every read and write of versioned resources, one unit of work per DB transaction.

    repo = Repository(engine)
    with repo.unit_of_work() as uow:          # a write transaction (SQLite: BEGIN IMMEDIATE)
        stored, created = uow.update(resource, if_match="3")

The unit of work is unit_of_work.py; the thread's kept connections and prepared reads are
connections.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, and_, bindparam, case, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from fhir_service.store.connections import _ConnectionReader, _PreparedRead, _ThreadConnections
from fhir_service.store.database import is_sqlite, writer_lock
from fhir_service.store.errors import (
    NOTHING_STORED,
    CommitUnknown,
    Conflict,
    Unavailable,
    connection_lost,
)
from fhir_service.store.freshness import for_engine as freshness_for
from fhir_service.store.kept_reads import KeptReads
from fhir_service.store.schema import CURRENT_COLUMNS, Resource, ResourceVersion
from fhir_service.store.unit_of_work import UnitOfWork, _version_where
from fhir_service.stored import StoredResource

T = TypeVar("T")


class Repository:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self._writer_lock = writer_lock(engine)
        self._connections = connections = _ThreadConnections(engine)
        self._read_current = _PreparedRead(engine, _READ_CURRENT, connections)
        self._read_version = _PreparedRead(engine, _READ_VERSION, connections)
        unless_kept = _PreparedRead(engine, _READ_CURRENT_UNLESS_KEPT, connections)
        self._freshness = freshness_for(engine)
        self._kept_reads = KeptReads(
            lambda rtype, rid, pk, vid: unless_kept.raw({"rtype": rtype, "rid": rid, "kpk": pk, "kvid": vid}),
            lambda row: StoredResource(*unless_kept.processed(row)),
            self._read_uncached,
            stamp=None if self._freshness is None else self._freshness.stamp,
        )
        self._latest_write = _PreparedRead(engine, _LATEST_WRITE, connections)
        self._latest_kept: dict[str, tuple[object, datetime | None]] = {}  # type → (stamp, latest write)

    @contextmanager
    def unit_of_work(self, write: bool = True) -> Iterator[UnitOfWork]:
        """One database transaction; committed when the block ends normally, rolled back otherwise.
        A read-only one runs on the thread's kept connection when it is free (_kept_connection): no
        pool checkout, and on PostgreSQL (autocommit) no pre-ping, BEGIN, COMMIT or reset round trips;
        each statement is then its own snapshot on both backends (READ COMMITTED gives that on
        PostgreSQL anyway; a history page and its total may straddle a write)."""
        with contextlib.ExitStack() as stack:
            kept = None if write else stack.enter_context(self._kept_connection())
            if write and self._writer_lock:
                stack.enter_context(self._writer_lock.held())
            bind = self.engine if kept is None else kept
            session = stack.enter_context(Session(bind, expire_on_commit=False, autoflush=False))
            if self.sqlite and kept is None:
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE" if write else "DEFERRED"})
            uow = UnitOfWork(session, lock_rows=write and not self.sqlite)
            try:
                yield uow
                session.flush()  # what is left to write, before COMMIT: a failure here stored nothing
            except IntegrityError as exc:
                session.rollback()
                raise Conflict(f"Concurrent write conflict: {exc.orig}") from exc
            except BaseException as exc:
                if not connection_lost(exc):
                    session.rollback()
                    raise
                with contextlib.suppress(Exception):  # a lost connection has nothing to roll back
                    session.rollback()
                raise Unavailable(NOTHING_STORED) from exc
            if write and self._freshness is not None:  # after the commit, whatever it answered
                stack.callback(self._freshness.written)
            try:
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                raise Conflict(f"Concurrent write conflict: {exc.orig}") from exc
            except Exception as exc:
                if not connection_lost(exc):
                    raise
                with contextlib.suppress(Exception):
                    session.rollback()
                raise CommitUnknown(
                    "The database connection was lost while committing: the change may or may not have "
                    "been stored; read it back before sending it again"
                ) from exc

    @contextmanager
    def _kept_connection(self) -> Iterator[Connection | None]:
        """The thread's kept connection for one read-only use; None while this thread uses it
        already (a nested use then takes a pooled connection). A driver error may have left it in
        any state: it is dropped and the next use opens a new one."""
        kept = self._connections.enter()
        if kept is None:
            yield None
            return
        try:
            yield kept
        except (DBAPIError, self.engine.dialect.loaded_dbapi.Error):
            self._connections.discard()
            raise
        finally:
            self._connections.leave()

    def run_query(self, work: Callable[[_ConnectionReader], T]) -> T:
        """`work(reader)` as a read on its own (a search: GET /Type?…): on the thread's kept connection
        without an ORM Session (`reader` answers Core statements only; a Session's begin/commit
        bookkeeping costs more than a short search). Run once more on a new connection if the kept one
        had died (a database restart): what pool_pre_ping does for pooled ones."""
        try:
            return self._on_kept_connection(work)
        except Exception as exc:
            if not self._lost_connection(exc):
                raise
        return self._on_kept_connection(work)

    def forget_thread_connection(self) -> None:
        """Drop this thread's kept connection (a read retried after a lost connection opens anew)."""
        self._connections.discard()

    def _lost_connection(self, exc: Exception) -> bool:
        """A dropped connection, seen through SQLAlchemy or from a driver-level statement (the
        captured search SQL, the include rounds): safe to run a read again."""
        if isinstance(exc, DBAPIError):
            return exc.connection_invalidated or self._lost_connection(exc.orig)
        dbapi = self.engine.dialect.loaded_dbapi
        return isinstance(exc, (dbapi.OperationalError, dbapi.InterfaceError))

    def _on_kept_connection(self, work: Callable[[_ConnectionReader], T]) -> T:
        with self._kept_connection() as kept:
            if kept is None:  # a unit of work of this thread holds it: a pooled connection instead
                with self.unit_of_work(write=False) as uow:
                    return work(uow.session)
            try:
                return work(_ConnectionReader(kept))
            finally:
                kept.rollback()  # ends the autobegun transaction (PostgreSQL, autocommit: sends nothing)

    def read(self, resource_type: str, resource_id: str) -> StoredResource | None:
        """The hot path of GET /Type/id: one prepared Core statement, no Session, no ORM identity map;
        the content of a version read before comes from memory (store/kept_reads.py)."""
        return self._kept_reads.read(resource_type, resource_id)

    def _read_uncached(self, resource_type: str, resource_id: str) -> StoredResource | None:
        row = self._read_current.row({"rtype": resource_type, "rid": resource_id})
        return None if row is None else StoredResource(*row)

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource | None:
        """GET /Type/id/_history/n, the same way as `read`."""
        row = self._read_version.row({"rtype": resource_type, "rid": resource_id, "vid": version_id})
        return None if row is None else StoredResource(*row)

    def stamp(self) -> object | None:
        """freshness.py's stamp: equal stamps mean no write can have committed between the two
        readings; None means it cannot tell (ask the database). Taken before a read it would keep."""
        return None if self._freshness is None else self._freshness.stamp()

    def latest_write(self, resource_type: str) -> datetime | None:
        """When a version of the type was last written (None: never), read the way `read` reads: kept
        while freshness.py's stamp says no write can have committed since."""
        stamp = self.stamp()
        kept = self._latest_kept.get(resource_type)
        if stamp is not None and kept is not None and kept[0] == stamp:
            return kept[1]
        latest = self._latest_write.row({"rtype": resource_type})[0]
        if stamp is not None:
            self._latest_kept[resource_type] = (stamp, latest)
        return latest

    def dispose(self) -> None:
        if self._freshness is not None:
            self._freshness.stop()
        self._connections.close_all()
        self.engine.dispose()


_READ_CURRENT = CURRENT_COLUMNS.where(Resource.type == bindparam("rtype"), Resource.id == bindparam("rid"))
# The same row, without its content when it is the version kept in memory (kept_reads.py).
_KEPT = and_(
    Resource.pk == bindparam("kpk", type_=Resource.pk.type), Resource.version_id == bindparam("kvid")
)
_READ_CURRENT_UNLESS_KEPT = select(
    *(case((_KEPT, None), else_=c) if c.name == "content" else c for c in CURRENT_COLUMNS.selected_columns)
).where(Resource.type == bindparam("rtype"), Resource.id == bindparam("rid"))


_LATEST_WRITE = select(func.max(ResourceVersion.last_updated)).where(
    ResourceVersion.type == bindparam("rtype")
)


_READ_VERSION = select(
    ResourceVersion.type,
    ResourceVersion.id,
    ResourceVersion.version_id,
    ResourceVersion.last_updated,
    ResourceVersion.deleted,
    ResourceVersion.content,
    ResourceVersion.resource_pk,
    ResourceVersion.method,
).where(*_version_where(bindparam("rtype"), bindparam("rid"), bindparam("vid")))
