"""`fhir-service serve --seed` (granian), as `make serve` runs it: migrates an empty database,
ingests the seed, answers /fhir/metadata, runs the README's curl examples as written and logs one
JSON line per request. (A few seconds: it converts and validates the seed monograph; it is the only
test of the real serving path.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
README_BASE = "http://127.0.0.1:8080/fhir"


def readme_curls(heading: str = "## Running the server", marker: str = "With a running server") -> list[str]:
    """The curl lines of a README example block (the first ```sh block after `marker` in `heading`)."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split(heading, 1)[1]
    block = section.split(marker, 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("curl ")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(database_url: str, cwd: Path, *options: str) -> tuple[subprocess.Popen, int, TextIO]:
    """`fhir-service serve` (this venv's console script) on a free port; its output in cwd/serve.log."""
    port = free_port()
    env = {**os.environ, "FHIR_SERVICE_DATABASE_URL": database_url}
    log = (cwd / "serve.log").open("w+")
    executable = Path(sys.executable).parent / "fhir-service"
    command = [str(executable), "serve", "--port", str(port), *options]
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, port, log


def test_serve_seeds_an_empty_database_and_serves_it(database_url_factory, tmp_path):
    process, port, log = start_serve(
        database_url_factory(), tmp_path, "--workers", "1", "--seed", str(ROOT / "fixtures")
    )
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                metadata = requests.get(f"{base}/metadata", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, Path(log.name).read_text()
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert metadata.status_code == 200 and metadata.json()["fhirVersion"] == "5.0.0"
        knowledge = requests.get(f"{base}/MedicationKnowledge/_history").json()
        assert knowledge["total"] >= 1
        mk = knowledge["entry"][0]["resource"]
        assert requests.get(f"{base}/MedicationKnowledge/{mk['id']}").json() == mk
        run_readme_examples(base)
        run_readme_searches(base)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    lines = [json.loads(line) for line in Path(log.name).read_text().splitlines() if line.startswith("{")]
    assert {"method": "GET", "path": "/fhir/metadata", "status": 200}.items() <= lines[0].items()


def run_readme_examples(base: str) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    lines = readme_curls()
    assert len(lines) >= 10
    outputs = []
    for line in lines:
        done = subprocess.run(["bash", "-c", line.replace(README_BASE, base)], capture_output=True, text=True)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        outputs.append(done.stdout)
    assert outputs[0].strip() == "200"
    assert "HTTP/1.1 201" in outputs[5] and "HTTP/1.1 200" in outputs[6]
    assert "HTTP/1.1 410" in outputs[-2]


def run_readme_searches(base: str) -> None:
    """The README's "Searching" lines (they use $B) each answer a searchset with at least one match."""
    lines = readme_curls("## Searching", "running:")
    assert len(lines) >= 7
    for line in lines:
        done = subprocess.run(["bash", "-c", f"B={base}; {line}"], capture_output=True, text=True)
        assert done.returncode == 0, (line, done.stderr)
        bundle = json.loads(done.stdout)
        assert bundle["type"] == "searchset", line
        matches = [e for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]
        assert matches, line


def test_sigterm_lets_the_request_in_flight_finish(database_url_factory, tmp_path):
    """SIGTERM stops the server gracefully: a request whose body the app is reading when the signal
    comes is answered, the process exits 0, and the access log has the request's line (flushed when
    the worker exits). `Expect: 100-continue` tells when the app has started reading the body."""
    process, port, log = start_serve(database_url_factory(), tmp_path, "--workers", "1")
    body = json.dumps({"resourceType": "Organization", "name": "in flight"}).encode()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                assert process.poll() is None, Path(log.name).read_text()
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        with connection:
            connection.sendall(
                b"POST /fhir/Organization HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n"
                b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
            )
            interim = b""
            while b"\r\n\r\n" not in interim:
                interim += connection.recv(1)  # byte by byte: nothing of the final answer is read here
            assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
            process.send_signal(signal.SIGTERM)
            connection.sendall(body)
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += connection.recv(65536)
        assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = [json.loads(line) for line in Path(log.name).read_text().splitlines() if line.startswith("{")]
    assert {"method": "POST", "path": "/fhir/Organization", "status": 201}.items() <= lines[-1].items()


def children(pid: int) -> set[int]:
    """The live child processes of `pid` (from /proc: no process library needed)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads worker processes from /proc")
def test_a_worker_that_dies_is_replaced_and_the_server_keeps_serving(database_url_factory, tmp_path):
    process, port, log = start_serve(database_url_factory(), tmp_path, "--workers", "2")
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        deadline = time.monotonic() + 60
        while len(workers := children(process.pid)) < 2 or not up(base):
            assert process.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.2)
        killed = min(workers)
        os.kill(killed, signal.SIGKILL)  # as the OOM killer does
        deadline = time.monotonic() + 60
        while len(now := children(process.pid) - {killed}) < 2 or not up(base):
            assert process.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, ("no worker replaced the killed one", now)
            time.sleep(0.2)
        assert len(now - workers) == 1  # one new worker; the other never stopped
        for _ in range(20):  # both workers answer (each request may reach either)
            assert requests.get(f"{base}/metadata", timeout=10).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def up(base: str) -> bool:
    try:
        return requests.get(f"{base}/metadata", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False
