"""A fresh, empty database per benchmark session, on SQLite or PostgreSQL, and the few facts the
harness reads back from it (row counts, sample ids). Mirrors tests/conftest.py: PostgreSQL gets a
CREATE DATABASE of its own, dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The server all PostgreSQL benchmark databases are created on (the `postgres` maintenance db).
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_base_url() -> str:
    return os.environ.get("FHIR_SERVICE_BENCH_PG_URL", DEFAULT_PG_URL)


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it cannot be used."""
    try:
        engine = create_engine(pg_base_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "skip PostgreSQL" with its reason
        return f"PostgreSQL at {make_url(pg_base_url()).render_as_string()} unavailable: {exc.__class__.__name__}"
    return None


@contextlib.contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="db-", dir=workdir)) / "fhir.sqlite"
        yield f"sqlite:///{path}"
        return
    base = make_url(pg_base_url())
    name = f"fhirbench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def settle(urls) -> None:
    """Before the HTTP cases: the loads' writes flushed (PostgreSQL: a CHECKPOINT per database; then
    the kernel's dirty pages, sync), so the first cases do not share the machine with the write-back
    of a ×20 load (a PostgreSQL read's p99 was 36 ms in the case measured first, 9 ms alternating
    with it). Not part of the timed ingest."""
    for url in urls:
        if url.startswith("postgresql"):
            try:
                with connect(url) as conn:
                    conn.execute(text("CHECKPOINT"))
            except Exception as exc:  # noqa: BLE001 - needs superuser or pg_checkpoint: then without
                print(f"bench: no CHECKPOINT before the HTTP cases ({exc.__class__.__name__})", flush=True)
    os.sync()


@contextlib.contextmanager
def connect(url: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def count_resources(url: str) -> int:
    """Current (non-deleted) resources from the corpus; 0 when the schema is not there yet. The service's
    own SearchParameters, which every ingest publishes, are not part of what was ingested."""
    query = "SELECT count(*) FROM resource WHERE NOT deleted AND type <> 'SearchParameter'"
    try:
        with connect(url) as conn:
            return conn.execute(text(query)).scalar_one()
    except Exception:  # noqa: BLE001 - a failed ingest may leave no tables
        return 0


def sample_contents(url: str, resource_type: str | None = None, limit: int = 50) -> list[bytes]:
    """Stored JSON bytes of the first resources (by insertion order), optionally of one type."""
    sql = "SELECT content FROM resource WHERE NOT deleted"
    params: dict = {"limit": limit}
    if resource_type:
        sql += " AND type = :type"
        params["type"] = resource_type
    with connect(url) as conn:
        rows = conn.execute(text(sql + " ORDER BY pk LIMIT :limit"), params).scalars().all()
    return [bytes(r) for r in rows]


def sample_keys(url: str, limit: int = 5000) -> list[tuple[str, str]]:
    """(type, id) of current resources spread over the whole store (every k-th by insertion order)."""
    with connect(url) as conn:
        total = conn.execute(text("SELECT count(*) FROM resource WHERE NOT deleted")).scalar_one()
        step = max(1, total // max(1, limit))
        rows = conn.execute(
            text(
                "SELECT type, id FROM resource WHERE NOT deleted AND pk % :step = 0 ORDER BY pk LIMIT :limit"
            ),
            {"step": step, "limit": limit},
        ).all()
    return [(t, i) for t, i in rows]
