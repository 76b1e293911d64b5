"""A real HTTP server for tests: the Flask app under werkzeug on a free port, on a fresh migrated
database of the configured backend (SQLite or PostgreSQL). Shared by the transaction and bulk tests."""

from __future__ import annotations

import threading

import requests
from werkzeug.serving import make_server

from fhir_service.rest.app import create_app
from fhir_service.store import migrate


class LiveServer:
    def __init__(self, database_url: str, **config):
        migrate.upgrade(database_url)
        self.database_url = database_url
        self.app = create_app(
            {
                "DATABASE_URL": database_url,
                "ACCESS_LOG": False,
                "MAX_CONTENT_LENGTH": 256 * 1024 * 1024,
                **config,
            }
        )
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/fhir"
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/fhir+json"

    def post_bundle(self, bundle: dict, **headers) -> requests.Response:
        return self.http.post(
            self.base_url, json=bundle, headers={"Content-Type": "application/fhir+json", **headers}
        )

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(f"{self.base_url}/{path}", **kwargs)

    def history_total(self) -> int:
        return self.get("_history", params={"_count": "1"}).json()["total"]

    def stop(self):
        self.server.shutdown()
        self.http.close()
        worker = self.app.extensions.get("fhir_bulk_worker")
        if worker is not None:
            worker.stop()
        self.app.extensions["fhir_repository"].dispose()


def server_factory(make):
    """A pytest fixture body: yields `start()` (a new server from `make()`), stops them all after."""
    servers: list[LiveServer] = []

    def start() -> LiveServer:
        server = make()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
