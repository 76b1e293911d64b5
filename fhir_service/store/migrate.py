"""Alembic, driven from code: `upgrade(url)` brings any database to the newest schema.

Alembic is imported only where it is used: `at_head` lets a command that finds its database already
upgraded (ingest, after `db upgrade`) start without it (~0.2 s of imports and a no-op upgrade)."""

from __future__ import annotations

from pathlib import Path

from fhir_service.store.database import database_url, make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0008"  # the newest migration's revision (tests check it against Alembic's own head)


def alembic_config(url: str | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def at_head(engine) -> bool:
    """Whether the database's alembic_version is HEAD (False for anything else, an empty database
    included: then upgrade() decides)."""
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            current = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except DBAPIError:
        return False
    return current == [HEAD]
