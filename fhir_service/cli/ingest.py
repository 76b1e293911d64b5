"""`fhir-service ingest PATH...`: monographs and FHIR files into the store (fhir_service/ingest/)."""

from __future__ import annotations

import click

from fhir_service.ingest.workers import Workers
from fhir_service.ingest.writer import run_ingest

__all__ = ["ingest", "run_ingest"]


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--jobs", type=int, default=None, help="Worker processes for convert+validate (default: CPUs, max 4)."
)
@click.option("--no-progress", is_flag=True, help="No progress bar (logs, CI).")
def ingest(paths, jobs, no_progress):
    """Convert, validate and store monographs and FHIR resources/Bundles (idempotent)."""
    from sqlalchemy.engine import make_url

    from fhir_service.store.database import database_url

    # first: the workers convert and validate while this process imports and connects
    workers = Workers(paths, jobs, dialect=make_url(database_url()).get_backend_name())
    try:
        from fhir_service.startup import open_repository

        repo, _ = open_repository(database_url())
        summary = run_ingest(paths, repo, workers=workers, progress=not no_progress)
    finally:
        workers.close()
    for line in summary.lines():
        click.echo(line, err=True)
    raise SystemExit(0 if summary.ok else 1)
