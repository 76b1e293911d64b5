"""PostgreSQL connections lost mid-request (the backend terminated, as a restart or an administrator
does): a read is sent again on a new connection and answers 200; a write answers 503 with
Retry-After and stores nothing. Over real HTTP against a live server.

Deterministic, not timed: the test takes an ACCESS EXCLUSIVE lock on the table the request needs,
waits until the server's backend is seen waiting for it, terminates that backend, then lets go."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from live_server import LiveServer
from sqlalchemy import create_engine, text

JSON = {"Content-Type": "application/fhir+json"}
BASIC = {"resourceType": "Basic", "id": "lost-1", "code": {"text": "before"}}


@pytest.fixture(scope="module")
def server(database_url_factory):
    url = database_url_factory()
    if not url.startswith("postgresql"):
        pytest.skip("a server-side disconnect is PostgreSQL's")
    server = LiveServer(url)
    assert server.http.put(f"{server.base_url}/Basic/lost-1", json=BASIC, headers=JSON).status_code == 201
    yield server
    server.stop()


def lost_mid_request(server: LiveServer, tables: list[str], send) -> requests.Response:
    """`send()` run while `tables` are locked; the server backend that waits for them is terminated."""
    admin = create_engine(server.database_url)
    watch = create_engine(server.database_url, isolation_level="AUTOCOMMIT")  # fresh statistics each time
    answer: dict = {}
    try:
        with admin.connect() as locker, watch.connect() as watcher:
            with locker.begin():
                locker.execute(text(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE"))
                client = threading.Thread(target=lambda: answer.setdefault("response", send()))
                client.start()
                deadline = time.monotonic() + 60
                while not (waiting := watcher.execute(WAITING).scalars().all()):
                    assert client.is_alive() and time.monotonic() < deadline, answer
                    time.sleep(0.02)
                for pid in waiting:
                    watcher.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # the lock goes with the transaction: a retry can proceed
        client.join(timeout=60)
    finally:
        admin.dispose()
        watch.dispose()
    return answer["response"]


WAITING = text(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND backend_type = 'client backend'"
)


@pytest.mark.parametrize(
    ("name", "tables", "path"),
    [
        ("read", ["resource"], "Basic/lost-1"),
        ("vread", ["resource_version"], "Basic/lost-1/_history/1"),
        ("search", ["resource"], "Basic?_id=lost-1"),
        ("history", ["resource", "resource_version"], "Basic/lost-1/_history"),
    ],
)
def test_a_read_that_loses_its_connection_is_sent_again(server, name, tables, path):
    response = lost_mid_request(server, tables, lambda: server.get(path, timeout=60))
    assert response.status_code == 200, (name, response.text[:300])


def test_a_search_posted_to_search_is_a_read_too(server):
    url = f"{server.base_url}/Basic/_search"
    send = lambda: server.http.post(url, data={"_id": "lost-1"}, timeout=60)  # noqa: E731
    response = lost_mid_request(server, ["resource"], send)
    assert response.status_code == 200 and response.json()["entry"][0]["resource"]["id"] == "lost-1"


@pytest.mark.parametrize("kind", ["update", "create", "transaction", "conditional delete"])
def test_a_write_that_loses_its_connection_is_a_503_and_stores_nothing(server, kind):
    changed = {**BASIC, "code": {"text": f"after {kind}"}}
    sends = {
        "update": lambda: server.http.put(f"{server.base_url}/Basic/lost-1", json=changed, headers=JSON),
        "create": lambda: server.http.post(f"{server.base_url}/Basic", json=changed, headers=JSON),
        "transaction": lambda: server.post_bundle(
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"resource": changed, "request": {"method": "PUT", "url": "Basic/lost-1"}}],
            }
        ),
        "conditional delete": lambda: server.http.delete(f"{server.base_url}/Basic?_id=lost-1"),
    }
    before = server.history_total()
    response = lost_mid_request(server, ["resource"], sends[kind])
    assert response.status_code == 503, response.text[:300]
    assert response.headers["Retry-After"] == "1"
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "transient"
    assert server.history_total() == before
    assert server.get("Basic/lost-1").json()["code"]["text"] == "before"
