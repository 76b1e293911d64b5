"""Bulk Data export jobs (state shared by every server process).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

from fhir_service.bulk.jobs import BulkJob

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    BulkJob.__table__.create(op.get_bind())  # with its index on status


def downgrade() -> None:
    BulkJob.__table__.drop(op.get_bind())
