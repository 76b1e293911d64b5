"""Search test fixtures: migrated databases of the configured backend, the seed monograph's
converted resources plus the conformance resources, and helpers to run a search."""

from __future__ import annotations

import pytest
from search_helpers import conformance_resources, load, new_repo, seed_resources

from fhir_service.store import migrate


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
