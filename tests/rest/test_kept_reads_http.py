"""A read by id serves a kept version's bytes only while no write can have committed since it was
confirmed (store/kept_reads.py, store/freshness.py): two servers on one database stand for two worker
processes, one writes, the other must answer the new version on its very next read. A write made
without a Repository (a restore, psql) is seen at once on SQLite, once notified on PostgreSQL. Real
HTTP, both backends."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from fhir_service.store.database import make_engine
from fhir_service.store.schema import Resource

ORG = {"resourceType": "Organization", "id": "kept-1", "name": "Kept pharmacy"}
JSON = {"Content-Type": "application/fhir+json"}
WAIT = 20.0  # seconds a PostgreSQL notification may take on a busy machine before the test fails


@pytest.fixture(scope="module")
def servers(database_url_factory):
    """(reader, writer): two apps with their own repositories, connections and caches, one database."""
    from live_server import LiveServer

    url = database_url_factory()
    reader, writer = LiveServer(url), LiveServer(url)
    yield reader, writer
    reader.stop()
    writer.stop()


def read(server, rid: str = "kept-1"):
    return server.get(f"Organization/{rid}")


def test_a_write_by_another_process_is_read_at_once(servers):
    reader, writer = servers
    assert (
        writer.http.put(f"{writer.base_url}/Organization/kept-1", json=ORG, headers=JSON).status_code == 201
    )
    for _ in range(3):  # the first read keeps the version, the others are answered from it
        first = read(reader)
        assert first.status_code == 200 and first.headers["ETag"] == 'W/"1"'
        assert first.json()["name"] == "Kept pharmacy"
    changed = {**ORG, "name": "Kept pharmacy, renamed"}
    assert writer.http.put(f"{writer.base_url}/Organization/kept-1", json=changed, headers=JSON).ok
    second = read(reader)
    assert second.headers["ETag"] == 'W/"2"' and second.json()["name"] == "Kept pharmacy, renamed"
    assert second.json()["meta"]["versionId"] == "2"
    assert writer.http.delete(f"{writer.base_url}/Organization/kept-1").status_code == 204
    assert read(reader).status_code == 410
    again = {**ORG, "name": "Kept pharmacy, again"}
    assert writer.http.put(f"{writer.base_url}/Organization/kept-1", json=again, headers=JSON).ok
    third = read(reader)
    assert third.headers["ETag"] == 'W/"4"' and third.json()["name"] == "Kept pharmacy, again"


def test_the_same_version_written_anew_is_not_served_from_memory(servers):
    """A database restored from another copy may hold the same pk and versionId with other content;
    its lastUpdated tells them apart."""
    reader, writer = servers
    org = {**ORG, "id": "kept-2"}
    assert writer.http.put(f"{writer.base_url}/Organization/kept-2", json=org, headers=JSON).ok
    kept = read(reader, "kept-2")
    assert kept.json()["name"] == "Kept pharmacy" and read(reader, "kept-2").content == kept.content
    restored = kept.content.replace(b"Kept pharmacy", b"Restored pharmacy")
    engine = make_engine(reader.database_url)
    with engine.begin() as connection:
        row = connection.execute(
            Resource.__table__.select().where(Resource.type == "Organization", Resource.id == "kept-2")
        ).one()
        connection.execute(
            update(Resource)
            .where(Resource.pk == row.pk)
            .values(content=restored, last_updated=row.last_updated + timedelta(seconds=1))
        )
    engine.dispose()
    # not through a Repository: on PostgreSQL seen once the trigger's notification arrives
    deadline = time.monotonic() + WAIT
    while (answer := read(reader, "kept-2")).content != restored and time.monotonic() < deadline:
        time.sleep(0.01)
    assert answer.headers["ETag"] == 'W/"1"' and answer.content == restored


def test_an_unknown_id_stays_unknown_and_then_appears(servers):
    reader, writer = servers
    assert read(reader, "kept-3").status_code == 404
    org = {**ORG, "id": "kept-3"}
    assert (
        writer.http.put(f"{writer.base_url}/Organization/kept-3", json=org, headers=JSON).status_code == 201
    )
    assert read(reader, "kept-3").json()["id"] == "kept-3"
