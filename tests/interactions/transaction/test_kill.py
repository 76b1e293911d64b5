"""Kill test: the server process running a 10,000-entry transaction is SIGKILLed mid-way; after a
restart the store holds none of it and `fhir-service check` passes.

Marked slow (about 10-20 s): it starts the real `fhir-service serve` twice and needs the
transaction to be well under way before the kill."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

ENTRIES = 10_000
CLI = str(Path(sys.executable).with_name("fhir-service"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [CLI, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes master and worker at once
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=2).ok:
                return process
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or slow on a loaded machine
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("server did not start")


def big_transaction() -> dict:
    urns = [f"urn:uuid:{uuid.uuid4()}" for _ in range(ENTRIES)]
    entries = [
        {
            "fullUrl": urns[i],
            "resource": {
                "resourceType": "Basic",
                "code": {"text": f"kill-test {i}"},
                "subject": {"reference": urns[i - 1]},
            },
            "request": {"method": "POST", "url": "Basic"},
        }
        for i in range(ENTRIES)
    ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def writing(url: str) -> bool:
    """Is a write transaction open? SQLite: the store's writer flock is held; PostgreSQL: a backend
    of this database is inside a transaction that began over a second ago."""
    if url.startswith("sqlite"):
        import fcntl

        with open(url.split("///", 1)[1] + ".writelock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    engine = create_engine(make_url(url).set(database="postgres"))
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = :name "
                        "AND xact_start < now() - interval '1 second' AND backend_type = 'client backend' "
                        "AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).scalar()
            )
    finally:
        engine.dispose()


def history_total(base: str) -> int:
    return requests.get(f"{base}/_history", params={"_count": "1"}, timeout=30).json()["total"]


@pytest.mark.slow
def test_sigkill_mid_transaction_leaves_nothing(database_url_factory):
    url = database_url_factory()
    port = free_port()
    env = {**os.environ, "FHIR_SERVICE_DATABASE_URL": url}
    base = f"http://127.0.0.1:{port}/fhir"
    server = start_server(env, port)
    try:
        seed = {"resourceType": "Basic", "id": "before", "code": {"text": "committed before"}}
        assert requests.put(f"{base}/Basic/before", json=seed, timeout=30).status_code == 201
        before = history_total(base)

        body = json.dumps(big_transaction()).encode()
        assert not writing(url)
        outcome: dict = {}

        def post():
            try:
                outcome["response"] = requests.post(
                    base, data=body, headers={"Content-Type": "application/fhir+json"}, timeout=300
                )
            except requests.RequestException as exc:
                outcome["error"] = exc

        client = threading.Thread(target=post)
        client.start()
        # Killed as soon as its write transaction is seen open (however long the machine takes to
        # get there): 10,000 entries keep it open for seconds after that.
        deadline = time.monotonic() + 300
        while client.is_alive() and not writing(url):
            assert time.monotonic() < deadline, "the transaction never started writing"
            time.sleep(0.05)
        assert client.is_alive(), f"the transaction finished before the kill: {outcome}"
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        client.join(timeout=30)
        assert "error" in outcome, "the client got an answer from a killed server"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)

    server = start_server(env, port)
    try:
        assert history_total(base) == before
        found = requests.get(f"{base}/Basic", params={"code:text": "kill-test"}, timeout=30).json()
        assert found.get("total", len(found.get("entry", []))) == 0
        assert requests.get(f"{base}/Basic/before", timeout=30).json()["code"]["text"] == "committed before"
        check = subprocess.run([CLI, "check"], env=env, capture_output=True, text=True, timeout=300)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "OK" in check.stdout
        # the store is writable again (no lock left behind)
        again = {"resourceType": "Basic", "id": "after", "code": {"text": "after restart"}}
        assert requests.put(f"{base}/Basic/after", json=again, timeout=30).status_code == 201
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
