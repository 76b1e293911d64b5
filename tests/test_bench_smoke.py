"""Smoke run of the benchmark harness (`python -m bench --quick`): every case must produce numbers
and no errors, on the suite's backend (SQLite, or PostgreSQL under .ci/run's second pass). Takes
~90 s (two tiny ingest sessions, the servers, ceilings and gunicorn baseline, sub-second cases): the only way to know
`make bench` still works is to run it.

The Python load loop makes the run independent of wrk (CI does not install it), so this test always
exercises ingest, the ceiling, read and every other case; the wrk variant runs where wrk is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_CORPUS = ROOT / "fixtures" / "monographs"

SEARCH_CASES = ["search-token", "search-chained", "search-include", "search-revinclude"]
UNKEPT_CASES = [f"{case}-unkept" for case in SEARCH_CASES]  # on servers that keep no search pages
HTTP_CASES = [
    "read",
    "vread",
    *SEARCH_CASES,
    "transaction",
    "validate",
    "read-xml",
    "search-xml",
    "read-r4",
    "search-r4",
    *UNKEPT_CASES,
]  # as bench/cases.py

pytestmark = pytest.mark.slow


def backend() -> tuple[str, dict]:
    """The suite's backend (FHIR_SERVICE_TEST_DATABASE_URL): on PostgreSQL the harness creates and drops
    its own database on that server."""
    url = os.environ.get("FHIR_SERVICE_TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        return "postgresql", {**os.environ, "FHIR_SERVICE_BENCH_PG_URL": url}
    return "sqlite", dict(os.environ)


def run_bench(tmp_path: Path, corpus: Path, *extra: str) -> dict:
    out = tmp_path / "bench.json"
    db, env = backend()
    cmd = [sys.executable, "-m", "bench", "--quick", "--db", db, "--corpus", str(corpus)]
    cmd += ["--out", str(out), "--workdir", str(tmp_path / "work"), *extra]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.fixture
def corpus(request) -> Path:
    shared = ROOT.parent / "shared" / "monographs"
    return shared if shared.is_dir() else SEED_CORPUS  # the seed alone still exercises every case


def assert_http_rows(results: dict, cases: list[str], scales: list[int]):
    rows = {(r["scale"], r["case"]): r for r in results["http"]}
    for scale in scales:
        for case in cases:
            row = rows.get((scale, case))
            assert row is not None, f"no result for {case} ×{scale}: {results['skipped']}"
            assert (
                row["requests"] > 0
                and row["req_s"] > 0
                and row["p50_ms"] > 0
                and row["p99_ms"] >= row["p50_ms"]
            )
            assert row["errors"] == 0, f"{case} ×{scale}: {row['errors']} errors"
            assert row["ratio_to_ceiling"] > 0
            assert len(row["p99_ms_runs"]) == row["runs"]  # each run's tail, beside their median


def test_quick_run_with_python_load_loop(tmp_path, corpus):
    results = run_bench(tmp_path, corpus, "--loadgen", "python", "--duration", "0.5", "--warmup", "0.2")

    assert results["skipped"] == []
    assert [(r["scale"], r["status"]) for r in results["ingest"]] == [(1, "ok"), (2, "ok")]
    small, large = results["ingest"]
    assert 0 < small["resources"] and large["resources"] == 2 * small["resources"]  # replicas are new ids
    assert all(
        r["resources_per_s"] > 0 and r["peak_rss_mib"] > 0 and r["machine_ms"] > 0 for r in results["ingest"]
    )
    assert_http_rows(results, ["ceiling", "ceiling-gunicorn", *HTTP_CASES], [1, 2])
    assert_http_rows(results, ["read@gunicorn", "search-token@gunicorn"], [1])
    baseline = [r for r in results["http"] if r["case"] in ("read", "search-token") and r["scale"] == 1]
    assert len(baseline) == 2 and all(r["ratio_to_gunicorn"] > 0 for r in baseline)
    assert sorted(r["kind"] for r in results["slow"]) == ["idle-keepalive", "slow-headers"]
    assert all(r["errors"] == 0 and r["slow"]["connections"] > 0 for r in results["slow"])
    assert sorted(r["case"] for r in results["scale"]) == sorted(UNKEPT_CASES)  # the searches themselves
    assert sorted((r["scale"], r["case"]) for r in results["xml"]) == [
        (s, c) for s in (1, 2) for c in ("read-xml", "search-xml")
    ]
    assert sorted((r["scale"], r["case"]) for r in results["r4"]) == [
        (s, c) for s in (1, 2) for c in ("read-r4", "search-r4")
    ]
    assert all(r["max_rss_mib"] > 0 for r in results["workers"])
    assert results["xml_parse"]["elements"] == 50_000 and results["xml_parse"]["cpu_s"] > 0
    assert results["targets"], "the targets table is computed"
    machine = results["meta"]["machine_ms"]  # the drift yardstick, timed before and after
    assert machine["start"] > 0 and machine["end"] > 0


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (`make bench` installs it with apt)"
)
def test_quick_run_with_wrk(tmp_path, corpus):
    cases = ["ceiling", "read", "search-token"]
    results = run_bench(tmp_path, corpus, "--loadgen", "wrk", "--scale", "1", "--cases", ",".join(cases))

    assert results["meta"]["loadgen"] == "wrk"
    assert_http_rows(results, cases, [1])
