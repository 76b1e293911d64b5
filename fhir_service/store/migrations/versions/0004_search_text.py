"""Full-text index for _text and _content (fhir_service/search/text.py), filled for stored resources
(through the index hook the search package registers).

Revision ID: 0004
Revises: 0003

SQLite: an FTS5 table whose rowid is resource.pk (it keeps its own copy of the words, so a row can
be deleted by rowid). PostgreSQL: the words as tsvectors (no text kept), a GIN index on the
narrative and one on narrative || content.
"""

from __future__ import annotations

import json

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # columnsize=0: no per-row token counts (they only serve bm25 ranking, which search does not use)
        bind.exec_driver_sql(
            "CREATE VIRTUAL TABLE search_text USING fts5("
            "narrative, content, tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)"
        )
    else:
        bind.exec_driver_sql(
            "CREATE TABLE search_text ("
            "resource_pk BIGINT PRIMARY KEY REFERENCES resource (pk) ON DELETE CASCADE, "
            "narrative TSVECTOR NOT NULL, content TSVECTOR NOT NULL)"
        )
        # a small GIN pending list: every search reads it all, and a large one makes the planner
        # choose a sequential scan after an ingest
        for name, expression in (("narrative", "narrative"), ("all", "(narrative || content)")):
            bind.exec_driver_sql(
                f"CREATE INDEX ix_search_text_{name} ON search_text USING gin ({expression}) "
                "WITH (gin_pending_list_limit = 64)"
            )
    _fill(bind)


def _fill(bind) -> None:
    from fhir_service.store.write_hook import index_hook

    last = 0
    query = text("SELECT pk, content FROM resource WHERE deleted = :no AND pk > :last ORDER BY pk LIMIT :n")
    while True:
        rows = bind.execute(query, {"no": False, "last": last, "n": BATCH}).all()
        if not rows:
            return
        index_hook().fill_text(bind, [(pk, json.loads(content)) for pk, content in rows])
        last = rows[-1][0]


def downgrade() -> None:
    op.get_bind().exec_driver_sql("DROP TABLE search_text")
