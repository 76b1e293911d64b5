"""Process facts from /proc: descendants and resident memory (no psutil dependency)."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    out, todo = [], children(pid)
    while todo:
        child = todo.pop()
        out.append(child)
        todo += children(child)
    return out


def rss_kib(pid: int) -> int:
    """VmRSS of a live process in KiB, 0 when it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process in seconds, 0 when it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(root: int) -> list[int]:
    """The leaf processes under a server: the server's workers whether `serve` is the master itself or
    spawned one (the master is never a leaf while it has workers)."""
    tree = descendants(root)
    leaves = [p for p in tree if not children(p)]
    return leaves or [root]


class TreeRssSampler:
    """Samples the summed RSS of a process and its descendants: the peak a machine must provide
    when ingest fans out to worker processes (ru_maxrss only sees one process at a time)."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.wait(self.interval):
            total = sum(rss_kib(p) for p in [self.pid, *descendants(self.pid)])
            self.peak_kib = max(self.peak_kib, total)
