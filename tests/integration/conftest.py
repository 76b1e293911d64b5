"""A real HTTP server for the integration tests: the Flask app under werkzeug's threaded server on
a free loopback port, against a fresh migrated database of the configured backend."""

from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from fhir_service.rest.app import create_app
from fhir_service.store import migrate

FHIR_JSON = "application/fhir+json"


@pytest.fixture(scope="session")
def server_database_url(database_url_factory) -> str:
    url = database_url_factory()
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def base_url(server_database_url):
    app = create_app(
        {"DATABASE_URL": server_database_url, "ACCESS_LOG": False, "MAX_CONTENT_LENGTH": 1024 * 1024}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/fhir"
    server.shutdown()
    app.extensions["fhir_repository"].dispose()


@pytest.fixture()
def http(base_url):
    """A requests session whose paths are relative to the FHIR base."""
    session = requests.Session()
    session.headers["Accept"] = FHIR_JSON

    class Client:
        base = base_url

        def __getattr__(self, method):
            def call(path="", **kwargs):
                return session.request(method.upper(), f"{base_url}/{path}".rstrip("/"), **kwargs)

            return call

    yield Client()
    session.close()
