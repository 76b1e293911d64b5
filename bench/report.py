"""Derived figures (ratio to the ceiling, ×N/×1 scale ratios), the issue's targets, and the table."""

from __future__ import annotations

from bench.cases import R4_CASES, SEARCH_CASES, UNKEPT_CASES, XML_CASES

# issue 7, "Targets": (name, figure getter over the results, bound, "min" or "max")
RATIO_TARGETS = {"read": 0.70, "search-token": 0.35, "search-chained": 0.20, "search-include": 0.20}
P99_TARGETS_MS = {"read": 10.0, "search-token": 25.0}
INGEST_RATE = 1500.0
INGEST_RSS_MIB = 1024.0
SCALE_RATIO = 1.3
WORKER_RSS_MIB = 300.0
XML_READ_RATIO = 3.0  # an XML read costs at most 3x a JSON read
# the serving layer: granian against its own ceiling and against gunicorn (the baseline, same run)
SERVER_CEILING_RATIO = {"read": 0.40}
BASELINE_RATIO = {"read": 3.0, "search-token": 1.5}
SERVER_P99_MS = {"read": 5.0, "search-token": 15.0}
SLOW_P99_RATIO = 2.0  # read p99 beside slow clients / without them
XML_PARSE_S = 1.0  # 50,000 repeated elements parse in under a second of CPU
R4_READ_RATIO = 2.0  # a read through /fhir/R4 costs at most 2x the R5 read


def add_ceiling_ratios(http: list[dict]) -> None:
    """req/s ÷ the ceiling's (the bare WSGI callable under granian), and the ceiling's CPU per
    request ÷ the case's (both: 1 = as cheap as the bare callable; the CPU one drifts less when
    other work shares the machine); and req/s ÷ the gunicorn ceiling's (the bare Flask view under
    gunicorn, issue 7's ceiling)."""
    ceilings = {(r["db"], r["scale"]): r for r in http if r["case"] == "ceiling"}
    flask = {(r["db"], r["scale"]): r for r in http if r["case"] == "ceiling-gunicorn"}
    for row in http:
        ceiling = ceilings.get((row["db"], row["scale"]))
        row["ratio_to_ceiling"] = row["req_s"] / ceiling["req_s"] if ceiling else None
        cpu, ceiling_cpu = row.get("cpu_ms"), ceiling and ceiling.get("cpu_ms")
        row["cpu_ratio_to_ceiling"] = ceiling_cpu / cpu if cpu and ceiling_cpu else None
        old = flask.get((row["db"], row["scale"]))
        row["ratio_to_gunicorn_ceiling"] = row["req_s"] / old["req_s"] if old else None


def add_baseline_ratios(http: list[dict]) -> None:
    """req/s of a case under granian ÷ the same case under gunicorn (CASE@gunicorn, same database)."""
    baseline = {
        (r["db"], r["scale"], r["case"].split("@")[0]): r for r in http if r["case"].endswith("@gunicorn")
    }
    for row in http:
        old = baseline.get((row["db"], row["scale"], row["case"]))
        row["ratio_to_gunicorn"] = row["req_s"] / old["req_s"] if old else None


def slow_ratios(http: list[dict]) -> list[dict]:
    """The read's p99 beside slow clients ÷ without them (runs back to back, bench/__main__.py)."""
    rows = {(r["db"], r["case"]): r for r in http}
    out = []
    for (db, case), row in rows.items():
        if case.startswith("read+"):
            kind = case.removeprefix("read+")
            alone = rows.get((db, f"read-alone-{kind}"))
            if alone:
                out.append(
                    {
                        "db": db,
                        "kind": kind,
                        "p99_ms_alone": alone["p99_ms"],
                        "p99_ms_beside": row["p99_ms"],
                        "ratio": row["p99_ms"] / alone["p99_ms"],
                        "errors": row["errors"],
                        "slow": row.get("slow"),
                    }
                )
    return out


def scale_ratios(http: list[dict], big: int) -> list[dict]:
    """Each search's p50 at ×big over its p50 at ×1 (their runs alternate, see bench/__main__.py):
    the searches run without kept pages where measured (the search's own cost), else as served."""
    if big == 1:
        return []
    p50 = {(r["db"], r["scale"], r["case"]): r["p50_ms"] for r in http}
    unkept = {(db, UNKEPT_CASES[case]) for db, _, case in p50 if case in UNKEPT_CASES}
    rows = []
    for (db, scale, case), small in p50.items():
        large = p50.get((db, big, case))
        searched = case in UNKEPT_CASES or (case in SEARCH_CASES and (db, case) not in unkept)
        if scale == 1 and searched and large is not None:
            rows.append(
                {"db": db, "case": case, "p50_ms_x1": small, f"p50_ms_x{big}": large, "ratio": large / small}
            )
    return rows


