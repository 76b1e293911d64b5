"""transaction and batch over real HTTP: urn:uuid rewriting, atomicity, per-entry batch outcomes."""

from __future__ import annotations

import copy
import uuid

import pytest

from fhir_service.validation import has_errors, validate_resource

MPD = f"urn:uuid:{uuid.uuid4()}"
MK = f"urn:uuid:{uuid.uuid4()}"
CUDS = [f"urn:uuid:{uuid.uuid4()}" for _ in range(3)]
SNOMED = "http://snomed.info/sct"


def cud(index: int, full_url: str) -> dict:
    return {
        "fullUrl": full_url,
        "resource": {
            "resourceType": "ClinicalUseDefinition",
            "type": "indication",
            "subject": [{"reference": MPD}],
            "indication": {
                "diseaseSymptomProcedure": {
                    "concept": {"coding": [{"system": SNOMED, "code": f"2213600{index}"}]}
                }
            },
        },
        "request": {"method": "POST", "url": "ClinicalUseDefinition"},
    }


def medication_bundle(kind: str = "transaction") -> dict:
    links = "".join(f'<a href="{u}">issue {i}</a>' for i, u in enumerate(CUDS))
    mk = {
        "resourceType": "MedicationKnowledge",
        "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{links}</div>'},
        "code": {"text": "Tolperisone"},
        "status": "active",
        "definitional": {"definition": [{"reference": MPD}]},
        "clinicalUseIssue": [{"reference": u} for u in CUDS],
        "indicationGuideline": [{"indication": [{"reference": {"reference": CUDS[0]}}]}],
    }
    mpd = {"resourceType": "MedicinalProductDefinition", "name": [{"productName": "Tolperisone 150 mg"}]}
    entries = [
        {"fullUrl": MK, "resource": mk, "request": {"method": "POST", "url": "MedicationKnowledge"}},
        *[cud(i, u) for i, u in enumerate(CUDS)],
        {"fullUrl": MPD, "resource": mpd, "request": {"method": "POST", "url": "MedicinalProductDefinition"}},
    ]
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def test_transaction_stores_all_with_rewritten_references(server):
    before = server.history_total()
    response = server.post_bundle(medication_bundle())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "transaction-response"
    assert not has_errors(validate_resource(body))
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses == ["201 Created"] * 5
    locations = [e["response"]["location"] for e in body["entry"]]
    mk_loc, *cud_locs, mpd_loc = [loc.split("/_history")[0] for loc in locations]
    assert all(e["response"]["etag"] == 'W/"1"' for e in body["entry"])

    mk = server.get(mk_loc).json()
    mpd_ref = mpd_loc
    assert mk["definitional"]["definition"] == [{"reference": mpd_ref}]
    assert [r["reference"] for r in mk["clinicalUseIssue"]] == cud_locs
    assert mk["indicationGuideline"][0]["indication"][0]["reference"]["reference"] == cud_locs[0]
    assert "urn:uuid" not in mk["text"]["div"] and f'href="{cud_locs[2]}"' in mk["text"]["div"]
    for loc in cud_locs:
        stored = server.get(loc).json()
        assert stored["subject"] == [{"reference": mpd_ref}]
    assert server.get(mpd_loc).json()["name"][0]["productName"] == "Tolperisone 150 mg"
    assert server.history_total() == before + 5


def test_transaction_with_one_invalid_entry_stores_nothing(server):
    bundle = medication_bundle()
    del bundle["entry"][2]["resource"]["type"]  # ClinicalUseDefinition.type is 1..1
    before = server.history_total()
    response = server.post_bundle(bundle)
    assert response.status_code == 422, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["severity"] == "error"
    assert issue["diagnostics"].startswith(f"Bundle.entry[2] ({CUDS[1]})")
    assert issue["expression"] == ["Bundle.entry[2].resource.type"]
    assert server.history_total() == before


