"""`fhir-service serve --seed` under gunicorn, as `make serve` runs it: migrates an empty database,
ingests the seed, answers /fhir/metadata and logs one JSON line per request. (A few seconds: it
converts and validates the seed monograph; it is the only test of the real serving path.)"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_seeds_an_empty_database_and_serves_it(database_url_factory, tmp_path):
    port = free_port()
    env = {**os.environ, "FHIR_SERVICE_DATABASE_URL": database_url_factory()}
    log = (tmp_path / "serve.log").open("w+")
    executable = Path(sys.executable).parent / "fhir-service"  # the console script of this venv
    command = [str(executable), "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        [*command, "--seed", str(ROOT / "fixtures")],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
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
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    lines = [json.loads(line) for line in Path(log.name).read_text().splitlines() if line.startswith("{")]
    assert {"method": "GET", "path": "/fhir/metadata", "status": 200}.items() <= lines[0].items()
