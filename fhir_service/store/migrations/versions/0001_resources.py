"""Versioned resources: current rows, every version, ingest source membership.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fhir_service.store.schema import PrimaryKey, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resource",
        sa.Column("pk", PrimaryKey, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("last_updated", UtcDateTime, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=True),
        sa.UniqueConstraint("type", "id", name="uq_resource_type_id"),
    )
    op.create_index("ix_resource_type_last_updated", "resource", ["type", "last_updated"])
    op.create_index("ix_resource_last_updated", "resource", ["last_updated"])
    op.create_table(
        "resource_version",
        sa.Column(
            "resource_pk", PrimaryKey, sa.ForeignKey("resource.pk", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("version_id", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("last_updated", UtcDateTime, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_resource_version_last_updated", "resource_version", ["last_updated"])
    op.create_index("ix_resource_version_type_last_updated", "resource_version", ["type", "last_updated"])
    op.create_table(
        "ingest_member",
        sa.Column("source", sa.String(512), primary_key=True),
        sa.Column("type", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("ingest_member")
    op.drop_table("resource_version")
    op.drop_table("resource")
