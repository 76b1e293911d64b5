"""Bulk Data export jobs (state shared by every server process).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fhir_service.store.schema import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the table as this revision made it (later revisions add columns to the model: 0007 owner)
    op.create_table(
        "bulk_job",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("base_url", sa.String(1024), nullable=False),
        sa.Column("types", sa.Text),
        sa.Column("since", UtcDateTime),
        sa.Column("transaction_time", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("heartbeat_at", UtcDateTime),
        sa.Column("worker", sa.String(128)),
        sa.Column("progress", sa.String(200)),
        sa.Column("output", sa.Text),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_bulk_job_status", "bulk_job", ["status"])


def downgrade() -> None:
    op.drop_table("bulk_job")
