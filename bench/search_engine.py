"""Search latency and query plans on an ingested corpus (not a test: run by hand, see the report).

    python bench/search_engine.py --url URL replicate --factor 20   # copies with new ids
    python bench/search_engine.py --url URL measure [--repeat 50]  # median/p99 + EXPLAIN

Latency is measured at the engine (Repository.search → Bundle dict, JSON decoded), without HTTP;
the CPU column (this process's CPU time, median) drifts less than wall time on a shared machine.
A plan "uses an index" when no statement scans a resource or index table in full."""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from pathlib import Path

import click
from sqlalchemy import event, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir_service.store.database import make_engine  # noqa: E402
from fhir_service.store.repository import Repository  # noqa: E402
from fhir_service.store.schema import Resource  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "search"))  # the tests' search helpers
from search_helpers import searchset  # noqa: E402

SCT = "http://snomed.info/sct"
SEARCHES = [
    (
        "CUD contraindications by product-name chain",
        "ClinicalUseDefinition",
        [("type", "contraindication"), ("subject:MedicinalProductDefinition.name", "tolperisone")],
    ),
    ("CUD indication code", "ClinicalUseDefinition", [("indication", f"{SCT}|24700007")]),
    (
        "CUD common effects of a product",
        "ClinicalUseDefinition",
        [
            ("type", "undesirable-effect"),
            ("product", "MedicinalProductDefinition/tolperisone-mpd"),
            ("effect-frequency", "http://hl7.org/fhir/undesirable-effect-frequency|Common"),
        ],
    ),
    ("APD by route", "AdministrableProductDefinition", [("route", f"{SCT}|47625008")]),
    (
        "MK code:text + _include CUD + _revinclude:iterate APD",
        "MedicationKnowledge",
        [
            ("code:text", "tolperisone"),
            ("_include", "MedicationKnowledge:clinical-use-issue"),
            ("_include", "MedicationKnowledge:definition"),
            ("_revinclude:iterate", "AdministrableProductDefinition:form-of"),
        ],
    ),
    (
        "MPD _has CUD contraindication",
        "MedicinalProductDefinition",
        [("_has:ClinicalUseDefinition:subject:contraindication", f"{SCT}|416098002")],
    ),
    (
        "MK _lastUpdated range, _sort=-_lastUpdated",
        "MedicationKnowledge",
        [("_lastUpdated", "ge2020-01-01"), ("_sort", "-_lastUpdated"), ("_count", "50")],
    ),
    ("MPD name prefix", "MedicinalProductDefinition", [("name", "para")]),
    (
        "CUD effect :text + _total=accurate",
        "ClinicalUseDefinition",
        [("effect:text", "nausea"), ("_total", "accurate")],
    ),
    (
        "MK intended-route, _sort=name",
        "MedicationKnowledge",
        [("intended-route", f"{SCT}|26643006"), ("_sort", "name")],
    ),
]
_REF = re.compile(r'("reference":")([A-Za-z]+)/([A-Za-z0-9\-.]{1,64})"')


def _copy_id(rid: str, k: int) -> str:
    return f"r{k:02d}-{rid[-59:]}"


@click.group()
@click.option("--url", required=True, help="Database URL of an ingested corpus.")
@click.pass_context
def cli(ctx, url):
    ctx.obj = Repository(make_engine(url))


@cli.command()
@click.option("--factor", type=int, default=20)
@click.pass_obj
def replicate(repo, factor):
    """Add factor-1 copies of every original resource, ids and references rewritten."""
    with repo.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(Resource.type, Resource.id, Resource.content).where(
                Resource.deleted.is_(False), ~Resource.id.like("r__-%"), Resource.type != "SearchParameter"
            )
        ).all()
    ids = {(t, i) for t, i, _ in rows}
    started = time.perf_counter()
    for k in range(1, factor):

        def rewrite(m, k=k):
            typ, rid = m.group(2), m.group(3)
            return f'{m.group(1)}{typ}/{_copy_id(rid, k) if (typ, rid) in ids else rid}"'

        for start in range(0, len(rows), 500):
            with repo.unit_of_work() as uow:
                for _type, rid, content in rows[start : start + 500]:
                    resource = json.loads(_REF.sub(rewrite, content.decode()))
                    resource["id"] = _copy_id(rid, k)
                    resource.pop("meta", None)
                    uow.update(resource)
        click.echo(f"copy {k}: {len(rows)} resources, {time.perf_counter() - started:.0f}s", err=True)


