"""Search test fixtures: migrated databases of the configured backend, the seed monograph's
converted resources plus the conformance resources, and helpers to run a search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.repository import Repository

HERE = Path(__file__).resolve().parent
BASE = "http://test.local/fhir"


def conformance_resources() -> list[dict]:
    return json.loads((HERE / "conformance-resources.json").read_text())


def seed_resources(seed_path) -> list[dict]:
    from mappings.convert import convert_file

    return convert_file(seed_path).resources


def load(repo: Repository, resources: list[dict]) -> None:
    with repo.unit_of_work() as uow:
        for resource in resources:
            uow.update(resource)


def run(repo: Repository, rtype: str | None, params, strict: bool = False) -> dict:
    with repo.unit_of_work(write=False) as uow:
        return uow.search([rtype] if rtype else None, list(params), BASE, strict=strict)


def ids(bundle: dict, mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def new_repo(database_url_factory) -> Repository:
    url = database_url_factory()
    migrate.upgrade(url)
    return Repository(make_engine(url))


@pytest.fixture(scope="module")
def fresh_repo(database_url_factory):
    repo = new_repo(database_url_factory)
    yield repo
    repo.dispose()


@pytest.fixture(scope="session")
def seeded_repo(database_url_factory, seed_path):
    """Seed monograph resources + conformance resources; read-only for the tests that use it."""
    repo = new_repo(database_url_factory)
    load(repo, seed_resources(seed_path) + conformance_resources())
    yield repo
    repo.dispose()


@pytest.fixture(scope="module")
def server(database_url_factory, seed_path):
    """The Flask app on a real loopback port over a fresh database holding the seed monograph's
    resources and the conformance resources; yields (base_url, repository)."""
    import threading

    from werkzeug.serving import make_server

    from fhir_service.rest.app import create_app

    url = database_url_factory()
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "ACCESS_LOG": False})
    repo = app.extensions["fhir_repository"]
    load(repo, seed_resources(seed_path) + conformance_resources())
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/fhir", repo
    httpd.shutdown()
    repo.dispose()