def xml_ratios(http: list[dict]) -> list[dict]:
    """Each XML case's p50 over its JSON twin's (same requests, same server and session)."""
    p50 = {(r["db"], r["scale"], r["case"]): r["p50_ms"] for r in http}
    rows = []
    for (db, scale, case), xml_ms in p50.items():
        json_ms = p50.get((db, scale, XML_CASES.get(case)))
        if json_ms:
            rows.append(
                {
                    "db": db,
                    "scale": scale,
                    "case": case,
                    "p50_ms_json": json_ms,
                    "p50_ms_xml": xml_ms,
                    "ratio": xml_ms / json_ms,
                }
            )
    return rows


def r4_ratios(http: list[dict]) -> list[dict]:
    """Each R4 case's p50 over its R5 twin's (the same resources, same server and session)."""
    rows_by = {(r["db"], r["scale"], r["case"]): r for r in http}
    rows = []
    for (db, scale, case), r4 in rows_by.items():
        r5 = rows_by.get((db, scale, R4_CASES.get(case)))
        if r5 and r5["p50_ms"]:
            cpu = r4.get("cpu_ms") / r5["cpu_ms"] if r4.get("cpu_ms") and r5.get("cpu_ms") else None
            rows.append(
                {
                    "db": db,
                    "scale": scale,
                    "case": case,
                    "p50_ms_r5": r5["p50_ms"],
                    "p50_ms_r4": r4["p50_ms"],
                    "ratio": r4["p50_ms"] / r5["p50_ms"],
                    "cpu_ratio": cpu,  # server CPU per request: drifts less on a shared machine
                }
            )
    return rows


def targets(results: dict) -> list[dict]:
    big = results["meta"]["scale"]
    out = []

    def check(name, value, bound, kind):
        if value is not None:
            ok = value >= bound if kind == "min" else value <= bound
            out.append(
                {
                    "target": name,
                    "value": value,
                    "bound": f"{'≥' if kind == 'min' else '≤'} {bound:g}",
                    "ok": ok,
                }
            )

    for r in results["ingest"]:
        check(f"ingest res/s {r['db']} ×{r['scale']}", r["resources_per_s"], INGEST_RATE, "min")
        if r["scale"] == big:
            check(f"ingest peak RSS MiB {r['db']} ×{r['scale']}", _peak(r), INGEST_RSS_MIB, "max")
    for r in results["http"]:
        where = f"{r['db']} ×{r['scale']}"
        if r["case"] in RATIO_TARGETS:  # the older ceiling: the bare Flask view under gunicorn
            bound = RATIO_TARGETS[r["case"]]
            check(f"{r['case']} / gunicorn ceiling {where}", r.get("ratio_to_gunicorn_ceiling"), bound, "min")
        if r["case"] in P99_TARGETS_MS:
            check(f"{r['case']} p99 ms {where}", r["p99_ms"], P99_TARGETS_MS[r["case"]], "max")
        if r["case"] in SERVER_CEILING_RATIO:
            check(
                f"serving: {r['case']} / ceiling {where}",
                r["ratio_to_ceiling"],
                SERVER_CEILING_RATIO[r["case"]],
                "min",
            )
        if r["case"] in BASELINE_RATIO:
            check(
                f"serving: {r['case']} / gunicorn {where}",
                r.get("ratio_to_gunicorn"),
                BASELINE_RATIO[r["case"]],
                "min",
            )
        if r["case"] in SERVER_P99_MS:
            check(f"serving: {r['case']} p99 ms {where}", r["p99_ms"], SERVER_P99_MS[r["case"]], "max")
    for r in results.get("slow", ()):
        check(f"serving: read p99 beside {r['kind']} / alone {r['db']}", r["ratio"], SLOW_P99_RATIO, "max")
    for r in results["scale"]:
        check(f"{r['case']} p50 ×{big}/×1 {r['db']}", r["ratio"], SCALE_RATIO, "max")
    for r in results["workers"]:
        check(f"worker RSS MiB {r['db']} ×{r['scale']}", r["max_rss_mib"], WORKER_RSS_MIB, "max")
    for r in results.get("xml", ()):
        if r["case"] == "read-xml":
            check(f"read p50 XML/JSON {r['db']} ×{r['scale']}", r["ratio"], XML_READ_RATIO, "max")
    if parse := results.get("xml_parse"):
        check(f"XML parse CPU s, {parse['elements']:,} elements", parse["cpu_s"], XML_PARSE_S, "max")
    for r in results.get("r4", ()):
        if r["case"] == "read-r4":
            check(f"read p50 R4/R5 {r['db']} ×{r['scale']}", r["ratio"], R4_READ_RATIO, "max")
            check(f"read CPU R4/R5 {r['db']} ×{r['scale']}", r["cpu_ratio"], R4_READ_RATIO, "max")
    return out


def _peak(row: dict) -> float | None:
    figures = [x for x in (row.get("peak_rss_mib"), row.get("peak_tree_rss_mib")) if x is not None]
    return max(figures) if figures else None


