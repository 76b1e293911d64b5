"""Migration 0005 (PostgreSQL): the search index rows' reference to `resource` is kept by statement
triggers exactly as the foreign keys kept it; SQLite keeps its foreign keys. Up and down cleanly."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from fhir_service.interactions.conditional import matches
from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.repository import Repository

TABLES = [
    "search_token",
    "search_string",
    "search_reference",
    "search_date",
    "search_quantity",
    "search_number",
    "search_uri",
]


@pytest.fixture()
def repo(fresh_repo):
    return fresh_repo


def patient(rid: str) -> dict:
    return {
        "resourceType": "Patient",
        "id": rid,
        "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Ann</div>'},
        "name": [{"family": "Smith"}],
        "birthDate": "1970-01-01",
        "identifier": [{"system": "urn:s", "value": rid}],
        "managingOrganization": {"reference": "Organization/o"},
        "photo": [{"url": "http://example.org/p.png"}],
    }


def index_rows(conn, pk: int) -> int:
    tables = [*TABLES, "search_text"]
    if conn.dialect.name == "sqlite":
        tables.remove("search_text")  # FTS5, keyed by rowid
    return sum(
        conn.execute(text(f"SELECT count(*) FROM {t} WHERE resource_pk = :pk"), {"pk": pk}).scalar()
        for t in tables
    )


def test_an_index_row_must_name_a_resource(repo):
    with repo.unit_of_work() as uow:
        pk = uow.update(patient("a"))[0].pk
    for pk_value in (pk + 1000, None):
        with pytest.raises(IntegrityError), repo.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO search_token (resource_pk, sp, grp) VALUES (:pk, 1, 0), (:other, 1, 0)"),
                {"pk": pk, "other": pk_value if pk_value is not None else pk + 1},
            )
    with pytest.raises(IntegrityError), repo.engine.begin() as conn:
        conn.execute(text("UPDATE search_token SET resource_pk = resource_pk + 1000"))
    with repo.engine.begin() as conn:  # the resource's own rows are fine, also several at once
        conn.execute(
            text("INSERT INTO search_token (resource_pk, sp, grp) VALUES (:pk, 1, 0), (:pk, 2, 0)"),
            {"pk": pk},
        )


def test_deleting_a_resource_row_deletes_its_index_rows(repo):
    with repo.unit_of_work() as uow:
        pks = [uow.update(patient(rid))[0].pk for rid in ("a", "b", "c")]
    with repo.engine.begin() as conn:
        assert all(index_rows(conn, pk) > 0 for pk in pks)
        conn.execute(
            text("DELETE FROM resource_version WHERE resource_pk IN (:a, :b)"), {"a": pks[0], "b": pks[1]}
        )
        conn.execute(text("DELETE FROM resource WHERE pk IN (:a, :b)"), {"a": pks[0], "b": pks[1]})
        assert [index_rows(conn, pk) > 0 for pk in pks] == [False, False, True]


def test_a_referenced_pk_cannot_change(repo):
    if repo.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's foreign keys (ON UPDATE NO ACTION) are SQLite's")
    with repo.unit_of_work() as uow:
        pk = uow.update(patient("a"))[0].pk
    with pytest.raises(IntegrityError), repo.engine.begin() as conn:
        conn.execute(
            text("UPDATE resource_version SET resource_pk = :new WHERE resource_pk = :pk"),
            {"pk": pk, "new": pk + 1000},
        )
        conn.execute(text("UPDATE resource SET pk = :new WHERE pk = :pk"), {"pk": pk, "new": pk + 1000})
    with repo.engine.begin() as conn:  # updating other columns is not a pk change
        conn.execute(text("UPDATE resource SET version_id = version_id WHERE pk = :pk"), {"pk": pk})


def test_truncating_resource_truncates_the_index(repo):
    if repo.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    with repo.unit_of_work() as uow:
        pk = uow.update(patient("a"))[0].pk
    with repo.engine.begin() as conn:
        conn.execute(text("TRUNCATE resource CASCADE"))
        assert index_rows(conn, pk) == 0


def test_down_to_0004_and_up_again(database_url_factory):
    url = database_url_factory()
    migrate.upgrade(url)
    repo = Repository(make_engine(url))
    try:
        with repo.unit_of_work() as uow:
            uow.update(patient("a"))
        migrate.downgrade(url, "0004")
        engine = make_engine(url)
        if engine.dialect.name == "postgresql":
            keys = inspect(engine).get_foreign_keys("search_token")
            assert [(k["referred_table"], k["options"].get("ondelete")) for k in keys] == [
                ("resource", "CASCADE")
            ]
        engine.dispose()
        migrate.upgrade(url)
        assert migrate.current_revision(url) == migrate.HEAD
        with repo.unit_of_work() as uow:
            uow.update({**patient("a"), "name": [{"family": "Jones"}]})
            assert matches(uow, "Patient", [("family", "Jones")])[0].id == "a"
    finally:
        repo.dispose()