def _explain(session, dialect: str, statement: str, params) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    conn = session.connection()
    raw = conn.connection.driver_connection.cursor()
    raw.execute(prefix + statement, params)
    lines = [" ".join(str(c) for c in row[-1:]) for row in raw.fetchall()]
    raw.close()
    return lines


def _full_scans(dialect: str, lines: list[str]) -> list[str]:
    if dialect == "sqlite":
        return [
            line
            for line in lines
            if re.search(r"\bSCAN (resource|search_(?!parameter_enabled)\w+)\b", line) and "USING" not in line
        ]
    return [
        line
        for line in lines
        if "Seq Scan on resource" in line
        or ("Seq Scan on search_" in line and "search_parameter_enabled" not in line)
    ]


def _capturer(captured: list):
    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    return capture


@cli.command()
@click.option("--repeat", type=int, default=50)
@click.option("--plans/--no-plans", default=True)
@click.option(
    "--analyze/--no-analyze", default=True, help="Refresh planner statistics first (as after any bulk load)."
)
@click.pass_obj
def measure(repo, repeat, plans, analyze):
    dialect = repo.engine.dialect.name
    if analyze:
        with repo.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    with repo.unit_of_work(write=False) as uow:
        count = uow.session.scalar(select(text("count(*)")).select_from(Resource))
    click.echo(f"{dialect}: {count} resources; {repeat} runs per search (engine level, warm)")
    all_ok = True
    for label, rtype, params in SEARCHES:
        times, cpu, hits = [], [], 0
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            with repo.unit_of_work(write=False) as uow:
                bundle = searchset(uow, [rtype], params, "http://bench/fhir")
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            hits = len(bundle.get("entry", []))
        p99 = statistics.quantiles(times, n=100)[98] if len(times) > 1 else times[0]
        click.echo(
            f"  {statistics.median(times):7.2f} ms median {p99:7.2f} ms p99 "
            f"{statistics.median(cpu):6.2f} ms CPU  {hits:4d} entries  {label}"
        )
        if plans:
            captured = []
            capture = _capturer(captured)

            event.listen(repo.engine, "before_cursor_execute", capture)
            try:
                with repo.unit_of_work(write=False) as uow:
                    searchset(uow, [rtype], params, "http://bench/fhir")
                    scans = []
                    for statement, parameters in captured:
                        lines = _explain(uow.session, dialect, statement, parameters)
                        scans += _full_scans(dialect, lines)
                        if plans == "verbose":
                            click.echo("\n".join(lines))
            finally:
                event.remove(repo.engine, "before_cursor_execute", capture)
            all_ok &= not scans
            click.echo(
                f"           plan: {'index only, no full scan' if not scans else 'FULL SCAN: ' + '; '.join(scans)}"
            )
    click.echo("all plans use indexes" if all_ok else "some plans scan")


@cli.command()
@click.argument("number", type=int)
@click.pass_obj
def explain(repo, number):
    """Print the plans of search NUMBER (1-10)."""
    label, rtype, params = SEARCHES[number - 1]
    captured = []
    event.listen(
        repo.engine,
        "before_cursor_execute",
        lambda c, cu, s, p, ctx, em: (
            captured.append((s, p)) if s.lstrip().upper().startswith("SELECT") else None
        ),
    )
    with repo.unit_of_work(write=False) as uow:
        searchset(uow, [rtype], params, "http://bench/fhir")
        for statement, parameters in captured:
            click.echo(
                f"-- {label}\n{statement}\n"
                + "\n".join(_explain(uow.session, repo.engine.dialect.name, statement, parameters))
            )


if __name__ == "__main__":
    cli()
