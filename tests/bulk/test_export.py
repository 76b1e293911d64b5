"""$export over real HTTP: kick-off checks, polling, manifest, ndjson files, _type/_since, cancel,
a consistent snapshot at transactionTime, and job claiming shared by several workers."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from fhir_service.bulk.export import run_export
from fhir_service.bulk.jobs import STALE_AFTER, Job, JobStore
from fhir_service.bulk.kickoff import ExportRequest
from fhir_service.store.database import make_engine
from fhir_service.stored import now


def basic(i: int, kind: str = "Basic") -> dict:
    resource = {"resourceType": kind, "id": f"bulk-{i}"}
    if kind == "Basic":
        resource["code"] = {"text": f"item {i}"}
    else:
        resource.update(type="person", membership="definitional")
    return {"resource": resource, "request": {"method": "PUT", "url": f"{kind}/bulk-{i}"}}


@pytest.fixture(scope="module")
def loaded(server):
    entries = [basic(i) for i in range(5)] + [basic(i, "Group") for i in range(3)]
    response = server.post_bundle({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    assert response.status_code == 200, response.text
    return server


def ndjson(server, url: str) -> list[dict]:
    response = server.http.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/fhir+ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.mark.parametrize(
    "params,prefer,message",
    [
        ({}, None, "respond-async"),
        ({"_outputFormat": "text/csv"}, "respond-async", "_outputFormat"),
        ({"_type": "Basic,Nope"}, "respond-async", "Nope"),
        ({"_since": "yesterday"}, "respond-async", "_since"),
        ({"_typeFilter": "Basic?code=x"}, "respond-async", "_typeFilter"),
    ],
)
def test_kickoff_refuses_what_it_cannot_do(server, params, prefer, message):
    headers = {"Prefer": prefer} if prefer else {}
    response = server.get("$export", params=params, headers=headers)
    assert response.status_code == 400
    assert message in response.json()["issue"][0]["diagnostics"]


def test_export_everything(loaded):
    manifest = loaded.export(_outputFormat="application/fhir+ndjson")
    assert manifest["requiresAccessToken"] is False
    assert manifest["request"] == f"{loaded.base_url}/$export?_outputFormat=application/fhir%2Bndjson"
    assert manifest["error"] == []
    assert manifest["transactionTime"].endswith("Z")
    by_type = {o["type"]: o for o in manifest["output"]}
    assert {"Basic", "Group"} <= set(by_type)
    basics = ndjson(loaded, by_type["Basic"]["url"])
    assert by_type["Basic"]["count"] == len(basics) == 5
    assert basics[0] == loaded.get("Basic/bulk-0").json()


def test_type_and_since_filters(loaded):
    manifest = loaded.export(_type="Group")
    assert [o["type"] for o in manifest["output"]] == ["Group"]
    mark = manifest["transactionTime"]
    time.sleep(0.01)
    edited = basic(1)
    edited["resource"]["code"]["text"] = "item 1, edited"
    # bulk-2 is PUT unchanged: a no-op update, so it is not part of what changed since the mark
    changed = loaded.post_bundle(
        {"resourceType": "Bundle", "type": "transaction", "entry": [edited, basic(2), basic(9)]}
    )
    assert changed.status_code == 200
    manifest = loaded.export(_since=mark)
    by_type = {o["type"]: o for o in manifest["output"]}
    assert list(by_type) == ["Basic"]
    assert sorted(r["id"] for r in ndjson(loaded, by_type["Basic"]["url"])) == ["bulk-1", "bulk-9"]


def test_cancel_and_unknown_jobs(server):
    kickoff = server.kickoff(_type="Basic")
    status_url = kickoff.headers["Content-Location"]
    assert server.http.delete(status_url).status_code == 202
    assert server.http.get(status_url).status_code == 404
    assert server.http.delete(status_url).status_code == 404
    assert server.get("bulkstatus/no-such-job").status_code == 404
    assert server.get("bulkfiles/no-such-job/Basic.ndjson").status_code == 404


def test_snapshot_is_the_store_at_transaction_time(loaded, tmp_path):
    """A resource changed or deleted after transactionTime is exported as it was then."""
    engine = make_engine(loaded.database_url)
    try:
        store = JobStore(engine)
        job = store.create(ExportRequest(("Basic",), None), "http://x/fhir/$export", "http://x/fhir")
        time.sleep(0.01)
        later = {"resourceType": "Basic", "id": "bulk-2", "code": {"text": "changed later"}}
        assert loaded.http.put(
            f"{loaded.base_url}/Basic/bulk-2", json=later, headers={"Content-Type": "application/fhir+json"}
        ).ok
        assert loaded.http.delete(f"{loaded.base_url}/Basic/bulk-3").ok
        new = {"resourceType": "Basic", "id": "bulk-new", "code": {"text": "new"}}
        assert loaded.http.put(
            f"{loaded.base_url}/Basic/bulk-new", json=new, headers={"Content-Type": "application/fhir+json"}
        ).ok
        outputs = run_export(engine, job, tmp_path, lambda _text: True)
        rows = [json.loads(line) for line in (tmp_path / outputs[0]["file"]).read_text().splitlines()]
        by_id = {r["id"]: r for r in rows}
        assert by_id["bulk-2"]["code"]["text"] == "item 2"
        assert "bulk-3" in by_id and "bulk-new" not in by_id
    finally:
        engine.dispose()


def test_jobs_are_claimed_once_and_taken_over_when_stale(server):
    engine = make_engine(server.database_url)
    try:
        a, b = JobStore(engine), JobStore(engine)
        created = a.create(ExportRequest(("Basic",), None), "r", "http://x/fhir")
        # the live server's worker may be polling too: drain everything runnable first
        claimed = []
        while (job := a.claim("worker-a")) is not None:
            claimed.append(job.id)
        assert created.id in claimed
        assert b.claim("worker-b") is None
        assert not b.heartbeat(created.id, "worker-b", "not mine")
        assert a.heartbeat(created.id, "worker-a", "half way")
        with engine.begin() as conn:  # the runner died: its heartbeat ages
            from fhir_service.bulk.jobs import BulkJob

            conn.execute(
                BulkJob.__table__.update()
                .where(BulkJob.id == created.id)
                .values(heartbeat_at=now() - STALE_AFTER - timedelta(seconds=1))
            )
        taken = b.claim("worker-b")
        assert taken is not None and taken.id == created.id
        assert not a.finish(created.id, "worker-a", [])  # the old runner may not complete it
        assert b.finish(created.id, "worker-b", [])
        assert isinstance(b.get(created.id), Job) and b.get(created.id).status == "completed"
    finally:
        engine.dispose()


def test_finished_jobs_expire_with_their_files(loaded):
    kickoff = loaded.kickoff(_type="Group")
    done = loaded.wait_for(kickoff.headers["Content-Location"])
    assert done.status_code == 200 and "Expires" in done.headers
    url = done.json()["output"][0]["url"]
    worker = loaded.app.extensions["fhir_bulk_worker"]
    job_id = url.split("/bulkfiles/")[1].split("/")[0]
    assert (worker.bulk_dir / job_id).is_dir()
    assert job_id not in worker.purge_expired(force=True)  # fresh: kept
    from fhir_service.bulk.jobs import RETENTION, BulkJob

    engine = make_engine(loaded.database_url)
    with engine.begin() as conn:
        conn.execute(
            BulkJob.__table__.update()
            .where(BulkJob.id == job_id)
            .values(heartbeat_at=now() - RETENTION - timedelta(minutes=1))
        )
    engine.dispose()
    assert job_id in worker.purge_expired(force=True)
    assert not (worker.bulk_dir / job_id).exists()
    assert loaded.http.get(kickoff.headers["Content-Location"]).status_code == 404
    assert loaded.http.get(url).status_code == 404


@pytest.mark.parametrize("base", ["", "R4/", "R4B/"])
def test_every_capability_statement_announces_export(server, base):
    """The REST layer tells the statement which operations it serves: $export on each base."""
    statement = server.get(f"{base}metadata").json()
    operations = statement["rest"][0]["operation"]
    export = {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}
    assert export in operations
    assert any(op["name"] == "validate" for op in operations) == (base == "")
