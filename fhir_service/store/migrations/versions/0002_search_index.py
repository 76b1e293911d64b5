"""Search index tables (token, string, reference, date, quantity, number, uri) and the enabled
stored SearchParameters.

Revision ID: 0002
Revises: 0001

The tables are created from their SQLAlchemy definitions in fhir_service.store.index_tables (one
source of truth for columns and composite indexes); later changes get their own revisions.
"""

from __future__ import annotations

from alembic import op

from fhir_service.store.index_tables import INDEX_TABLES, SearchParameterEnabled

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [*(t.__table__ for t in INDEX_TABLES.values()), SearchParameterEnabled.__table__]


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        table.create(bind)  # with its indexes


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(TABLES):
        table.drop(bind)
