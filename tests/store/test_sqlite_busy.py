"""SQLite's busy timeout running out (another process holds the write lock for longer than the
URL's `?timeout=`): a write answers 503 with Retry-After and stores nothing; reads go on (WAL).
Over real HTTP against a live server; the lock is held by a plain sqlite3 connection, so nothing
is timed but the short busy timeout itself."""

from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager

import pytest
from live_server import LiveServer

from fhir_service.store.database import make_engine

JSON = {"Content-Type": "application/fhir+json"}
BASIC = {"resourceType": "Basic", "id": "busy-1", "code": {"text": "before"}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("busy") / "fhir.sqlite"
    server = LiveServer(f"sqlite:///{path}?timeout=0.2")
    server.path = path
    assert server.http.put(f"{server.base_url}/Basic/busy-1", json=BASIC, headers=JSON).status_code == 201
    yield server
    server.stop()


@contextmanager
def write_locked(path):
    """Another process's write transaction, held until the block ends."""
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


def assert_retry_later(response):
    assert response.status_code == 503, response.text[:300]
    assert response.headers["Retry-After"] == "1"
    issue = response.json()["issue"][0]
    assert issue["code"] == "transient" and "nothing was stored" in issue["diagnostics"]


def test_a_write_that_cannot_get_the_lock_answers_503_and_stores_nothing(server):
    changed = {**BASIC, "code": {"text": "after"}}
    with write_locked(server.path):
        assert_retry_later(server.http.put(f"{server.base_url}/Basic/busy-1", json=changed, headers=JSON))
        read = server.get("Basic/busy-1")  # a reader never waits for the writer in WAL mode
        assert read.status_code == 200 and read.json()["code"]["text"] == "before"
    assert server.get("Basic/busy-1").json()["meta"]["versionId"] == "1"
    retried = server.http.put(f"{server.base_url}/Basic/busy-1", json=changed, headers=JSON)
    assert retried.status_code == 200 and retried.json()["meta"]["versionId"] == "2"


def test_a_transaction_that_cannot_get_the_lock_answers_503_and_stores_nothing(server):
    before = server.history_total()
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "Basic", "code": {"text": f"new {n}"}},
                "request": {"method": "POST", "url": "Basic"},
            }
            for n in range(3)
        ],
    }
    with write_locked(server.path):
        assert_retry_later(server.post_bundle(bundle))
    assert server.history_total() == before


@pytest.mark.parametrize("given", ["soon", "-1", "nan"])
def test_a_timeout_that_is_not_seconds_is_refused_with_a_clear_message(tmp_path, given):
    with pytest.raises(ValueError, match=f"timeout='{given}' is not a number of seconds"):
        make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}?timeout={given}")
