"""When a kept current version (kept_reads.py), or a kept search page (rest/kept_searches.py), may be
served without asking the database.

A read by id otherwise asks for the current row every time (a round trip on PostgreSQL, a statement
on SQLite) even when its content is kept. A kept version is served unasked while nothing can have
changed since the read that confirmed it: a read takes a `stamp()` before it asks and keeps it with
the row; the row is served unasked while `stamp()` still returns an equal value, and a change that
commits after the row was read moves the stamp.

PostgreSQL (`Freshness`):
- every write through a Repository on this host for the same database changes a value in shared
  memory once it has committed (`LocalWrites`), before its response is sent: a client that wrote
  through one server worker reads its write through any other;
- every write to `resource` from anywhere (another host, `psql`, a restore) fires a statement
  trigger's NOTIFY (migration 0008) that one listening connection per process receives
  (`ChangeListener`); such a write is seen once its notification arrives;
- while that connection is down, or not yet listening, every read asks the database.

SQLite in WAL mode (`WalFreshness`): the WAL-index header, the first bytes of the `-shm` file that
every connection maps, changes with every committed transaction whoever writes (SQLite's documented
WAL-index format); it is compared as bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mmap
import os
import secrets
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

CHANNEL = "fhir_service_resource_changed"
QUIET_CHECK = 1.0  # seconds without a notification after which the listening connection is pinged
RETRY_AFTER = (0.05, 0.2, 1.0)  # seconds before reconnecting, by attempt; then the last one
logger = logging.getLogger("fhir_service.store")
_forks = [0]  # how many forks led to this process: a listener thread does not survive one
os.register_at_fork(after_in_child=lambda: _forks.__setitem__(0, _forks[0] + 1))


class LocalWrites:
    """A value in shared memory for a database URL that every committed write on this host replaces
    with a new random one: a reader compares it for equality only, so writers need no lock (two
    racing writers each leave a value no reader has seen). One file per user holds SLOTS values;
    databases whose URLs share a slot only invalidate each other's kept versions more often."""

    SLOTS = 512

    def __init__(self, database_key: str, directory: Path | None = None):
        self.path = (directory or _shared_directory()) / f"fhir-service-writes-{os.getuid()}"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_uid != os.getuid():  # another user could hold back every invalidation
                raise PermissionError(f"{self.path} belongs to another user")
            if os.fstat(fd).st_size < self.SLOTS * 8:
                os.ftruncate(fd, self.SLOTS * 8)
            self._map = mmap.mmap(fd, self.SLOTS * 8, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        self._values = memoryview(self._map).cast("Q")
        self._slot = int.from_bytes(hashlib.sha256(database_key.encode()).digest()[:8]) % self.SLOTS

    def value(self) -> int:
        return self._values[self._slot]

    def written(self) -> None:
        self._values[self._slot] = secrets.randbits(64)


def _shared_directory() -> Path:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


class ChangeListener:
    """One connection per process that LISTENs on CHANNEL, started on first use (so after a fork).
    `mark` changes on every notification and every (re)connection; `live` says it listens now."""

    def __init__(self, connect: Callable[[], object]):
        self._connect = connect  # → a psycopg connection of its own
        self.mark = 0
        self.live = False
        self._started_in: int | None = None  # the _forks count of the process that started it
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def ensure_started(self) -> None:
        if self._started_in == _forks[0]:
            return
        with self._lock:
            if self._started_in == _forks[0] or self._stopped.is_set():
                return
            self.live, self._started_in = False, _forks[0]
            threading.Thread(target=self._run, name="fhir-change-listener", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        self.live = False
        self.mark += 1

    def _run(self) -> None:
        attempt = 0
        while not self._stopped.is_set():
            connection = None
            try:
                connection = self._connect()
                connection.autocommit = True
                connection.execute(f"LISTEN {CHANNEL}")
                self.mark += 1  # what was kept before this point may have missed a notification
                self.live, attempt = True, 0
                self._listen(connection)
            except Exception as exc:  # the database went away: ask it on every read until back
                if not self._stopped.is_set():
                    logger.info("change listener: %s; reads ask the database until it reconnects", exc)
            finally:
                self.live = False
                self.mark += 1
                if connection is not None:
                    with contextlib.suppress(Exception):
                        connection.close()
            self._stopped.wait(RETRY_AFTER[min(attempt, len(RETRY_AFTER) - 1)])
            attempt += 1

    def _listen(self, connection) -> None:
        while not self._stopped.is_set():
            heard = False
            for _ in connection.notifies(timeout=QUIET_CHECK):
                self.mark += 1
                heard = True
            if not heard:  # a connection that died without closing its socket says so here
                connection.execute("SELECT 1")


class Freshness:
    """`stamp()`: what a read records with the row it keeps (None: keep nothing unasked)."""

    def __init__(self, local: LocalWrites, listener: ChangeListener):
        self.local, self.listener = local, listener

    def stamp(self) -> tuple[int, int] | None:
        listener = self.listener
        listener.ensure_started()
        if not listener.live:
            return None
        return (self.local.value(), listener.mark)

    def written(self) -> None:
        self.local.written()

    def stop(self) -> None:
        self.listener.stop()


class WalFreshness:
    """SQLite in WAL mode: the stamp is the WAL-index header (its first copy: change counter, last
    frame, checksums), read from a shared read-only mapping of the `-shm` file. A connection of its
    own stays open meanwhile: SQLite deletes that file when its last connection closes, and one made
    anew would no longer be the mapped one."""

    HEADER = 48

    def __init__(self, path: str):
        import sqlite3

        self._sentinel = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:  # WAL, as every engine connection asks (store/database.py); a no-op once it is
            mode = self._sentinel.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self._sentinel.execute("SELECT count(*) FROM sqlite_master").fetchone()  # maps -shm
            if mode != "wal":
                raise OSError(f"journal_mode is {mode}, not wal")
            fd = os.open(f"{path}-shm", os.O_RDONLY)
            try:
                if os.fstat(fd).st_size < self.HEADER:
                    raise OSError("the -shm file holds no WAL-index header")
                self._map = mmap.mmap(fd, self.HEADER, mmap.MAP_SHARED, mmap.PROT_READ)
            finally:
                os.close(fd)
        except BaseException:
            self._sentinel.close()
            raise

    def stamp(self) -> bytes:
        return self._map[: self.HEADER]

    def written(self) -> None:  # every commit moves the header itself
        pass

    def stop(self) -> None:
        self._sentinel.close()


def announce(session) -> None:
    """Moves every process's stamp for a change that kept answers depend on but that writes no
    `resource` row, such as a re-index (PostgreSQL: a NOTIFY at commit, heard on any host). SQLite's
    stamp moves with every commit already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def for_engine(engine) -> Freshness | WalFreshness | None:
    """How the engine's kept reads know they are current; None: every read asks the database."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        try:
            return WalFreshness(path)
        except Exception as exc:  # a read-only or non-WAL database: reads ask, as they always could
            logger.info("SQLite reads ask the database every time (%s)", exc)
            return None
    if engine.dialect.name != "postgresql":
        return None
    try:
        local = LocalWrites(engine.url.render_as_string(hide_password=True))
    except OSError as exc:
        logger.warning("no shared memory for kept reads (%s): every read asks the database", exc)
        return None

    def connect():
        raw = engine.raw_connection()
        raw.detach()  # the listener's own for its lifetime, not the pool's
        return raw.dbapi_connection

    return Freshness(local, ChangeListener(connect))
