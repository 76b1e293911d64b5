"""Live servers for the bulk tests: the Flask app under werkzeug on a free port, each on its own
fresh migrated database and its own bulk output folder."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from fhir_service.rest.app import create_app
from fhir_service.store import migrate


class LiveServer:
    def __init__(self, database_url: str, bulk_dir):
        migrate.upgrade(database_url)
        self.database_url = database_url
        self.app = create_app(
            {
                "DATABASE_URL": database_url,
                "ACCESS_LOG": False,
                "MAX_CONTENT_LENGTH": 256 * 1024 * 1024,
                "BULK_DIR": str(bulk_dir),
            }
        )
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/fhir"
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/fhir+json"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(f"{self.base_url}/{path}", **kwargs)

    def post_bundle(self, bundle: dict) -> requests.Response:
        return self.http.post(self.base_url, json=bundle, headers={"Content-Type": "application/fhir+json"})

    def kickoff(self, **params) -> requests.Response:
        return self.get("$export", params=params, headers={"Prefer": "respond-async"})

    def wait_for(self, status_url: str, timeout: float = 60) -> requests.Response:
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(status_url)
            if response.status_code != 202:
                return response
            assert response.headers["X-Progress"] and int(response.headers["Retry-After"]) > 0
            if time.monotonic() > deadline:
                raise AssertionError(f"export still running after {timeout}s")
            time.sleep(0.05)

    def export(self, **params) -> dict:
        kickoff = self.kickoff(**params)
        assert kickoff.status_code == 202, kickoff.text
        done = self.wait_for(kickoff.headers["Content-Location"])
        assert done.status_code == 200, done.text
        return done.json()

    def stop(self):
        self.server.shutdown()
        self.http.close()
        worker = self.app.extensions.get("fhir_bulk_worker")
        if worker is not None:
            worker.stop()
        self.app.extensions["fhir_repository"].dispose()


@pytest.fixture(scope="module")
def live_server_factory(database_url_factory, tmp_path_factory):
    servers = []

    def start() -> LiveServer:
        server = LiveServer(database_url_factory(), tmp_path_factory.mktemp("bulk"))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def server(live_server_factory) -> LiveServer:
    return live_server_factory()
