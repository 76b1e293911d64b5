"""`fhir-service check`: the store's integrity (fhir_service/integrity.py); exit 1 with the list of
problems when anything is wrong."""

from __future__ import annotations

import time

import click


@click.command()
@click.option(
    "--database-url", envvar="FHIR_SERVICE_DATABASE_URL", help="Default: $FHIR_SERVICE_DATABASE_URL."
)
@click.option("--base-url", help="This server's base; absolute references under it are checked too.")
@click.option("--quick", is_flag=True, help="Skip re-deriving every resource's index rows.")
def check(database_url, base_url, quick):
    """Check that every stored reference resolves and every index row belongs to a current version."""
    from fhir_service.integrity import check_store
    from fhir_service.store.database import make_engine

    engine = make_engine(database_url)
    started = time.monotonic()
    try:
        report = check_store(engine, base_url=base_url, deep=not quick)
    finally:
        engine.dispose()
    for problem in report.problems:
        click.echo(f"PROBLEM {problem}", err=True)
    if report.more:
        click.echo(f"... and {report.more} more problems", err=True)
    click.echo(
        f"{report.resources} live resources, {report.references} references, {report.index_rows} index rows "
        f"checked in {time.monotonic() - started:.1f}s: "
        + ("OK" if report.ok else f"{len(report.problems) + report.more} problems")
    )
    if not report.ok:
        raise SystemExit(1)
