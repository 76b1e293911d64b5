"""The versioned store against a real database (SQLite by default, PostgreSQL in CI)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect

from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.errors import Conflict, PreconditionFailed


@pytest.fixture(scope="module")
def repo(migrated_repo):
    return migrated_repo


def patient(**fields) -> dict:
    return {"resourceType": "Patient", **fields}


def test_migrations_go_up_and_down(database_url_factory):
    url = database_url_factory()
    migrate.upgrade(url, "0001")
    engine = make_engine(url)
    assert {"resource", "resource_version", "ingest_member"} <= set(inspect(engine).get_table_names())
    migrate.downgrade(url, "base")
    assert "resource" not in inspect(engine).get_table_names()
    engine.dispose()
    assert migrate.current_revision(url) is None


def test_head_is_the_newest_migration_and_at_head_says_so(database_url_factory):
    assert migrate.HEAD == migrate.head_revision()  # bump HEAD with each new migration
    url = database_url_factory()
    engine = make_engine(url)
    assert not migrate.at_head(engine)  # empty: no alembic_version
    migrate.upgrade(url, "0004")
    assert not migrate.at_head(engine)
    migrate.upgrade(url)
    assert migrate.at_head(engine)
    engine.dispose()


def test_create_update_delete_keep_every_version(repo):
    with repo.unit_of_work() as uow:
        first = uow.create(patient(active=True))
    assert first.version_id == 1 and first.method == "POST"
    assert first.resource()["meta"]["versionId"] == "1"
    with repo.unit_of_work() as uow:
        second, created = uow.update(patient(id=first.id, active=False), if_match="1")
    assert (second.version_id, created) == (2, False)
    assert second.last_updated >= first.last_updated
    with repo.unit_of_work() as uow:
        gone = uow.delete("Patient", first.id)
    assert gone.deleted and gone.version_id == 3 and gone.content is None
    with repo.unit_of_work(write=False) as uow:
        assert uow.read("Patient", first.id).deleted
        assert uow.vread("Patient", first.id, 1).resource()["active"] is True
        assert uow.vread("Patient", first.id, 2).resource()["active"] is False
        assert uow.vread("Patient", first.id, 9) is None
        page = uow.history("Patient", first.id)
    assert [(v.version_id, v.method) for v in page.entries] == [(3, "DELETE"), (2, "PUT"), (1, "POST")]


def test_stored_bytes_are_what_read_returns(repo):
    with repo.unit_of_work() as uow:
        stored = uow.create(patient(gender="female", birthDate="1970-01-01"))
    with repo.unit_of_work(write=False) as uow:
        assert uow.read("Patient", stored.id).content == stored.content
    assert stored.content.startswith(b'{"resourceType":"Patient","id":"')


def test_if_match_must_name_the_current_version(repo):
    with repo.unit_of_work() as uow:
        stored = uow.create(patient())
    with pytest.raises(PreconditionFailed), repo.unit_of_work() as uow:
        uow.update(patient(id=stored.id), if_match="7")
    with pytest.raises(PreconditionFailed), repo.unit_of_work() as uow:
        uow.delete("Patient", stored.id, if_match="2")
    with pytest.raises(PreconditionFailed), repo.unit_of_work() as uow:
        uow.update(patient(id="never-there"), if_match="1")
    with repo.unit_of_work(write=False) as uow:
        assert uow.read("Patient", stored.id).version_id == 1


def test_create_with_a_taken_id_conflicts_and_update_creates(repo):
    with repo.unit_of_work() as uow:
        stored, created = uow.update(patient(id="client-chosen"))
    assert created and stored.version_id == 1
    with pytest.raises(Conflict), repo.unit_of_work() as uow:
        uow.create(patient(), id="client-chosen")


def test_a_failed_unit_of_work_leaves_nothing(repo):
    with repo.unit_of_work(write=False) as uow:
        before = uow.count()
    with pytest.raises(RuntimeError), repo.unit_of_work() as uow:
        uow.create(patient())
        raise RuntimeError("abort")
    with repo.unit_of_work(write=False) as uow:
        assert uow.count() == before


def test_history_pages_by_cursor_and_since(repo):
    with repo.unit_of_work() as uow:
        ids = [uow.create({"resourceType": "Basic", "code": {"text": str(n)}}).id for n in range(5)]
    with repo.unit_of_work(write=False) as uow:
        first = uow.history("Basic", count=2)
        second = uow.history("Basic", count=2, cursor=first.next_cursor)
        third = uow.history("Basic", count=2, cursor=second.next_cursor)
        assert first.total == 5 and third.next_cursor is None
        seen = [v.id for page in (first, second, third) for v in page.entries]
        assert seen == list(reversed(ids))
        newest = first.entries[0].last_updated
        # creates can share a millisecond: _since is inclusive, so every version stamped `newest`
        same_instant = [
            v.id for page in (first, second, third) for v in page.entries if v.last_updated >= newest
        ]
        assert ids[-1] in same_instant
        assert [v.id for v in uow.history("Basic", since=newest).entries] == same_instant
        assert uow.history("Basic", since=newest + timedelta(seconds=1)).total == 0
        with pytest.raises(ValueError):
            uow.history(cursor="not-a-cursor")


def test_latest_write_of_a_type(repo):
    """What a version-base view is kept by: another type's latest write, current after every write."""
    assert repo.latest_write("Linkage") is None
    with repo.unit_of_work() as uow:
        uow.create({"resourceType": "Flag", "status": "active", "code": {"text": "x"}})
        linkage = uow.create({"resourceType": "Linkage", "item": [{"type": "source"}]})
    assert repo.latest_write("Linkage") == linkage.last_updated
    assert repo.latest_write("Linkage") == linkage.last_updated
    with repo.unit_of_work() as uow:
        later, _ = uow.update({"resourceType": "Linkage", "id": linkage.id, "item": [{"type": "alternate"}]})
    assert repo.latest_write("Linkage") == later.last_updated
