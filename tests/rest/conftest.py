"""The Flask app on a fresh migrated database, driven through Flask's test client (`client`: fast
checks of headers, negotiation and representations) or over real HTTP (`live`)."""

from __future__ import annotations

import pytest

from fhir_service.rest.app import create_app
from fhir_service.store import migrate


@pytest.fixture(scope="module")
def app(database_url_factory):
    url = database_url_factory()
    migrate.upgrade(url)
    application = create_app({"DATABASE_URL": url, "ACCESS_LOG": False, "BASE_URL": "http://test/fhir"})
    yield application
    application.extensions["fhir_repository"].dispose()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def live(database_url_factory):
    """The app under werkzeug on a real loopback port (tests/live_server.py), a fresh database."""
    from live_server import LiveServer

    server = LiveServer(database_url_factory())
    yield server
    server.stop()
