"""`fhir-service db upgrade|downgrade|current`: Alembic migrations of the configured database."""

from __future__ import annotations

import click


@click.group()
def db():
    """Database schema migrations (FHIR_SERVICE_DATABASE_URL, default sqlite:///var/fhir.sqlite)."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision):
    """Upgrade the schema to REVISION (default: the newest)."""
    import fhir_service.search  # noqa: F401  the index hook: a migration may index stored resources
    from fhir_service.store import migrate

    migrate.upgrade(None, revision)
    click.echo(f"database at revision {migrate.current_revision()}", err=True)


@db.command()
@click.argument("revision")
def downgrade(revision):
    """Downgrade the schema to REVISION ("base" drops everything)."""
    from fhir_service.store import migrate

    migrate.downgrade(None, revision)
    click.echo(f"database at revision {migrate.current_revision()}", err=True)


@db.command()
def current():
    """Print the schema revision of the database."""
    from fhir_service.store import migrate

    click.echo(migrate.current_revision() or "empty")
