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


SYS = "https://example.org/ids"


def substance(value: str, full_url: str | None = None, method: str = "POST", **request) -> dict:
    entry = {
        "resource": {
            "resourceType": "Substance",
            "identifier": [{"system": SYS, "value": value}],
            "instance": False,
            "code": {"concept": {"text": value}},
        },
        "request": {"method": method, "url": "Substance", **request},
    }
    if full_url:
        entry["fullUrl"] = full_url
    return entry


def transaction(*entries) -> dict:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def test_conditional_create_and_conditional_reference(server):
    oid = "urn:oid:1.2.840.99999.1"
    mk = {
        "fullUrl": "urn:uuid:7b1f0b3e-0000-4000-8000-000000000001",
        "resource": {
            "resourceType": "MedicationKnowledge",
            "status": "active",
            "definitional": {
                "ingredient": [
                    {"item": {"reference": {"reference": oid}}},
                    {"item": {"reference": {"reference": f"Substance?identifier={SYS}|cond-b"}}},
                ]
            },
        },
        "request": {"method": "POST", "url": "MedicationKnowledge"},
    }
    first = server.post_bundle(
        transaction(
            substance("cond-a", oid, ifNoneExist=f"identifier={SYS}|cond-a"),
            substance(
                "cond-b",
                "urn:uuid:7b1f0b3e-0000-4000-8000-00000000000b",
                ifNoneExist=f"identifier={SYS}|cond-b",
            ),
            mk,
        )
    )
    assert first.status_code == 200, first.text
    locations = [e["response"]["location"].split("/_history")[0] for e in first.json()["entry"]]
    stored = server.get(locations[2]).json()
    refs = [i["item"]["reference"]["reference"] for i in stored["definitional"]["ingredient"]]
    assert refs == locations[:2]  # urn:oid rewritten; the conditional reference met the conditional create

    # again: both creates match the existing Substances (200, no new version), references follow
    before = server.history_total()
    again = server.post_bundle(
        transaction(
            substance("cond-a", oid, ifNoneExist=f"identifier={SYS}|cond-a"),
            substance("cond-b", None, ifNoneExist=f"identifier={SYS}|cond-b"),
            mk,
        )
    )
    assert again.status_code == 200, again.text
    entries = again.json()["entry"]
    assert [e["response"]["status"] for e in entries[:2]] == ["200 OK", "200 OK"]
    assert [e["response"]["location"].split("/_history")[0] for e in entries[:2]] == locations[:2]
    new_mk = server.get(entries[2]["response"]["location"].split("/_history")[0]).json()
    assert [i["item"]["reference"]["reference"] for i in new_mk["definitional"]["ingredient"]] == refs
    assert server.history_total() == before + 1


def test_ambiguous_or_missing_conditional_reference_fails(server):
    created = server.post_bundle(transaction(substance("dup"), substance("dup")))
    assert created.status_code == 200
    before = server.history_total()
    for query, status in ((f"{SYS}|dup", 412), (f"{SYS}|nobody", 404)):
        mk = {
            "resource": {
                "resourceType": "MedicationKnowledge",
                "definitional": {
                    "ingredient": [{"item": {"reference": {"reference": f"Substance?identifier={query}"}}}]
                },
            },
            "request": {"method": "POST", "url": "MedicationKnowledge"},
        }
        response = server.post_bundle(transaction(substance("other"), mk))
        assert response.status_code == status, response.text
        assert response.json()["issue"][0]["diagnostics"].startswith("Bundle.entry[1]")
    ambiguous_create = server.post_bundle(transaction(substance("dup", ifNoneExist=f"identifier={SYS}|dup")))
    assert ambiguous_create.status_code == 412
    assert server.history_total() == before


