"""`fhir-service serve`: migrate, optionally seed an empty store, then run gunicorn.

Each gunicorn worker builds its own app (and so its own database engine) after the fork.
"""

from __future__ import annotations

import ipaddress
import os

import click


def _cores() -> int:
    """The cores this process may run on (a container's or taskset's cpuset, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_concurrency(url: str) -> tuple[int, int]:
    """(gunicorn workers, threads per worker) for a database URL, at most 8 workers (PostgreSQL's
    connection limit). Counted from the cores this process may use (a container's cpuset).
    - SQLite runs in the worker's own process, so its threads never wait on the database: one
      worker per core (at least 2) with 4 threads. On 2 cores, 2x4 against 4x2: read 6,250-6,320
      against 5,420-5,870 req/s, token search 3,360-3,850 against 3,210-3,230 (bench, 2026-11-27).
    - PostgreSQL: every request waits out round trips, so two workers per core, each with 2 threads,
      fewer threads contending for each process's GIL. On 2 cores, 4x2 against 2x4: p99 at or
      below 7.5 ms in all 4 read and token runs, against 44 and 11 ms spikes. Reads were as fast
      (3,850-4,040 against 3,810-3,930 req/s) and token searches about 5 % slower.
    4 workers of 4 threads each had the worst tails of all (token p99 82 and 101 ms with 3-4x4)."""
    from sqlalchemy.engine import make_url

    cores = _cores()
    if make_url(url).get_backend_name() == "sqlite":
        return max(2, min(cores, 8)), 4
    return max(2, min(2 * cores, 8)), 2


def gunicorn_options(threads: int) -> dict:
    """gunicorn's settings other than bind and workers (the bench's ceiling runs under the same)."""
    return {
        # gthread that spreads a burst of keep-alive connections over the workers (see the module)
        "worker_class": "fhir_service.rest.gunicorn_worker.BalancedThreadWorker",
        "threads": threads,
        "keepalive": 5,
        "timeout": 120,
        "accesslog": None,  # the app logs one JSON line per request itself
        "errorlog": "-",
        "loglevel": "warning",
    }


def build_gunicorn(app_factory, options: dict):
    from gunicorn.app.base import BaseApplication

    class FhirGunicorn(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return app_factory()

    return FhirGunicorn()


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
@click.option("--workers", type=click.IntRange(min=1), help="gunicorn workers [default: see --threads]")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="Threads per worker (gthread) [default: SQLite 1 worker per core x 4 threads, "
    "PostgreSQL 2 per core x 2; at least 2 workers, at most 8]",
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
    """Serve the FHIR API at http://HOST:PORT/fhir under gunicorn (migrating the database first)."""
    check_auth(host, insecure)
    from fhir_service.rest.app import create_app
    from fhir_service.store.database import database_url
    from fhir_service.store.migrate import upgrade

    url = database_url()
    upgrade(url)
    if seed:
        seed_if_empty(url, seed)
    default_workers, default_threads = default_concurrency(url)
    workers, threads = workers or default_workers, threads or default_threads
    click.echo(
        f"serving http://{host}:{port}/fhir  (database {_redacted(url)}; {workers} workers x {threads} threads)",
        err=True,
    )
    options = {"bind": f"{host}:{port}", "workers": workers, **gunicorn_options(threads)}
    build_gunicorn(create_app, options).run()


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
