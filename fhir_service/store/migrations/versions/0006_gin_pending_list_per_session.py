"""PostgreSQL: the full-text GIN indexes' pending-list limit set per session instead of per index.

Revision ID: 0006
Revises: 0005

0004 gave both GIN indexes of `search_text` a 64 kB pending list, so a search never reads a large
unsorted list (with the 4 MB default the planner chose a full read of search_text after an ingest).
As an index setting it also held for ingest, which then merged its entries into the index in 64 kB
batches: a sixth of PostgreSQL's CPU for the corpus. An index setting overrides the
`gin_pending_list_limit` parameter, so it is removed here; the service's connections now ask for
64 kB themselves (store/database.py), ingest asks for 4 MB in its own transactions and empties the
lists when it ends (gin_clean_pending_list, in refresh_statistics). Other writers get the server's
default; autovacuum empties their lists.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = ("ix_search_text_narrative", "ix_search_text_all")


def upgrade() -> None:
    _alter_indexes("RESET (gin_pending_list_limit)")


def downgrade() -> None:
    _alter_indexes("SET (gin_pending_list_limit = 64)")


def _alter_indexes(change: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name in INDEXES:
            bind.exec_driver_sql(f"ALTER INDEX {name} {change}")
