"""bulk_write.put_many (ingest's writer: pks from the sequence, rows by COPY on PostgreSQL) stores
exactly what UnitOfWork.put_many stores: same rows, same bytes, same index, same return value."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from sqlalchemy import text

from fhir_service.store import migrate
from fhir_service.store.bulk_write import put_many, read_many
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


def write(repo, batch, writer):
    with repo.unit_of_work() as uow:
        current = uow.read_many([(r["resourceType"], r["id"]) for r in batch])
        return writer(uow, batch, current)


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


def test_same_rows_as_put_many(repos):
    reference, bulk = repos

    def ours(uow, batch, current):
        return put_many(uow, batch, current)

    def theirs(uow, batch, current):
        return uow.put_many(batch, current)

    first = [patient(f"p{i}", f"Family{i}") for i in range(30)]
    second = [patient(f"p{i}", f"Changed{i}") for i in range(20, 40)]  # 10 updates, 10 creates
    results = []
    for repo, writer in ((reference, theirs), (bulk, ours)):
        got = [write(repo, first, writer), write(repo, second, writer)]
        with repo.unit_of_work() as uow:
            uow.delete("Patient", "p3")
        got.append(write(repo, [patient("p3", "Back")], writer))  # a tombstone revived
        results.append(
            [[(s.type, s.id, s.version_id, s.pk, s.method, created) for s, created in g] for g in got]
        )
    assert results[0] == results[1]
    assert [created for _, _, _, _, _, created in results[1][1]] == [False] * 10 + [True] * 10
    assert results[1][2][0][2] == 3 and results[1][2][0][5] is True
    assert snapshot(reference) == snapshot(bulk)


def test_reserved_pks_follow_the_sequence(repos):
    """A write through the ordinary path after the bulk one gets the next pk (the same sequence)."""
    repo = repos[1]
    write(
        repo,
        [patient("a", "A"), patient("b", "B")],
        lambda uow, batch, current: put_many(uow, batch, current),
    )
    with repo.unit_of_work() as uow:
        stored = uow.create({"resourceType": "Patient", "name": [{"family": "C"}]})
        pks = [uow.read("Patient", rid).pk for rid in ("a", "b")]
    assert stored.pk > max(pks)
    assert pks[1] == pks[0] + 1


def test_read_many_as_the_unit_of_work_reads(repos):
    repo = repos[1]
    write(repo, [patient(f"r{i}", f"F{i}") for i in range(5)], put_many)
    with repo.unit_of_work() as uow:
        uow.delete("Patient", "r2")
    keys = [("Patient", f"r{i}") for i in range(7)] + [("Organization", "r1")]
    with repo.unit_of_work() as uow:
        ours = read_many(uow, keys)
        theirs = uow.read_many(keys)
    assert ours == theirs
    assert sorted(ours) == [("Patient", f"r{i}") for i in range(5)]
    assert ours["Patient", "r2"].deleted and ours["Patient", "r2"].content is None


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk_write", "unit_of_work"])
def test_serialized_resources_store_the_same_rows(repos, bulk):
    """Ingest's workers hand the writer Serialized resources (store/serialized.py): both writers store
    from them exactly what they store from the dicts, and re-storing unchanged ones is a no-op."""
    reference, other = repos

    def writer(serialized):
        def write_batch(uow, batch, current):
            batch = [Serialized(r) for r in batch] if serialized else batch
            return put_many(uow, batch, current) if bulk else uow.put_many(batch, current)

        return write_batch

    first = [patient(f"p{i}", f"Family{i}") for i in range(30)]
    second = [patient(f"p{i}", f"Changed{i}") for i in range(20, 40)]
    results = []
    for repo, serialized in ((reference, False), (other, True)):
        got = [write(repo, first, writer(serialized)), write(repo, second, writer(serialized))]
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
