"""Live servers (tests/live_server.py) with authorization configured, on one fresh database per module."""

from __future__ import annotations

import json

import pytest
from auth_helpers import TOKENS
from live_server import LiveServer, server_factory

from fhir_service.auth.config import AuthConfig


@pytest.fixture(scope="module")
def tokens_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "tokens.json"
    path.write_text(json.dumps(TOKENS))
    return str(path)


@pytest.fixture(scope="module")
def auth_database(database_url_factory) -> str:
    return database_url_factory()


@pytest.fixture(scope="module")
def start_server(auth_database, tmp_path_factory):
    """start_server(AuthConfig(...)) → a LiveServer (with no Accept default beyond FHIR JSON)."""
    configs: list[AuthConfig] = []

    def make():
        return LiveServer(auth_database, AUTH=configs[-1], BULK_DIR=str(tmp_path_factory.mktemp("bulk")))

    factory = server_factory(make)
    start = next(factory)

    def start_with(config: AuthConfig) -> LiveServer:
        configs.append(config)
        return start()

    yield start_with
    next(factory, None)
