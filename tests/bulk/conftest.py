"""Live servers for the bulk tests (tests/live_server.py), each on its own fresh database and its own
bulk output folder, with the Bulk Data client steps: kick-off, polling, manifest."""

from __future__ import annotations

import time

import pytest
import requests
from live_server import LiveServer, server_factory


class BulkServer(LiveServer):
    def __init__(self, database_url: str, bulk_dir):
        super().__init__(database_url, BULK_DIR=str(bulk_dir))

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


@pytest.fixture(scope="module")
def live_server_factory(database_url_factory, tmp_path_factory):
    yield from server_factory(lambda: BulkServer(database_url_factory(), tmp_path_factory.mktemp("bulk")))


@pytest.fixture(scope="module")
def server(live_server_factory) -> BulkServer:
    return live_server_factory()
