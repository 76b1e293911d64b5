"""The Flask app on a fresh migrated database, driven through Flask's test client: fast checks of
headers, negotiation and representations (the real-HTTP path is covered in tests/integration)."""

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
