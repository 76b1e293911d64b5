"""put_many, the one writer of many resources (UnitOfWork.put_many, ingest: pks from the sequence,
rows by COPY on PostgreSQL), stores exactly what the writes one by one (UnitOfWork.update) store:
same rows, same bytes, same index, same return value; read_many reads what read does."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import text

from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.repository import Repository
from fhir_service.store.serialized import Serialized
from fhir_service.store.sync import sync_sources

INDEX_TABLES = ["search_token", "search_string", "search_reference", "search_date", "search_uri"]


@pytest.fixture()
def repos(database_url_factory):
    made = []
    for _ in range(2):
        url = database_url_factory()
        migrate.upgrade(url)
        made.append(Repository(make_engine(url)))
    yield made
    for repo in made:
        repo.dispose()


def patient(rid: str, family: str) -> dict:
    return {
        "resourceType": "Patient",
        "id": rid,
        "meta": {"versionId": "7", "lastUpdated": "2001-01-01T00:00:00Z", "tag": [{"code": "x"}]},
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{family} Zoë</div>',
        },
        "name": [{"family": family, "given": ["Ann"]}],
        "birthDate": "1970-02-03",
        "identifier": [{"system": "urn:s", "value": rid}],
        "managingOrganization": {"reference": "Organization/o1"},
    }


def write(repo, batch, serialized=False):
    """put_many over what read_many found, as ingest does."""
    with repo.unit_of_work() as uow:
        current = uow.read_many([(r["resourceType"], r["id"]) for r in batch])
        return uow.put_many([Serialized(r) for r in batch] if serialized else batch, current)


def write_one_by_one(repo, batch):
    with repo.unit_of_work() as uow:
        return [uow.update(resource) for resource in batch]


def snapshot(repo) -> dict:
    volatile = re.compile(rb'"lastUpdated":"[^"]*"')

    def content(value):
        return None if value is None else volatile.sub(b"", bytes(value))

    out = {}
    with repo.engine.connect() as conn:
        out["resource"] = [
            (r.pk, r.type, r.id, r.version_id, r.deleted, content(r.content))
            for r in conn.execute(text("SELECT * FROM resource WHERE type = 'Patient' ORDER BY pk"))
        ]
        out["resource_version"] = [
            (r.resource_pk, r.version_id, r.method, r.deleted, content(r.content))
            for r in conn.execute(
                text("SELECT v.* FROM resource_version v WHERE type = 'Patient' ORDER BY 1, 2")
            )
        ]
        for table in INDEX_TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table}")).mappings()
            out[table] = sorted(repr(sorted((k, v) for k, v in r.items() if k != "row")) for r in rows)
        # the column and the content's meta.lastUpdated are the same instant
        query = text("SELECT last_updated, content FROM resource WHERE content IS NOT NULL")
        for last_updated, stored in conn.execute(query):
            instant = datetime.fromisoformat(str(last_updated))
            stamped = json.loads(stored)["meta"]["lastUpdated"]
            assert instant.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" == stamped
    return out


def test_same_rows_as_writes_one_by_one(repos):
    one_by_one, bulk = repos
    first = [patient(f"p{i}", f"Family{i}") for i in range(30)]
    second = [patient(f"p{i}", f"Changed{i}") for i in range(20, 40)]  # 10 updates, 10 creates
    results = []
    for repo, writer in ((one_by_one, write_one_by_one), (bulk, write)):
        got = [writer(repo, first), writer(repo, second)]
        with repo.unit_of_work() as uow:
            uow.delete("Patient", "p3")
        got.append(writer(repo, [patient("p3", "Back")]))  # a tombstone revived
        results.append(
            [[(s.type, s.id, s.version_id, s.pk, s.method, created) for s, created in g] for g in got]
        )
    assert results[0] == results[1]
    assert [created for _, _, _, _, _, created in results[1][1]] == [False] * 10 + [True] * 10
    assert results[1][2][0][2] == 3 and results[1][2][0][5] is True
    assert snapshot(one_by_one) == snapshot(bulk)


def test_returned_resources_are_the_stored_ones(repos):
    repo = repos[0]
    written = write(repo, [patient("s1", "S"), patient("s2", "T")])
    with repo.unit_of_work() as uow:
        for stored, created in written:
            assert created and stored == replace(uow.read(stored.type, stored.id), method="PUT")
    assert write(repo, []) == []


def test_reserved_pks_follow_the_sequence(repos):
    """A write through the ordinary path after the bulk one gets the next pk (the same sequence)."""
    repo = repos[1]
    write(repo, [patient("a", "A"), patient("b", "B")])
    with repo.unit_of_work() as uow:
        stored = uow.create({"resourceType": "Patient", "name": [{"family": "C"}]})
        pks = [uow.read("Patient", rid).pk for rid in ("a", "b")]
    assert stored.pk > max(pks)
    assert pks[1] == pks[0] + 1
    assert [s.pk for s, _ in write(repo, [patient("d", "D")])] == [stored.pk + 1]


def test_read_many_as_read_reads(repos):
    repo = repos[1]
    write(repo, [patient(f"r{i}", f"F{i}") for i in range(5)])
    with repo.unit_of_work() as uow:
        uow.delete("Patient", "r2")
    keys = [("Patient", f"r{i}") for i in range(7)] + [("Organization", "r1")]
    with repo.unit_of_work() as uow:
        found = uow.read_many(keys)
        one_by_one = {key: uow.read(*key) for key in keys}
    assert found == {key: stored for key, stored in one_by_one.items() if stored is not None}
    assert sorted(found) == [("Patient", f"r{i}") for i in range(5)]
    assert found["Patient", "r2"].deleted and found["Patient", "r2"].content is None
    with repo.unit_of_work() as uow:
        assert uow.read_many([]) == {}


def test_read_many_locks_the_rows_until_commit(repos):
    """PostgreSQL: the rows put_many writes over stay locked from read_many to commit (SQLite: the
    writer lock of BEGIN IMMEDIATE)."""
    repo = repos[0]
    if repo.sqlite:
        pytest.skip("SQLite serializes writers with its database lock")
    write(repo, [patient("l1", "L")])
    with repo.unit_of_work() as uow:
        uow.read_many([("Patient", "l1")])
        with repo.engine.connect() as other:
            other.execute(text("SET lock_timeout = '100ms'"))
            with pytest.raises(Exception, match="lock"):
                other.execute(text("SELECT pk FROM resource WHERE id = 'l1' FOR UPDATE"))
    with repo.unit_of_work(write=False) as uow:  # a read-only unit of work locks nothing
        uow.read_many([("Patient", "l1")])
        with repo.engine.connect() as other:
            other.execute(text("SET lock_timeout = '100ms'"))
            assert other.execute(text("SELECT pk FROM resource WHERE id = 'l1' FOR UPDATE")).all()


def test_serialized_resources_store_the_same_rows(repos):
    """Ingest's workers hand the writer Serialized resources (store/serialized.py): put_many stores
    from them exactly what it stores from the dicts, and re-storing unchanged ones is a no-op."""
    reference, other = repos
    first = [patient(f"p{i}", f"Family{i}") for i in range(30)]
    second = [patient(f"p{i}", f"Changed{i}") for i in range(20, 40)]
    results = []
    for repo, serialized in ((reference, False), (other, True)):
        got = [write(repo, first, serialized), write(repo, second, serialized)]
        results.append([[(s.type, s.id, s.version_id, s.pk, created) for s, created in g] for g in got])
    assert results[0] == results[1]
    assert snapshot(reference) == snapshot(other)
    with other.unit_of_work() as uow:
        counts = sync_sources(uow, [("again", [Serialized(r) for r in second], None)])
    assert counts == {"unchanged": 20}
    reordered = [dict(reversed(list(r.items()))) for r in second[:3]]  # other bytes, same content
    changed = [{**r, "birthDate": "1971-01-01"} for r in second[3:5]]
    with other.unit_of_work() as uow:
        counts = sync_sources(uow, [("third", [Serialized(r) for r in reordered + changed], None)])
    assert counts == {"unchanged": 3, "updated": 2}
