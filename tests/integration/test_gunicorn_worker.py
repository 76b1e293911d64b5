"""fhir_service.rest.gunicorn_worker: the accept pause, step by step on a fake clock (deterministic, in
the default suite), and over real sockets a burst of keep-alive connections spread over the gunicorn
workers under `fhir-service serve`'s own gunicorn settings. The latter depends on the OS scheduling
a sibling within the 10 ms head start, which a loaded machine does not promise (a 5/3 split was
seen), so it is marked `timing` and left out of the default run: `pytest -m timing` runs it. (With
stock gthread in gunicorn_options its first case failed in 2 of 3 runs: 3 and 2 connections on one
worker.)"""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from types import SimpleNamespace

import pytest
from gunicorn.workers.gthread import ThreadWorker

from fhir_service.rest import gunicorn_worker

WORKERS, THREADS = 2, 4

# A gunicorn master whose workers answer GET / with their pid, under serve's gunicorn_options.
SERVER = """
import os, sys
from flask import Flask
from fhir_service.cli.serve import build_gunicorn, gunicorn_options

port, workers, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
app = Flask(__name__)
app.get("/")(lambda: str(os.getpid()))
options = {"bind": f"127.0.0.1:{port}", "workers": workers, **gunicorn_options(threads)}
build_gunicorn(lambda: app, options).run()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_of_each_connection(connections: int) -> list[str]:
    """Opens `connections` keep-alive connections one after another, each kept open, and returns the
    pid of the worker that answered on each."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(WORKERS), str(THREADS)],
        stderr=subprocess.PIPE,
    )
    opened = []
    try:
        pids = set()
        deadline = time.monotonic() + 30
        while len(pids) < WORKERS:  # every worker up (each new connection may land on any)
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "workers did not come up"
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/")
                pids.add(probe.getresponse().read().decode())
                probe.close()
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5)  # the probes' connections closed on the server side too
        answers = []
        for _ in range(connections):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            answers.append(conn.getresponse().read().decode())
            opened.append(conn)
        return answers
    finally:
        for conn in opened:
            conn.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def worker(monkeypatch):
    """A BalancedThreadWorker with 4 threads and 2 listeners (not started), on a fake clock; what it
    asks of gthread's own methods is recorded in `worker.calls`."""
    clock = FakeClock()
    monkeypatch.setattr(gunicorn_worker, "time", clock)
    calls: list[tuple] = []
    monkeypatch.setattr(ThreadWorker, "accept", lambda self, listener: calls.append(("accept", listener)))
    monkeypatch.setattr(ThreadWorker, "set_accept_enabled", lambda self, on: calls.append(("enabled", on)))
    monkeypatch.setattr(
        ThreadWorker, "wait_for_and_dispatch_events", lambda self, timeout: calls.append(("wait", timeout))
    )
    instance = object.__new__(gunicorn_worker.BalancedThreadWorker)
    instance.cfg = SimpleNamespace(threads=4)
    instance.sockets = ["listener-1", "listener-2"]
    instance.nr_conns = 0
    instance.calls, instance.clock = calls, clock
    return instance


def test_a_worker_with_room_accepts_at_once(worker):
    worker.nr_conns = 3
    worker.accept("listener-1")
    assert worker.calls == [("accept", "listener-1")]
    worker.set_accept_enabled(False)
    worker.set_accept_enabled(True)
    worker.wait_for_and_dispatch_events(1.0)
    assert worker.calls[1:] == [("enabled", False), ("enabled", True), ("wait", 1.0)]


def test_a_full_worker_pauses_for_the_head_start_then_takes_what_is_left(worker):
    worker.nr_conns = 4  # as many connections as threads
    worker.accept("listener-1")
    assert worker.calls == [("enabled", False)]  # not accepted: a sibling may take it
    worker.clock.now += 0.004
    worker.set_accept_enabled(True)  # run()'s loop asks again before the pause is over: ignored
    worker.wait_for_and_dispatch_events(1.0)  # wakes when the pause ends, not a second later
    assert worker.calls[1][0] == "wait" and worker.calls[1][1] == pytest.approx(
        gunicorn_worker.HEAD_START - 0.004
    )
    worker.clock.now += gunicorn_worker.HEAD_START
    worker.set_accept_enabled(True)
    assert worker.calls[2:] == [("enabled", True), ("accept", "listener-1"), ("accept", "listener-2")]
    worker.wait_for_and_dispatch_events(1.0)
    assert worker.calls[-1] == ("wait", 1.0)
    worker.nr_conns = 2
    worker.accept("listener-1")  # room again: straight through
    assert worker.calls[-1] == ("accept", "listener-1")


@pytest.mark.timing
@pytest.mark.parametrize("connections", [WORKERS * THREADS, WORKERS * THREADS + 2])
def test_keep_alive_connections_are_spread_over_the_workers(connections):
    per_worker = Counter(_pid_of_each_connection(connections))
    # every worker fills its threads before any takes more; beyond that (all full) they race, and
    # the extra connections are accepted all the same
    assert len(per_worker) == WORKERS
    assert min(per_worker.values()) >= THREADS
    assert sum(per_worker.values()) == connections