def test_conditional_update_and_delete(server):
    server.post_bundle(transaction(substance("upd"), substance("gone")))
    changed = substance("upd", method="PUT")
    changed["request"]["url"] = f"Substance?identifier={SYS}|upd"
    changed["resource"]["description"] = "changed"
    fresh = substance("fresh", method="PUT")
    fresh["request"]["url"] = f"Substance?identifier={SYS}|fresh"
    response = server.post_bundle(
        transaction(
            changed, fresh, {"request": {"method": "DELETE", "url": f"Substance?identifier={SYS}|gone"}}
        )
    )
    assert response.status_code == 200, response.text
    upd, new, deleted = response.json()["entry"]
    assert upd["response"]["status"] == "200 OK" and upd["response"]["etag"] == 'W/"2"'
    assert new["response"]["status"] == "201 Created"
    assert deleted["response"]["status"].startswith("204")
    found = server.get("Substance", params={"identifier": f"{SYS}|gone"}).json()
    assert found.get("total", len(found.get("entry", []))) == 0
    assert server.get(upd["response"]["location"].split("/_history")[0]).json()["description"] == "changed"


def test_patch_entries_json_patch_and_fhirpath_patch(server):
    import base64
    import json

    put = substance("patch-me", method="PUT")
    put["request"]["url"] = "Substance/patch-me"
    put["resource"]["id"] = "patch-me"
    assert server.post_bundle(transaction(put)).status_code == 200
    json_patch = [{"op": "add", "path": "/description", "value": "patched"}]
    binary = {
        "resourceType": "Binary",
        "contentType": "application/json-patch+json",
        "data": base64.b64encode(json.dumps(json_patch).encode()).decode(),
    }
    fhirpath = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "replace"},
                    {"name": "path", "valueString": "Substance.instance"},
                    {"name": "value", "valueBoolean": True},
                ],
            }
        ],
    }
    json_entry = {"resource": binary, "request": {"method": "PATCH", "url": "Substance/patch-me"}}
    fhirpath_entry = {
        "resource": fhirpath,
        "request": {"method": "PATCH", "url": "Substance/patch-me", "ifMatch": 'W/"2"'},
    }
    # two entries acting on one resource: R5 transaction integrity says the transaction fails
    overlapping = server.post_bundle(transaction(json_entry, fhirpath_entry))
    assert overlapping.status_code == 400, overlapping.text
    assert "Bundle.entry[1]" in overlapping.text and "Bundle.entry[0]" in overlapping.text
    assert server.get("Substance/patch-me").json()["meta"]["versionId"] == "1"
    etags = []
    for entry in (json_entry, fhirpath_entry):
        response = server.post_bundle(transaction(entry))
        assert response.status_code == 200, response.text
        etags.append(response.json()["entry"][0]["response"]["etag"])
    assert etags == ['W/"2"', 'W/"3"']
    stored = server.get("Substance/patch-me").json()
    assert stored["description"] == "patched" and stored["instance"] is True


def test_prefer_representation_returns_each_resource(server):
    response = server.post_bundle(transaction(substance("rep")), Prefer="return=representation")
    assert response.status_code == 200
    entry = response.json()["entry"][0]
    assert entry["resource"]["identifier"][0]["value"] == "rep"
    assert entry["fullUrl"].endswith(entry["resource"]["id"])
    minimal = server.post_bundle(transaction(substance("min")))
    assert "resource" not in minimal.json()["entry"][0]


