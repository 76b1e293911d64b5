"""The ingest case: `fhir-service ingest` in a subprocess on a fresh database, timed, with its
peak memory (ru_maxrss of the process from wait4, and the summed RSS of its process tree)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import databases, procs


def cli() -> list[str]:
    """The console script installed next to this interpreter (make bench does not activate the venv)."""
    return [str(Path(sys.executable).parent / "fhir-service")]


def upgrade(cli_cmd: list[str], url: str, log: Path) -> None:
    """Creates the schema before the clock starts (migrations are not ingest)."""
    with log.open("ab") as out:
        subprocess.run(
            [*cli_cmd, "db", "upgrade"], env=_env(url), stdout=out, stderr=subprocess.STDOUT, check=True
        )


def run(
    cli_cmd: list[str], url: str, inputs: list[Path], log: Path, timeout: float, prefix: list[str] = ()
) -> dict:
    """`prefix` wraps the ingest command (a profiler); the memory figures are then the wrapper's."""
    upgrade(cli_cmd, url, log)
    with log.open("ab") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*prefix, *cli_cmd, "ingest", *map(str, inputs)],
            env=_env(url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with procs.TreeRssSampler(proc.pid) as sampler:
            status, rusage = _wait(proc, started + timeout)
        wall = time.perf_counter() - started
    resources = databases.count_resources(url)
    return {
        "status": status,
        "resources": resources,
        "wall_s": wall,
        "resources_per_s": resources / wall if wall else 0.0,
        "peak_rss_mib": rusage.ru_maxrss / 1024 if rusage else None,  # Linux: KiB
        "peak_tree_rss_mib": sampler.peak_kib / 1024,
    }


def _wait(proc: subprocess.Popen, deadline: float):
    """wait4 (not Popen.wait) so the child's own rusage comes back; kills it at the deadline."""
    while True:
        pid, code, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(code)
            return ("ok" if proc.returncode == 0 else f"exit {proc.returncode}"), rusage
        if time.perf_counter() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            _, code, rusage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return "timeout (partial)", rusage
        time.sleep(0.05)


def _env(url: str) -> dict:
    return {**os.environ, "FHIR_SERVICE_DATABASE_URL": url}
