"""Start and stop a served app (granian or gunicorn) on loopback for one benchmark session."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench import procs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process in its own session (so stopping it reaches its workers too)."""

    def __init__(self, cmd: list[str], port: int, health_path: str, log: Path, env: dict | None = None):
        self.cmd, self.port, self.health_path, self.log, self.env = cmd, port, health_path, log, env
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )
        self._wait_ready(timeout=90)
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_ready(self, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.base + self.health_path, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout:.0f}s; see {self.log}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server and its workers so far (the master's own is tiny).
        CPU per request drifts far less than req/s on a shared machine."""
        return sum(procs.cpu_seconds(p) for p in [self.proc.pid, *procs.descendants(self.proc.pid)])

    def worker_rss_mib(self) -> list[float]:
        return [procs.rss_kib(p) / 1024 for p in procs.worker_pids(self.proc.pid)]

    def stop(self):
        """Quick shutdown of the master (it stops its workers); whatever is left after a few seconds
        is killed: the load is over, nothing of value is in flight."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # stragglers: workers stuck in their exit
        self.proc.wait()
