"""Shared fixtures: where the corpus is, and a fresh database per test session.

FHIR_SERVICE_TEST_DATABASE_URL picks the backend (.ci/run sets it to PostgreSQL); without it the
tests use a temporary SQLite file. On PostgreSQL a new database is created for each session (and
dropped after), so parallel runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MONOGRAPHS = ROOT.parent / "shared" / "monographs"
SEED = ROOT / "fixtures" / "monographs" / "tolperisone.md"


@pytest.fixture(scope="session")
def shared_monographs() -> Path:
    if not SHARED_MONOGRAPHS.is_dir():
        pytest.skip(f"shared monograph corpus not found at {SHARED_MONOGRAPHS}")
    return SHARED_MONOGRAPHS


@pytest.fixture(scope="session")
def corpus_conversions(shared_monographs) -> dict:
    """Every file of the shared corpus converted once per session: path → Conversion."""
    from fhir_service.cli.convert import monograph_files
    from mappings.convert import convert_file

    return {path: convert_file(path) for path in monograph_files((str(shared_monographs),))}


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


def _fresh_postgres(url: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"fhirtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()

    def drop():
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url_factory(tmp_path_factory):
    """Call it to get the URL of a new, empty database on the configured backend."""
    import fhir_service.search  # noqa: F401  registers the index hook every write runs, as the service does

    configured = os.environ.get("FHIR_SERVICE_TEST_DATABASE_URL")
    cleanups = []

    def make() -> str:
        if configured and configured.startswith("postgresql"):
            url, drop = _fresh_postgres(configured)
            cleanups.append(drop)
            return url
        path = tmp_path_factory.mktemp("db") / "fhir.sqlite"
        return f"sqlite:///{path}"

    yield make
    for drop in cleanups:
        drop()


@pytest.fixture(scope="session")
def database_url(database_url_factory) -> str:
    return database_url_factory()


def _repository_on_new_database(database_url_factory):
    from fhir_service.store import migrate
    from fhir_service.store.database import make_engine
    from fhir_service.store.repository import Repository

    url = database_url_factory()
    migrate.upgrade(url)
    repository = Repository(make_engine(url))
    yield repository
    repository.dispose()


@pytest.fixture(scope="module")
def migrated_repo(database_url_factory):
    """A Repository on a new database at the newest migration, shared by one test module."""
    yield from _repository_on_new_database(database_url_factory)


@pytest.fixture()
def fresh_repo(database_url_factory):
    """A Repository on a new database at the newest migration, for one test."""
    yield from _repository_on_new_database(database_url_factory)
