"""Bulk Data $export through the version bases: `_type` in that version's names, one ndjson file per
view type, every line a resource of that version that converts back to the stored R5 one."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fhirclient.models import fhirelementfactory

from fhir_service import versions

SEED_BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "bundles" / "tolperisone.json"


@pytest.fixture(scope="module")
def server(database_url_factory, tmp_path_factory):
    from live_server import LiveServer

    live = LiveServer(database_url_factory(), BULK_DIR=str(tmp_path_factory.mktemp("bulk")))
    bundle = json.loads(SEED_BUNDLE.read_text(encoding="utf-8"))
    assert live.post_bundle(bundle).status_code == 200
    live.seed = {(e["resource"]["resourceType"], e["resource"]["id"]): e["resource"] for e in bundle["entry"]}
    yield live
    live.stop()


def export(server, base: str, **params) -> dict:
    kickoff = server.get(f"{base}/$export", params=params, headers={"Prefer": "respond-async"})
    assert kickoff.status_code == 202, kickoff.text
    status_url = kickoff.headers["Content-Location"]
    assert status_url.startswith(f"{server.base_url}/{base}/bulkstatus/")
    give_up = time.monotonic() + 600  # only a hung worker takes that long, however loaded the machine
    while (done := server.http.get(status_url)).status_code == 202 and time.monotonic() < give_up:
        time.sleep(0.05)  # the job runs in a worker thread
    assert done.status_code == 200, done.text
    return done.json()


def lines(server, url: str) -> list[dict]:
    response = server.http.get(url)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "application/fhir+ndjson"
    )
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def test_r4_export_splits_by_view_type(server):
    manifest = export(server, "R4", _type="MedicationKnowledge,MedicinalProductIndication,MedicinalProduct")
    by_type = {o["type"]: o for o in manifest["output"]}
    assert {"MedicationKnowledge", "MedicinalProductIndication", "MedicinalProduct"} <= set(by_type)
    assert "ClinicalUseDefinition" not in by_type and "MedicinalProductDefinition" not in by_type
    assert manifest["request"].startswith(f"{server.base_url}/R4/$export")
    for output in manifest["output"]:
        assert output["url"].startswith(f"{server.base_url}/R4/bulkfiles/")
        resources = lines(server, output["url"])
        assert len(resources) == output["count"]
        for resource in resources:
            assert resource["resourceType"] == output["type"]
            fhirelementfactory.FHIRElementFactory.instantiate(resource["resourceType"], resource)  # strict R4
            back = versions.from_version(resource, "4.0")
            stored = server.seed[(back["resourceType"], back["id"])]
            assert {k: v for k, v in back.items() if k != "meta"} == stored


def test_r4b_export_keeps_clinical_use_definition(server):
    manifest = export(server, "R4B", _type="ClinicalUseDefinition")
    assert [o["type"] for o in manifest["output"]] == ["ClinicalUseDefinition"]
    resources = lines(server, manifest["output"][0]["url"])
    assert len(resources) == sum(1 for t, _ in server.seed if t == "ClinicalUseDefinition")


def test_a_type_the_version_does_not_define_is_refused(server):
    response = server.get(
        "R4/$export", params={"_type": "ClinicalUseDefinition"}, headers={"Prefer": "respond-async"}
    )
    assert response.status_code == 404 and "4.0.1" in response.json()["issue"][0]["diagnostics"]
