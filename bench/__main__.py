"""`python -m bench` (`make bench`): ingest, HTTP cases against a ceiling, scale, worker memory.

For each database (SQLite, PostgreSQL): two fresh databases, each loaded by `fhir-service ingest`
(the corpus ×1, and the originals plus N-1 renamed replicas), then `fhir-service serve` (granian) on
loopback for each, the ceiling (a bare WSGI callable under the same granian settings), and the
baseline: the service and a bare Flask view under gunicorn as `serve` ran before granian
(bench/gunicorn_baseline.py), all up together, with every HTTP case's runs alternating between them.
The searches run again on a second pair of servers that keep no search pages (`*-unkept`): the
×N/×1 scale ratios compare those, what the search itself costs.
Then the slow-client phases: the read case beside 256 slow-header, then 256 idle keep-alive
connections, each against a read run without them. Prints the table, writes JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench import cases, corpus, databases, ingest, loadgen, machine, profiling, report, slowclients, xmlparse
from bench.server import Server, free_port

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = ROOT.parent / "shared" / "monographs"
SEED_CORPUS = ROOT / "fixtures" / "monographs"
ALL_CASES = ("ingest", "ceiling", "baseline", *cases.HTTP_CASES, *slowclients.KINDS)
BASELINE_CASES = ("read", "search-token")  # also measured under gunicorn (today's serve before granian)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 3 monographs, ×2, 1 s per case, SQLite, 2 connections",
    )
    p.add_argument("--cases", default=",".join(ALL_CASES), help=f"comma list of {', '.join(ALL_CASES)}")
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default=None, help="default: both")
    p.add_argument("--duration", type=float, default=None, help="seconds per HTTP case (default 20)")
    p.add_argument("--repeat", type=int, default=1, help="runs per case; the table shows their medians")
    p.add_argument("--warmup", type=float, default=None, help="warm-up seconds before each case (default 5)")
    p.add_argument("--scale", type=int, default=None, help="the large corpus is ×N (default 20)")
    p.add_argument("--corpus", type=Path, default=SHARED_CORPUS, help="monograph folder")
    p.add_argument("--limit", type=int, default=None, help="use only the first N monographs")
    p.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk, installed with apt when missing, else the Python loop",
    )
    p.add_argument("--connections", type=int, default=None, help="default 8 (--quick: 2)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--workers", type=int, default=None, help="server workers (default: serve's own; --quick: 2)"
    )
    p.add_argument(
        "--server-threads", type=int, default=None, help="request threads per worker (default: serve's own)"
    )
    p.add_argument(
        "--slow-clients", type=int, default=None, help="connections of each slow-client phase (default 256)"
    )
    p.add_argument(
        "--slow-duration", type=float, default=None, help="seconds of each slow-client phase (default 60)"
    )
    p.add_argument("--ingest-timeout", type=float, default=1800.0, help="seconds before an ingest is cut off")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    p.add_argument("--workdir", type=Path, default=None, help="keep databases, replicas and logs here")
    p.add_argument(
        "--serve-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for `fhir-service serve` (A/B runs, e.g. FHIR_SERVICE_ACCESS_LOG=0)",
    )
    p.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="skip ingest: run the HTTP cases against this already loaded database (labelled ×--scale)",
    )
    p.add_argument("--profile", type=Path, default=None, help="write py-spy profiles here (slows the run)")
    args = p.parse_args(argv)
    quick = args.quick
    args.db = args.db or ("sqlite" if quick else "both")
    args.duration = args.duration if args.duration is not None else (1.0 if quick else 20.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 5.0)
    args.scale = args.scale or (2 if quick else 20)
    args.limit = args.limit or (3 if quick else None)
    args.connections = args.connections or (2 if quick else 8)  # quick: a 50-entry transaction takes ~0.5 s
    args.workers = args.workers or (2 if quick else None)
    args.slow_clients = args.slow_clients or (8 if quick else 256)
    args.slow_duration = args.slow_duration or (args.duration if quick else 60.0)
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(args.cases) - set(ALL_CASES)
    if unknown:
        p.error(f"unknown cases: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = {"meta": _meta(args), "ingest": [], "http": [], "scale": [], "workers": [], "skipped": []}
    results["meta"]["machine_ms"] = {"start": machine.reference_ms()}

    skip = functools.partial(_skip, results)

    source = args.corpus
    if not source.is_dir():
        skip(f"corpus {source}", f"not found; using the seed monograph in {SEED_CORPUS}")
        source = SEED_CORPUS
    originals = corpus.monograph_files(source, args.limit)
    results["meta"]["corpus"], results["meta"]["monographs"] = str(source), len(originals)

    http_cases = [
        c for c in ("ceiling", "baseline", *cases.HTTP_CASES, *slowclients.KINDS) if c in args.cases
    ]
    if http_cases:
        results["meta"]["loadgen"] = _pick_loadgen(args, skip)

    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in backends and (reason := databases.postgres_available()):
        skip("postgresql sessions", reason)
        backends.remove("postgresql")

    work = Path(args.workdir or tempfile.mkdtemp(prefix="fhir-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"bench: {len(originals)} monographs from {source}; scales ×1 and ×{args.scale}; "
        f"databases {', '.join(backends)}; work dir {work}",
        flush=True,
    )
    try:
        if args.database:  # HTTP cases only, against data already there
            backend = "postgresql" if args.database.startswith("postgresql") else "sqlite"
            requests = cases.build(args.database)
            (work / "logs").mkdir(exist_ok=True)
            _http_session(args, results, backend, {args.scale: args.database}, requests, http_cases, work)
        else:
            inputs = {1: originals, args.scale: [*originals, *_replicas(originals, source, work, args.scale)]}
            requests = None
            for backend in backends:
                requests = _backend_session(args, results, backend, inputs, work, requests, http_cases)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    results["meta"]["machine_ms"]["end"] = machine.reference_ms()
    report.add_ceiling_ratios(results["http"])
    report.add_baseline_ratios(results["http"])
    results["scale"] = report.scale_ratios(results["http"], args.scale)
    results["xml"] = report.xml_ratios(results["http"])
    results["slow"] = report.slow_ratios(results["http"])
    results["xml_parse"] = xmlparse.measure()
    results["r4"] = report.r4_ratios(results["http"])
    results["targets"] = report.targets(results)
    print("\n" + report.render(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nbench: results written to {args.out}")
    return 0


def _skip(results: dict, what: str, reason: str) -> None:
    results["skipped"].append({"what": what, "reason": reason})
    print(f"bench: skipping {what}: {reason}", flush=True)


def _backend_session(args, results, backend, inputs, work, requests, http_cases):
    """Fresh databases for ×1 and ×N, each ingested, then the HTTP cases against both at once (a
    server per database and the ceiling, all up together, their runs interleaved: see
    _http_session). Returns the case requests, built on the ×1 database and reused so every
    session sends the same requests."""
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        urls = {}
        for scale, files in inputs.items():
            tag = f"{backend}-x{scale}"
            monographs = _count_monographs(files)
            url = stack.enter_context(databases.fresh_database(backend, work))
            os.sync()  # untimed: no earlier phase's write-back (a ×20 load, the logs) shares the ingest
            print(f"bench: [{tag}] ingesting {monographs} monographs ...", flush=True)
            prefix = profiling.record_command(args.profile / f"ingest-{tag}.raw") if args.profile else []
            row = ingest.run(
                ingest.cli(), url, files, logs / f"ingest-{tag}.log", args.ingest_timeout, prefix
            )
            row = {"db": backend, "scale": scale, "monographs": monographs, **row}
            row["machine_ms"] = machine.reference_ms()  # right after: res/s is an absolute figure
            print(
                f"bench: [{tag}] ingest {row['status']}: {row['resources']} resources in {row['wall_s']:.1f} s "
                f"({row['resources_per_s']:.0f}/s)",
                flush=True,
            )
            if "ingest" in args.cases:
                results["ingest"].append(row)
            if row["resources"] == 0:
                _skip(results, f"HTTP cases {tag}", f"ingest stored nothing ({row['status']})")
            else:
                urls[scale] = url
        if http_cases and urls:
            databases.settle(urls.values())
            requests = requests or cases.build(urls[min(urls)])
            _http_session(args, results, backend, urls, requests, http_cases, work)
    return requests


def _http_session(args, results, backend, urls: dict, requests, http_cases, work):
    """A server per database (×1 and ×N), the ceiling and the gunicorn baseline, up together. Each
    case is warmed up on every server, then its runs alternate between them (×1, ×N, ×1, ×N, …; the
    read case also with the ceilings and the baseline), so a ×N/×1 or case/ceiling ratio compares
    runs seconds apart rather than sessions minutes apart: on this shared machine the same ceiling
    drifted 1.4x between sessions."""
    logs = work / "logs"
    small = min(urls)
    with contextlib.ExitStack() as stack:
        services, unkept = {}, {}  # unkept: the same servers keeping no search pages
        with_unkept = any(c in cases.UNKEPT_CASES for c in http_cases)
        for scale, url in urls.items():
            env = {
                **os.environ,
                "FHIR_SERVICE_DATABASE_URL": url,
                **dict(kv.split("=", 1) for kv in args.serve_env),
            }
            services[scale] = stack.enter_context(_serve(args, env, logs / f"serve-{backend}-x{scale}.log"))
            if with_unkept:
                env = {**env, "FHIR_SERVICE_KEPT_SEARCH_BYTES": "0"}
                log = logs / f"serve-{backend}-x{scale}-unkept.log"
                unkept[scale] = stack.enter_context(_serve(args, env, log))
        read_path = requests["read"].paths[0]
        first = services[small]
        ceilings = []  # (case name, server)
        if "ceiling" in http_cases:
            from fhir_service.cli.serve import default_concurrency

            # the ceiling runs as serve runs (its workers and threads)
            workers, threads = default_concurrency()
            spec = _capture(first.base + read_path, read_path, work / f"ceiling-{backend}")
            port = free_port()
            cmd = [sys.executable, "-m", "bench.ceiling", "--port", str(port), "--response", str(spec)]
            cmd += [
                "--workers",
                str(args.workers or workers),
                "--threads",
                str(args.server_threads or threads),
            ]
            log = logs / f"ceiling-{backend}.log"
            ceilings.append(("ceiling", stack.enter_context(Server(cmd, port, read_path, log))))
        baseline = None
        if "baseline" in http_cases:
            port = free_port()
            cmd = [sys.executable, "-m", "bench.gunicorn_baseline", "--port", str(port)]
            log = logs / f"baseline-{backend}.log"
            baseline = stack.enter_context(
                Server([*cmd, "--database-url", urls[small]], port, "/fhir/metadata", log)
            )
            if ceilings:
                port = free_port()
                cmd = [
                    sys.executable,
                    "-m",
                    "bench.gunicorn_baseline",
                    "--port",
                    str(port),
                    "--ceiling",
                    str(spec),
                ]
                log = logs / f"ceiling-gunicorn-{backend}.log"
                server = Server([*cmd, "--database-url", urls[small]], port, read_path, log)
                ceilings.append(("ceiling-gunicorn", stack.enter_context(server)))
        cases_run = [c for c in http_cases if c in cases.HTTP_CASES]
        if ceilings and "read" not in cases_run:
            cases_run.insert(0, "ceiling")
        for case in cases_run:
            on = unkept if case in cases.UNKEPT_CASES else services
            targets = [(scale, case, service) for scale, service in on.items()]
            if case in ("read", "ceiling"):
                targets = [(None, name, server) for name, server in ceilings] + (
                    targets if case == "read" else []
                )
            if baseline is not None and case in BASELINE_CASES:
                targets.insert(len(ceilings) if case == "read" else 0, (small, f"{case}@gunicorn", baseline))
            rows = _measure(args, targets, requests["read" if case == "ceiling" else case], backend, work)
            for (scale, name, _), row in zip(targets, rows, strict=True):
                if scale is None:  # a ceiling: one server, the row of every scale compares with it
                    results["http"] += [{**row, "scale": s, "case": name} for s in services]
                else:
                    results["http"].append({**row, "scale": scale, "case": name})
        for kind in (k for k in slowclients.KINDS if k in http_cases):
            _slow_phase(args, results, backend, kind, small, first, requests["read"], work)
        for scale, service in services.items():
            rss = service.worker_rss_mib()
            results["workers"].append(
                {"db": backend, "scale": scale, "rss_mib": rss, "max_rss_mib": max(rss)}
            )


def _serve(args, env: dict, log) -> Server:
    """`fhir-service serve` on a free port, with the bench's workers and threads."""
    port = free_port()
    cmd = [*ingest.cli(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if args.server_threads:
        cmd += ["--threads", str(args.server_threads)]
    return Server(cmd, port, "/fhir/metadata", log, env)


def _slow_phase(args, results, backend, kind, scale, server, request, work):
    """The read case on the ×1 server without, then beside, `--slow-clients` connections of `kind`
    (bench/slowclients.py), `--repeat` times; the rows are the read without them ("read-alone") and
    with them ("read+KIND"), and report.py compares their p99s."""
    duration = args.slow_duration
    run = _runner(args, server.base, request, work / "wrk" / f"slow-{kind}")
    run(args.warmup)
    alone, beside, held = [], [], []
    for _ in range(args.repeat):
        alone.append(_timed(server, run, duration))
        port = int(server.base.rsplit(":", 1)[1])
        with slowclients.SlowClients("127.0.0.1", port, kind, args.slow_clients) as clients:
            beside.append(_timed(server, run, duration))
            held.append(clients.summary())
    for name, runs in ((f"read-alone-{kind}", alone), (f"read+{kind}", beside)):
        row = {**_summary(runs, backend, f"x{scale}", name), "scale": scale, "case": name, "slow": held[-1]}
        results["http"].append(row)


def _timed(server, run, seconds) -> dict:
    cpu = server.cpu_seconds()
    figures = run(seconds)
    figures["cpu_ms"] = (server.cpu_seconds() - cpu) * 1000 / max(figures["requests"], 1)
    return figures


def _summary(done: list[dict], backend: str, label: str, name: str) -> dict:
    figures = {
        key: statistics.median(r[key] for r in done)
        for key in ("req_s", "p50_ms", "p99_ms", "max_ms", "cpu_ms")
    }
    for key in ("requests", "errors", "non2xx", "timeouts"):
        if key in done[0]:
            figures[key] = sum(r[key] for r in done)
    figures |= {"loadgen": done[0]["loadgen"], "runs": len(done)}
    figures["p99_ms_runs"] = [round(r["p99_ms"], 2) for r in done]  # the tail's spread, run by run
    each = f" (runs: {', '.join(f'{p:.1f}' for p in figures['p99_ms_runs'])})" if len(done) > 1 else ""
    print(
        f"bench: [{backend}-{label}] {name}: {figures['req_s']:.0f} req/s, p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms{each}, {figures['cpu_ms']:.2f} CPU ms/req, {figures['errors']} errors",
        flush=True,
    )
    return {"db": backend, **figures}


def _measure(args, targets: list, request, backend, work) -> list[dict]:
    """`targets`: (scale or None for a ceiling, case name, server). Warm-up on each, then
    `--repeat` rounds of one run per target in turn; each row holds the median of each figure
    (errors: the sum). cpu_ms: the server's CPU time (master and workers) per request. With
    --profile, py-spy records each service during its first run."""
    runners = [
        _runner(args, server.base, request, work / "wrk" / f"{name}-{scale}")
        for scale, name, server in targets
    ]
    for run in runners:
        run(args.warmup)
    runs: list[list[dict]] = [[] for _ in targets]
    for round_ in range(args.repeat):
        for (scale, name, server), run, done in zip(targets, runners, runs, strict=True):
            profile = args.profile and scale is not None and round_ == 0
            with (
                profiling.attached(server.proc.pid, args.profile / f"{backend}-x{scale}-{name}.raw")
                if profile
                else contextlib.nullcontext()
            ):
                done.append(_timed(server, run, args.duration))
    return [
        _summary(done, backend, "ceiling" if scale is None else f"x{scale}", name)
        for (scale, name, _), done in zip(targets, runs, strict=True)
    ]


def _runner(args, base, request, work):
    if args.loadgen_resolved == "wrk":
        return lambda seconds: loadgen.run_wrk(base, request, seconds, args.connections, args.threads, work)
    return lambda seconds: loadgen.run_python(base, request, seconds, args.connections)


def _pick_loadgen(args, skip) -> str:
    if args.loadgen == "python":
        args.loadgen_resolved = "python"
    else:
        reason = loadgen.ensure_wrk(install=True)
        if reason and args.loadgen == "wrk":
            raise SystemExit(f"bench: --loadgen wrk but {reason}")
        if reason:
            skip("wrk", f"{reason}; using the Python load loop (figures not comparable with wrk's)")
        args.loadgen_resolved = "python" if reason else "wrk"
    return args.loadgen_resolved


def _capture(url: str, path: str, dest: Path) -> Path:
    """The read-by-id response as served (bytes and the headers a client sees) for the ceiling."""
    req = urllib.request.Request(url, headers={"Accept": "application/fhir+json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body, headers = resp.read(), dict(resp.headers.items())
    dest.mkdir(parents=True, exist_ok=True)
    keep = {
        k: v for k, v in headers.items() if k.lower() in ("content-type", "etag", "last-modified", "location")
    }
    (dest / "body").write_bytes(body)
    spec = dest / "response.json"
    spec.write_text(json.dumps({"path": path, "headers": keep, "body_file": str(dest / "body")}))
    return spec


def _replicas(originals, source, work, scale) -> list[Path]:
    """Replica folders for ×scale (the originals are the first copy); written once, reused per db."""
    if scale <= 1:
        return []
    out = work / "replicas"
    written = sum(1 for _ in corpus.write_replicas(originals, source, out, range(1, scale)))
    print(f"bench: wrote {written} replica monographs under {out}", flush=True)
    return sorted(out.iterdir())


def _count_monographs(files: list[Path]) -> int:
    return sum(1 if f.is_file() else len(corpus.monograph_files(f)) for f in files)


def _meta(args) -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit.stdout.strip() or None,
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "quick": args.quick,
        "cases": args.cases,
        "duration": args.duration,
        "warmup": args.warmup,
        "repeat": args.repeat,
        "serve_env": args.serve_env,
        "connections": args.connections,
        "threads": args.threads,
        "server_threads": args.server_threads,
        "scale": args.scale,
        "loadgen": None,
    }


if __name__ == "__main__":
    sys.exit(main())