def test_failure_after_writes_rolls_back_earlier_entries(server):
    """The failing entry runs last (a PUT with a stale If-Match), after five creates were written."""
    bundle = medication_bundle()
    bundle["entry"].append(
        {
            "resource": {"resourceType": "Basic", "id": "nope", "code": {"text": "x"}},
            "request": {"method": "PUT", "url": "Basic/nope", "ifMatch": 'W/"7"'},
        }
    )
    before = server.history_total()
    response = server.post_bundle(bundle)
    assert response.status_code == 412, response.text
    assert response.json()["issue"][0]["diagnostics"].startswith("Bundle.entry[5]")
    assert server.history_total() == before


def test_batch_with_one_invalid_entry_stores_the_rest(server):
    bundle = medication_bundle("batch")
    for entry in bundle["entry"]:  # batch entries may not depend on each other
        for ref in ("subject",):
            entry["resource"].pop(ref, None)
    mk = bundle["entry"][0]["resource"]
    for key in ("definitional", "clinicalUseIssue", "indicationGuideline", "text"):
        mk.pop(key)
    del bundle["entry"][3]["resource"]["type"]
    before = server.history_total()
    response = server.post_bundle(bundle)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "batch-response"
    assert not has_errors(validate_resource(body))
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses == [
        "201 Created",
        "201 Created",
        "201 Created",
        "422 Unprocessable Entity",
        "201 Created",
    ]
    failed = body["entry"][3]["response"]["outcome"]
    assert failed["resourceType"] == "OperationOutcome"
    assert failed["issue"][0]["diagnostics"].startswith(f"Bundle.entry[3] ({CUDS[2]})")
    assert "location" not in body["entry"][3]["response"]
    assert server.history_total() == before + 4
    for entry in body["entry"][:3]:
        assert server.get(entry["response"]["location"]).status_code == 200


def test_processing_order_and_conditional_entries(server):
    """DELETE runs before POST even when listed later; PUT with If-Match; GET sees the writes."""
    created = server.post_bundle(
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "resource": {"resourceType": "Basic", "id": "order-a", "code": {"text": "a"}},
                    "request": {"method": "PUT", "url": "Basic/order-a"},
                },
                {
                    "resource": {"resourceType": "Basic", "id": "order-b", "code": {"text": "b"}},
                    "request": {"method": "PUT", "url": "Basic/order-b"},
                },
            ],
        }
    )
    assert created.status_code == 200, created.text
    response = server.post_bundle(
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {"request": {"method": "GET", "url": "Basic/order-a"}},
                {
                    "resource": {"resourceType": "Basic", "id": "order-a", "code": {"text": "a2"}},
                    "request": {"method": "PUT", "url": "Basic/order-a", "ifMatch": 'W/"1"'},
                },
                {"request": {"method": "DELETE", "url": "Basic/order-b"}},
            ],
        }
    )
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert entries[0]["resource"]["code"]["text"] == "a2"  # GET ran after the PUT
    assert entries[1]["response"]["status"] == "200 OK" and entries[1]["response"]["etag"] == 'W/"2"'
    assert entries[2]["response"]["status"].startswith("204")
    assert server.get("Basic/order-b").status_code == 410


def test_duplicate_full_urls_and_bad_requests_are_rejected(server):
    bundle = medication_bundle()
    bundle["entry"][1]["fullUrl"] = bundle["entry"][2]["fullUrl"]
    response = server.post_bundle(bundle)
    assert response.status_code == 400
    assert "bdl-7" in response.json()["issue"][0]["diagnostics"]
    bundle = copy.deepcopy(medication_bundle())
    del bundle["entry"][0]["request"]
    response = server.post_bundle(bundle)
    assert response.status_code == 400
    assert response.json()["issue"][0]["diagnostics"].startswith("Bundle.entry[0]")


@pytest.mark.parametrize("kind", ["transaction", "batch"])
def test_empty_bundle(server, kind):
    response = server.post_bundle({"resourceType": "Bundle", "type": kind})
    assert response.status_code == 200
    assert response.json()["type"] == f"{kind}-response"
