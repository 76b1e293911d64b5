"""`fhir-service reindex`: publish the custom SearchParameters, enable stored SearchParameters and
rebuild the search index of every current resource."""

from __future__ import annotations

import time

import click


@click.command()
@click.option("--type", "types", multiple=True, help="Only re-index resources of this type (repeatable).")
@click.option("--batch", type=int, default=500, show_default=True, help="Resources per transaction.")
def reindex(types, batch):
    """Rebuild the search index (after adding or changing SearchParameter resources)."""
    from fhir_service.search.maintenance import enable_stored_parameters, rebuild_index
    from fhir_service.startup import open_repository
    from fhir_service.store.database import refresh_statistics

    started = time.perf_counter()
    repo, counts = open_repository()
    try:
        with repo.unit_of_work() as uow:
            enabled = enable_stored_parameters(uow.session, echo=lambda m: click.echo(m, err=True))
        click.echo(
            f"custom SearchParameters: {counts}; stored SearchParameters enabled: {len(enabled)}", err=True
        )
        total = rebuild_index(repo, tuple(types), batch)
        refresh_statistics(repo.engine)
    finally:
        repo.dispose()
    click.echo(f"re-indexed {total} resources in {time.perf_counter() - started:.1f}s", err=True)
