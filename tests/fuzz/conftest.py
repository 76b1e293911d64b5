"""One live server for the fuzz modules (tests/live_server.py), on a fresh database of the configured
backend, seeded with fixtures/bundles/tolperisone.json so searches and reads find something."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live_server import LiveServer

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "bundles" / "tolperisone.json"


@pytest.fixture(scope="package")
def server(database_url_factory):
    server = LiveServer(database_url_factory())
    seeded = server.post_bundle(json.loads(SEED.read_text()))
    assert seeded.status_code == 200, seeded.text
    yield server
    server.stop()
