"""`fhir-service serve`: migrate, optionally seed an empty store, then run granian (rest/server.py).

Each granian worker builds its own app (and so its own database engine) after the fork.
"""

from __future__ import annotations

import ipaddress
import os

import click

from fhir_service.rest.server import cores as _cores


def default_concurrency() -> tuple[int, int]:
    """(granian workers, blocking threads per worker), at most 8 workers
    (PostgreSQL's connection limit), counted from the cores this process may use (a container's
    cpuset). One worker per core (at least 2): a connection waiting for bytes costs no thread,
    so threads are only the requests a process runs at once, and they share its GIL. Two per
    worker, on either database: a second lets a request run while another waits (on PostgreSQL
    or on a slow body); more only hand the GIL round, and each hand-off waits for the scheduler.
    A PostgreSQL server across a network leaves threads waiting longer: raise --threads there.
    bench/results/ holds the measurements."""
    workers = max(2, min(_cores(), 8))
    return workers, 2


def seed_if_empty(url: str, seed: str) -> None:
    from fhir_service.cli.ingest import run_ingest
    from fhir_service.store.database import make_engine
    from fhir_service.store.repository import Repository

    repo = Repository(make_engine(url))
    try:
        with repo.unit_of_work(write=False) as uow:
            empty = uow.count() == 0
        if not empty:
            return
        click.echo(f"empty database: ingesting {seed}", err=True)
        summary = run_ingest([seed], repo, progress=False)
        for line in summary.lines():
            click.echo(line, err=True)
        from fhir_service.search.maintenance import publish_custom_parameters

        with repo.unit_of_work() as uow:  # serve the custom SearchParameters the registry uses
            publish_custom_parameters(uow)
    finally:
        repo.dispose()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes [default: see --threads]")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="Request threads per worker [default: 1 worker per core (at least 2, at most 8), x 2 threads]",
)
@click.option(
    "--seed", type=click.Path(exists=True, file_okay=False), help="Ingest DIR first if the store is empty."
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Allow FHIR_SERVICE_AUTH=none (no authorization) on an address other than loopback.",
)
def serve(host, port, workers, threads, seed, insecure):
    """Serve the FHIR API at http://HOST:PORT/fhir under granian (migrating the database first)."""
    check_auth(host, insecure)
    from fhir_service.rest.server import Settings, granian_server
    from fhir_service.store.database import database_url
    from fhir_service.store.migrate import upgrade

    url = database_url()
    upgrade(url)
    if seed:
        seed_if_empty(url, seed)
    default_workers, default_threads = default_concurrency()
    workers, threads = workers or default_workers, threads or default_threads
    click.echo(
        f"serving http://{host}:{port}/fhir  (database {_redacted(url)}; {workers} workers x {threads} threads)",
        err=True,
    )
    granian_server(Settings(host, port, workers, threads)).serve()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to a public interface


def check_auth(host: str, insecure: bool, environ=os.environ) -> None:
    """Refuse (click usage error, exit 2) to serve without authorization beyond loopback unless
    --insecure; refuse an authorization mode whose settings are missing or unreadable."""
    from fhir_service.auth.config import authenticator, from_env
    from fhir_service.auth.errors import AuthConfigError

    try:
        config = from_env(environ)
        authenticator(config)
    except AuthConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    if config.mode == "none" and not insecure and not is_loopback(host):
        raise click.UsageError(
            f"refusing to serve {host} without authorization (FHIR_SERVICE_AUTH=none): anyone who can "
            "reach it could change the data. Set FHIR_SERVICE_AUTH=token or smart, bind to 127.0.0.1, "
            "or pass --insecure if something in front of the server controls access."
        )


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
