"""`--profile DIR`: record py-spy profiles of the ingest and of the server during each HTTP case,
as collapsed stacks (summarise with `python -m bench.hotspots FILE`). Profiled runs are slower, so
their figures are not the benchmark's; run them separately."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
from pathlib import Path

RATE = "100"  # samples/s: enough for hot spots, light enough not to starve a 2-core machine


def py_spy() -> str:
    """py-spy from the venv, installed into it (not into the project's dependencies) when missing."""
    local = Path(sys.executable).parent / "py-spy"
    if not local.exists() and not shutil.which("py-spy"):
        print("bench: --profile needs py-spy; installing it into the virtualenv ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"], check=True)
    return str(local) if local.exists() else shutil.which("py-spy")


def record_command(out: Path) -> list[str]:
    """Prefix for a command to run under py-spy, children included (ingest's worker processes)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return [py_spy(), "record", "--subprocesses", "-r", RATE, "-f", "raw", "-o", str(out), "--"]


@contextlib.contextmanager
def attached(pid: int, out: Path):
    """Samples a running process and its children (server master → workers) while the block runs."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [py_spy(), "record", "--subprocesses", "-r", RATE, "-f", "raw", "-o", str(out), "--pid", str(pid)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        proc.wait(timeout=60)
