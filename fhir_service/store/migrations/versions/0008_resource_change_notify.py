"""PostgreSQL: every statement that changes `resource` notifies the servers' change listeners.

Revision ID: 0008
Revises: 0007

A server process keeps current versions and serves them without asking the database while nothing
may have changed (store/freshness.py). Writes through a server on the same host tell it in shared
memory; this trigger tells it of every other one (another host, psql, a restore). One notification
per statement, with an empty payload: PostgreSQL folds equal notifications of one transaction into
one, so a write transaction sends one whatever it changed.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CHANNEL = "fhir_service_resource_changed"  # store/freshness.py listens on it


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(
        f"""
        CREATE FUNCTION resource_changed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END $$
        """
    )
    bind.exec_driver_sql(
        "CREATE TRIGGER resource_changed_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON resource"
        " FOR EACH STATEMENT EXECUTE FUNCTION resource_changed_notify()"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql("DROP TRIGGER resource_changed_notify ON resource")
    bind.exec_driver_sql("DROP FUNCTION resource_changed_notify()")