def render(results: dict) -> str:
    big = results["meta"]["scale"]
    parts = []
    if machine := results["meta"].get("machine_ms"):
        parts.append(
            f"MACHINE: a fixed standard-library workload took {machine['start']:.1f} ms at the start and "
            f"{machine['end']:.1f} ms at the end, and the ingest table's 'machine ms' right after "
            "each ingest (bench/machine.py; lower is faster; compare it across runs before comparing their "
            "absolute figures)"
        )
    parts.append(
        _table(
            "INGEST (fhir-service ingest, fresh database)",
            [
                "db",
                "scale",
                "monographs",
                "resources",
                "wall s",
                "res/s",
                "peak RSS MiB",
                "tree RSS MiB",
                "machine ms",
                "status",
            ],
            [
                [
                    r["db"],
                    f"×{r['scale']}",
                    r["monographs"],
                    r["resources"],
                    r["wall_s"],
                    r["resources_per_s"],
                    r["peak_rss_mib"],
                    r["peak_tree_rss_mib"],
                    r.get("machine_ms"),
                    r["status"],
                ]
                for r in results["ingest"]
            ],
        )
    )
    parts.append(
        _table(
            f"HTTP ({results['meta']['loadgen']}, {results['meta']['connections']} connections, "
            f"{results['meta']['duration']:g} s per case after {results['meta']['warmup']:g} s warm-up"
            + (
                f", median of {results['meta']['repeat']} runs)"
                if results["meta"].get("repeat", 1) > 1
                else ")"
            ),
            [
                "db",
                "scale",
                "case",
                "req/s",
                "/ceiling",
                "/gunicorn ceiling",
                "/gunicorn",
                "p50 ms",
                "p99 ms",
                "CPU ms/req",
                "CPU ceiling/case",
                "errors",
                "requests",
            ],
            [
                [
                    r["db"],
                    f"×{r['scale']}",
                    r["case"],
                    r["req_s"],
                    r["ratio_to_ceiling"],
                    r.get("ratio_to_gunicorn_ceiling"),
                    r.get("ratio_to_gunicorn"),
                    r["p50_ms"],
                    r["p99_ms"],
                    r.get("cpu_ms"),
                    r.get("cpu_ratio_to_ceiling"),
                    r["errors"],
                    r["requests"],
                ]
                for r in results["http"]
            ],
        )
    )
    parts.append(
        _table(
            f"SCALE (p50 latency ×{big} / ×1, runs alternating)",
            ["db", "case", "p50 ms ×1", f"p50 ms ×{big}", "ratio"],
            [[r["db"], r["case"], r["p50_ms_x1"], r[f"p50_ms_x{big}"], r["ratio"]] for r in results["scale"]],
        )
    )
    parts.append(
        _table(
            "XML / JSON (p50 latency of the same requests answered as XML and as JSON)",
            ["db", "scale", "case", "p50 ms JSON", "p50 ms XML", "ratio"],
            [
                [r["db"], f"×{r['scale']}", r["case"], r["p50_ms_json"], r["p50_ms_xml"], r["ratio"]]
                for r in results.get("xml", ())
            ],
        )
    )
    parts.append(
        _table(
            "SLOW CLIENTS (read p99 beside slow connections / without them, runs back to back)",
            ["db", "kind", "p99 ms alone", "p99 ms beside", "ratio", "errors", "connections", "reopened"],
            [
                [
                    r["db"],
                    r["kind"],
                    r["p99_ms_alone"],
                    r["p99_ms_beside"],
                    r["ratio"],
                    r["errors"],
                    (r.get("slow") or {}).get("connections"),
                    (r.get("slow") or {}).get("reopened"),
                ]
                for r in results.get("slow", ())
            ],
        )
    )
    parts.append(
        _table(
            "R4 / R5 (p50 latency of the same resources through /fhir/R4 and /fhir)",
            ["db", "scale", "case", "p50 ms R5", "p50 ms R4", "ratio", "CPU ratio"],
            [
                [
                    r["db"],
                    f"×{r['scale']}",
                    r["case"],
                    r["p50_ms_r5"],
                    r["p50_ms_r4"],
                    r["ratio"],
                    r["cpu_ratio"],
                ]
                for r in results.get("r4", ())
            ],
        )
    )
    parts.append(
        _table(
            "SERVER WORKERS (VmRSS after the session's cases)",
            ["db", "scale", "workers", "max RSS MiB", "RSS MiB each"],
            [
                [
                    r["db"],
                    f"×{r['scale']}",
                    len(r["rss_mib"]),
                    r["max_rss_mib"],
                    " ".join(f"{x:.0f}" for x in r["rss_mib"]),
                ]
                for r in results["workers"]
            ],
        )
    )
    parts.append(
        _table(
            "TARGETS (issue 7, and the serving layer)",
            ["target", "measured", "bound", "ok"],
            [[t["target"], t["value"], t["bound"], "yes" if t["ok"] else "NO"] for t in results["targets"]],
        )
    )
    if results["skipped"]:
        parts.append("SKIPPED\n" + "\n".join(f"  {s['what']}: {s['reason']}" for s in results["skipped"]))
    return "\n\n".join(p for p in parts if p)


def _table(title: str, header: list[str], rows: list[list]) -> str:
    if not rows:
        return ""
    cells = [header] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(r, widths, strict=True))
        for r in cells[1:]
    ]
    return "\n".join(lines)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).isdigit()
