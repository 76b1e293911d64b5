"""Bulk export jobs remember the client that started them (with authorization on, only it may poll,
cancel or download).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bulk_job", sa.Column("owner", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("bulk_job") as batch:  # SQLite rebuilds the table
        batch.drop_column("owner")
