"""Load generators. `wrk` (C, Lua scripts in bench/wrk/) is the real one; a Python thread loop is
the fallback that lets the smoke test run where wrk is not installed. Both return the same figures:
requests, req/s, p50/p99 latency in ms and errors (non-2xx responses plus socket errors)."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

WRK_DIR = Path(__file__).parent / "wrk"


@dataclass(frozen=True)
class Request:
    """One case's traffic: GETs cycling through `paths`, or the same POST body every time."""

    method: str
    paths: tuple[str, ...]
    body: bytes | None = None
    content_type: str | None = None


def ensure_wrk(install: bool) -> str | None:
    """None when wrk is usable, else why not. Installs it with apt when allowed."""
    if shutil.which("wrk"):
        return None
    if not install:
        return "wrk is not installed"
    if not shutil.which("apt-get"):
        return "wrk is not installed and apt-get is not available"
    print("bench: wrk not found; installing it with `apt-get install -y wrk` (needs root) ...", flush=True)
    install_cmd = ["apt-get", "install", "-y", "-q", "wrk"]
    for attempt in ([install_cmd], [["apt-get", "update", "-q"], install_cmd]):  # stale lists: update once
        for cmd in attempt:
            subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
        if shutil.which("wrk"):
            return None
    return "`apt-get install -y wrk` failed (not root? no network?)"


def run_wrk(base: str, req: Request, seconds: float, connections: int, threads: int, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    if req.method == "GET":
        paths_file = work / "paths.txt"
        paths_file.write_text("\n".join(req.paths) + "\n")
        script, args = "get.lua", [str(paths_file)]
    else:
        body_file = work / "body.json"
        body_file.write_bytes(req.body or b"")
        script, args = "post.lua", [req.paths[0], req.content_type or "application/fhir+json", str(body_file)]
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    cmd += ["-s", script, base, "--", *args]
    proc = subprocess.run(cmd, cwd=WRK_DIR, capture_output=True, text=True, check=False)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "req_s": raw["requests"] / seconds_run,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": raw["non2xx"] + raw["socket_errors"] + raw["timeouts"],
        "non2xx": raw["non2xx"],
        "timeouts": raw["timeouts"],
        "loadgen": "wrk",
    }


def run_python(base: str, req: Request, seconds: float, connections: int) -> dict:
    """Keep-alive connections in threads; far weaker than wrk (the GIL), fine for a smoke run."""
    split = urlsplit(base)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(offset: int):
        conn = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
        mine, bad, i = [], 0, offset
        headers = {"Accept": "application/fhir+json"}
        if req.content_type:
            headers["Content-Type"] = req.content_type
        while time.perf_counter() < deadline:
            path = req.paths[i % len(req.paths)]
            i += 1
            start = time.perf_counter()
            try:
                conn.request(req.method, path, body=req.body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok = 200 <= resp.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
                ok = False
            mine.append(time.perf_counter() - start)
            bad += not ok
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0.0

    return {
        "requests": len(latencies),
        "req_s": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
        "errors": errors[0],
        "loadgen": "python",
    }
