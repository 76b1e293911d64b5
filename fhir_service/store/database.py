"""Engine construction: SQLite (WAL, the embedded default) or PostgreSQL via psycopg 3.

SQLite's driver-level transaction handling is switched off so the Repository can say `BEGIN
IMMEDIATE` for writes: the write lock is taken up front, so two writers never both read a version
and then fail to upgrade their lock (the classic SQLITE_BUSY deadlock under concurrency).
"""

from __future__ import annotations

import fcntl
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "sqlite:///var/fhir.sqlite"
BUSY_TIMEOUT_MS = 30_000
# PostgreSQL session settings of the service's connections, sent in the connection's start-up
# packet (no round trip):
# - a full-text GIN index's pending list is read by every search that uses it: kept small for the
#   server's writes (migration 0006); ingest raises it in its transactions;
# - a prepared statement (psycopg prepares one after its fifth run) keeps its generic plan: the
#   search engine has already chosen how a search is driven, and re-planning on every run costs
#   more than the statement (docs/performance.md).
SESSION_OPTIONS = "-c gin_pending_list_limit=64kB -c plan_cache_mode=force_generic_plan"
INGEST_PENDING_LIST = "4MB"
# SQLite, an ingest's connection: a page cache that holds the search indexes' hot pages, and
# checkpoints far apart (each copies the pages the transactions since the last one wrote)
INGEST_CACHE_KIB = 262_144
INGEST_CHECKPOINT_PAGES = 20_000


def database_url() -> str:
    return os.environ.get("FHIR_SERVICE_DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    if parsed.drivername == "postgresql":  # plain postgresql:// → psycopg 3, not psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args = kwargs.setdefault("connect_args", {})
    options = " ".join(
        filter(None, (parsed.query.get("options"), connect_args.get("options"), SESSION_OPTIONS))
    )
    connect_args["options"] = options  # the URL's own options kept (connect_args would replace them)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(parsed, **kwargs)


def _sqlite_engine(url, **kwargs) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # the URL's own `?timeout=` (seconds, as SQLAlchemy's pysqlite reads it) is kept
    busy_ms = _busy_timeout_ms(url)
    kwargs.setdefault("connect_args", {}).update(timeout=busy_ms / 1000, check_same_thread=False)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module docstring)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "AUTOCOMMIT":  # a kept read connection (connections.py): each statement its own snapshot
            return
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _busy_timeout_ms(url) -> int:
    given = url.query.get("timeout")
    if given is None:
        return BUSY_TIMEOUT_MS
    try:
        seconds = float(given)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 <= seconds < 86_400:
        raise ValueError(f"SQLite URL: timeout={given!r} is not a number of seconds (0 to 86400)")
    return round(seconds * 1000)


def bulk_load_settings(session) -> None:
    """Settings for one transaction of a bulk load (ingest): PostgreSQL's for the transaction,
    SQLite's for the connection (it keeps them)."""
    if session.get_bind().dialect.name == "sqlite":
        # the default cache evicts index pages that the next rows' random keys need again, and
        # frequent checkpoints copy the same hot pages into the database over and over
        session.execute(text(f"PRAGMA cache_size = -{INGEST_CACHE_KIB}"))
        session.execute(text(f"PRAGMA wal_autocheckpoint = {INGEST_CHECKPOINT_PAGES}"))
        return
    # no wait for the WAL flush at each commit: a crash loses at most the last few transactions
    # (never consistency), and the ingest is idempotent - run it again
    session.execute(text("SET LOCAL synchronous_commit = off"))
    # full-text entries merged into the GIN indexes in large batches; refresh_statistics empties the
    # lists at the end
    session.execute(text(f"SET LOCAL gin_pending_list_limit = '{INGEST_PENDING_LIST}'"))


def analyze_ingested(engine: Engine) -> None:
    """PostgreSQL: planner statistics of the tables a bulk load grows from empty; without them each
    batch's lookups (id IN (...)) read every row."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE resource, ingest_member")


def refresh_statistics(engine: Engine) -> None:
    """Planner statistics after a bulk write. Right after an ingest PostgreSQL still plans on empty
    statistics (it estimates one row per token) and picks plans that read every match. SQLite's `PRAGMA optimize` analyzes only where it pays off.

    PostgreSQL: the schema's own tables (a database-wide ANALYZE also read the system catalogs, a
    third of its time on a fresh database), largest first on two connections (an ingest ends with
    it, when its worker processes have stopped and a core is idle). First the GIN indexes' pending
    lists are merged into the indexes: ingest lets them grow to INGEST_PENDING_LIST, and every
    search through such an index reads its whole list."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if is_sqlite(engine):
            conn.exec_driver_sql("PRAGMA optimize")
            return
        conn.exec_driver_sql(
            "SELECT gin_clean_pending_list(i.indexrelid::regclass) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
            " WHERE a.amname = 'gin' AND c.relnamespace = current_schema()::regnamespace"
        ).all()
        tables = (
            conn.exec_driver_sql(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables"
                " WHERE schemaname = current_schema()"
                " ORDER BY pg_total_relation_size(quote_ident(schemaname) || '.' || quote_ident(tablename)) DESC"
            )
            .scalars()
            .all()
        )
        if len(tables) < 2:
            conn.exec_driver_sql("ANALYZE")
            return
        with ThreadPoolExecutor(1) as pool:
            other = pool.submit(_analyze, engine, tables[1::2])
            for name in tables[0::2]:
                conn.exec_driver_sql(f"ANALYZE {name}")
            other.result()


def _analyze(engine: Engine, tables: list[str]) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in tables:
            conn.exec_driver_sql(f"ANALYZE {name}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class WriterLock:
    """One SQLite writer at a time across threads and processes, waiting in the kernel.

    SQLite's own busy handler polls with growing sleeps (up to 100 ms), so under a burst of writes
    from several server workers most of the time goes to sleeping. A thread lock plus an flock on
    a file next to the database hands the write lock over as soon as it is released.
    """

    def __init__(self, database_path: str):
        self._path = f"{database_path}.writelock"
        self._thread_lock = threading.RLock()  # re-entrant: a nested unit of work must not deadlock
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def held(self):
        with self._thread_lock:
            if self._fd is None:  # opened lazily: after a worker fork, never inherited
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)


def writer_lock(engine: Engine) -> WriterLock | None:
    database = engine.url.database
    if not is_sqlite(engine) or not database or database == ":memory:":
        return None
    return WriterLock(database)
