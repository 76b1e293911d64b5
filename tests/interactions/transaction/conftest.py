"""A real HTTP server per test module (tests/live_server.py) on a fresh database of the configured backend."""

from __future__ import annotations

import pytest
from live_server import LiveServer, server_factory


@pytest.fixture(scope="module")
def live_server_factory(database_url_factory):
    yield from server_factory(lambda: LiveServer(database_url_factory()))


@pytest.fixture(scope="module")
def server(live_server_factory) -> LiveServer:
    return live_server_factory()