def test_transaction_larger_than_one_session_batch(server):
    """More entries than CLEAR_EVERY: references resolved across the session clears, all stored."""
    from fhir_service.interactions.transaction import CLEAR_EVERY

    count = CLEAR_EVERY * 2 + 50
    urns = [f"urn:uuid:{uuid.uuid4()}" for _ in range(count)]
    entries = [
        {
            "fullUrl": urns[i],
            "resource": {
                "resourceType": "Basic",
                "code": {"text": f"chain {i}"},
                **({"subject": {"reference": urns[i - 1]}} if i else {}),
            },
            "request": {"method": "POST", "url": "Basic"},
        }
        for i in range(count)
    ]
    before = server.history_total()
    response = server.post_bundle({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    assert response.status_code == 200, response.text[:500]
    locations = [e["response"]["location"].split("/_history")[0] for e in response.json()["entry"]]
    assert len(set(locations)) == count
    last = server.get(locations[-1]).json()
    assert last["subject"]["reference"] == locations[-2]
    assert server.history_total() == before + count


def test_overlap_is_about_writes_and_placeholders_about_this_bundle(server):
    """R5 transaction integrity counts the DELETE, POST, PUT and PATCH entries only: a GET of a
    resource the transaction writes, and a batch writing one resource twice, are fine. A urn:uuid
    reference must name an entry that writes; one that does is rewritten as usual."""
    put = substance("overlap", method="PUT")
    put["request"]["url"] = "Substance/overlap"
    put["resource"]["id"] = "overlap"
    read = {"request": {"method": "GET", "url": "Substance/overlap"}}
    assert server.post_bundle(transaction(put, read)).status_code == 200
    twice = {"resourceType": "Bundle", "type": "batch", "entry": [put, copy.deepcopy(put)]}
    twice["entry"][1]["resource"]["description"] = "second"
    statuses = [e["response"]["status"] for e in server.post_bundle(twice).json()["entry"]]
    assert statuses == ["200 OK", "200 OK"]
    assert server.get("Substance/overlap").json()["description"] == "second"
    linked = substance("linked", full_url="urn:uuid:7b1f0b3e-0000-4000-8000-0000000000aa")
    ingredient = {"item": {"reference": {"reference": "urn:uuid:7b1f0b3e-0000-4000-8000-0000000000aa"}}}
    referring = {
        "resource": {"resourceType": "MedicationKnowledge", "definitional": {"ingredient": [ingredient]}},
        "request": {"method": "POST", "url": "MedicationKnowledge"},
    }
    before = server.history_total()
    unlinked = server.post_bundle(transaction(referring))
    assert unlinked.status_code == 400 and "urn:uuid:7b1f0b3e" in unlinked.text
    assert server.history_total() == before
    response = server.post_bundle(transaction(linked, referring))
    assert response.status_code == 200, response.text
    stored = server.get(response.json()["entry"][1]["response"]["location"]).json()
    assert stored["definitional"]["ingredient"][0]["item"]["reference"]["reference"].startswith("Substance/")


@pytest.mark.parametrize("kind", ["batch", "transaction"])
def test_history_entries_answer_history_bundles_and_a_vread_entry_no_location(server, kind):
    """R5 allows any read interaction as a GET entry: instance, type and system history answer the
    history Bundle the top-level interaction does (status 200 OK, as HAPI), with its paging."""
    rid = f"hist-{kind}"
    for family in ("First", "Second"):
        patient = {"resourceType": "Patient", "id": rid, "name": [{"family": family}]}
        written = server.http.put(f"{server.base_url}/Patient/{rid}", json=patient)
        assert written.status_code in (200, 201), written.text
    urls = [
        f"Patient/{rid}/_history",
        "Patient/_history?_count=1",
        "_history?_count=1",
        f"Patient/{rid}/_history/1",
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"request": {"method": "GET", "url": u}} for u in urls],
    }
    response = server.post_bundle(bundle)
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert [e["response"]["status"] for e in entries] == ["200 OK"] * 4
    for url, entry in zip(urls[:3], entries[:3], strict=True):
        answered = entry["resource"]
        assert (answered["resourceType"], answered["type"]) == ("Bundle", "history")
        top_level = server.get(url).json()
        assert answered["total"] == top_level["total"] and answered["entry"] == top_level["entry"]
    instance = entries[0]["resource"]
    assert [e["resource"]["name"][0]["family"] for e in instance["entry"]] == ["Second", "First"]
    paged = entries[1]["resource"]
    assert len(paged["entry"]) == 1 and paged["total"] >= 2
    next_page = next(link["url"] for link in paged["link"] if link["relation"] == "next")
    assert server.http.get(next_page).json()["entry"][0]["resource"]["name"][0]["family"] == "First"
    vread = entries[3]
    assert vread["resource"]["name"][0]["family"] == "First" and vread["response"]["etag"] == 'W/"1"'
    assert "location" not in vread["response"]


def test_a_head_search_entry_answers_200_without_the_searchset(server):
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "HEAD", "url": "Organization?name=nothing-named-so"}},
            {"request": {"method": "GET", "url": "Organization?name=nothing-named-so"}},
        ],
    }
    entries = server.post_bundle(bundle).json()["entry"]
    assert [e["response"]["status"] for e in entries] == ["200 OK", "200 OK"]
    assert "resource" not in entries[0] and entries[1]["resource"]["type"] == "searchset"
