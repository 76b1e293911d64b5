"""PostgreSQL: the search index rows' reference to their resource checked once per statement.

Revision ID: 0005
Revises: 0004

A foreign key checks each inserted row on its own (a query and a row lock per index row: ~100,000
for the corpus ingest, a sixth of PostgreSQL's CPU for it). The same rule as statement-level
triggers, with the same guarantees:

- after an INSERT or UPDATE of index rows, every resource they name is locked FOR KEY SHARE (what
  a foreign key check takes: no concurrent delete or pk change until commit) and must exist, else
  foreign_key_violation (23503), as the foreign key would raise;
- after a DELETE of resource rows, their index rows are deleted (ON DELETE CASCADE); a TRUNCATE of
  `resource` truncates the index tables; a changed resource.pk that index rows still name is refused
  (the foreign key's NO ACTION).

SQLite keeps its foreign keys (checked per row too, but an index probe in-process). `resource_version`
and `search_parameter_enabled` keep theirs.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = (
    "search_token",
    "search_string",
    "search_reference",
    "search_date",
    "search_quantity",
    "search_number",
    "search_uri",
    "search_text",
)

_CHECK = """
CREATE FUNCTION fhir_index_rows_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    locked bigint;
BEGIN
    SELECT count(DISTINCT resource_pk) INTO wanted FROM new_rows;
    SELECT count(*) INTO locked FROM (
        SELECT 1 FROM resource r WHERE r.pk IN (SELECT resource_pk FROM new_rows) FOR KEY SHARE OF r
    ) AS found;
    IF locked <> wanted THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = 'insert or update on table "'
            || TG_TABLE_NAME || '" names a resource_pk that is not in table "resource"';
    END IF;
    RETURN NULL;
END
$$
"""

_CASCADE = """
CREATE FUNCTION fhir_resource_delete_index_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{deletes}
    RETURN NULL;
END
$$
"""

_TRUNCATE = """
CREATE FUNCTION fhir_resource_truncate_index_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE {tables};
    RETURN NULL;
END
$$
"""

_PK_CHANGE = """
CREATE FUNCTION fhir_resource_pk_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {referenced} THEN
        RAISE EXCEPTION 'update on table "resource" changes a pk that search index rows reference'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    run = bind.exec_driver_sql
    run(_CHECK)
    run(
        _CASCADE.format(
            deletes="\n".join(
                f"    DELETE FROM {t} WHERE resource_pk IN (SELECT pk FROM old_rows);" for t in TABLES
            )
        )
    )
    run(_TRUNCATE.format(tables=", ".join(TABLES)))
    run(
        _PK_CHANGE.format(
            referenced=" OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE resource_pk = OLD.pk)" for t in TABLES)
        )
    )
    for table in TABLES:
        run(f"ALTER TABLE {table} DROP CONSTRAINT {table}_resource_pk_fkey")
        for event in ("INSERT", "UPDATE"):
            run(
                f"CREATE TRIGGER {table}_resource_{event.lower()} AFTER {event} ON {table}"
                " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
                " EXECUTE FUNCTION fhir_index_rows_check()"
            )
    run(
        "CREATE TRIGGER resource_delete_index_rows AFTER DELETE ON resource"
        " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
        " EXECUTE FUNCTION fhir_resource_delete_index_rows()"
    )
    run(
        "CREATE TRIGGER resource_truncate_index_rows AFTER TRUNCATE ON resource"
        " FOR EACH STATEMENT EXECUTE FUNCTION fhir_resource_truncate_index_rows()"
    )
    run(
        "CREATE TRIGGER resource_pk_change BEFORE UPDATE OF pk ON resource FOR EACH ROW"
        " WHEN (OLD.pk IS DISTINCT FROM NEW.pk) EXECUTE FUNCTION fhir_resource_pk_change()"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    run = bind.exec_driver_sql
    for trigger in ("resource_delete_index_rows", "resource_truncate_index_rows", "resource_pk_change"):
        run(f"DROP TRIGGER {trigger} ON resource")
    for table in TABLES:
        for event in ("insert", "update"):
            run(f"DROP TRIGGER {table}_resource_{event} ON {table}")
        run(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_resource_pk_fkey FOREIGN KEY (resource_pk)"
            " REFERENCES resource (pk) ON DELETE CASCADE"
        )
    for function in (
        "fhir_index_rows_check",
        "fhir_resource_delete_index_rows",
        "fhir_resource_truncate_index_rows",
        "fhir_resource_pk_change",
    ):
        run(f"DROP FUNCTION {function}()")
