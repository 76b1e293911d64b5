"""REST semantics: versioning headers, conditional reads, Prefer, formats, subsetting, history
paging, conditional update/delete, $validate, and the CapabilityStatement."""

from __future__ import annotations

import pytest
from werkzeug.http import http_date

from fhir_service.formats import parse_xml
from fhir_service.validation import has_errors, validate_resource

JSON = "application/fhir+json"


def post(client, resource, **headers):
    return client.post(
        f"/fhir/{resource['resourceType']}", json=resource, headers={"Content-Type": JSON, **headers}
    )


def put(client, resource, **headers):
    path = f"/fhir/{resource['resourceType']}/{resource['id']}"
    return client.put(path, json=resource, headers={"Content-Type": JSON, **headers})


@pytest.fixture()
def patient(client):
    response = post(
        client,
        {
            "resourceType": "Patient",
            "gender": "female",
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml">A patient</div>',
            },
        },
    )
    assert response.status_code == 201
    return response.get_json()


def test_create_sets_location_etag_last_modified(client):
    response = post(client, {"resourceType": "Patient", "id": "ignored", "active": True})
    body = response.get_json()
    assert response.status_code == 201 and body["id"] != "ignored"
    assert response.headers["Location"] == f"http://test/fhir/Patient/{body['id']}/_history/1"
    assert response.headers["ETag"] == 'W/"1"'
    assert "GMT" in response.headers["Last-Modified"]


def test_update_creates_with_client_id_then_versions(client):
    first = put(client, {"resourceType": "Patient", "id": "chosen-1", "active": True})
    assert first.status_code == 201 and first.headers["Location"].endswith("/Patient/chosen-1/_history/1")
    second = put(client, {"resourceType": "Patient", "id": "chosen-1", "active": False})
    assert (
        second.status_code == 200 and second.headers["ETag"] == 'W/"2"' and "Location" not in second.headers
    )
    # the same content again (meta aside) is a no-op, as in HAPI: no version 3
    same = put(
        client, {"resourceType": "Patient", "id": "chosen-1", "active": False, "meta": {"versionId": "9"}}
    )
    assert same.status_code == 200 and same.headers["ETag"] == 'W/"2"'
    history = client.get("/fhir/Patient/chosen-1/_history").get_json()
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]


def test_read_returns_the_stored_bytes(client, patient):
    response = client.get(f"/fhir/Patient/{patient['id']}")
    assert response.get_json() == patient
    assert response.headers["Content-Type"] == "application/fhir+json;charset=utf-8"
    assert b"\n" not in response.data


def test_conditional_read(client, patient):
    path = f"/fhir/Patient/{patient['id']}"
    assert client.get(path, headers={"If-None-Match": 'W/"1"'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": 'W/"0"'}).status_code == 200
    later = http_date(9_999_999_999)
    assert client.get(path, headers={"If-Modified-Since": later}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": http_date(0)}).status_code == 200


def test_prefer_return(client):
    resource = {"resourceType": "Patient", "active": True}
    minimal = post(client, resource, Prefer="return=minimal")
    assert minimal.status_code == 201 and minimal.data == b"" and minimal.headers["Location"]
    outcome = post(client, resource, Prefer="return=OperationOutcome")
    assert outcome.status_code == 201 and outcome.get_json()["resourceType"] == "OperationOutcome"
    assert post(client, resource, Prefer="return=representation").get_json()["resourceType"] == "Patient"


def test_delete_then_gone_and_delete_again(client, patient):
    path = f"/fhir/Patient/{patient['id']}"
    deleted = client.delete(path)
    assert deleted.status_code == 204 and deleted.headers["ETag"] == 'W/"2"'
    gone = client.get(path)
    assert gone.status_code == 410 and gone.get_json()["issue"][0]["code"] == "deleted"
    assert client.delete(path).status_code == 204  # already deleted: no effect
    assert client.get(f"{path}/_history/1").status_code == 200
    assert client.get(f"{path}/_history/2").status_code == 410
    # R5 http.html#delete, as HAPI: a resource that never existed deletes "successfully"; nothing is written
    assert client.delete("/fhir/Patient/never-existed").status_code == 204
    assert client.get("/fhir/Patient/never-existed").status_code == 404
    recreated = put(client, {"resourceType": "Patient", "id": patient["id"]})
    assert recreated.status_code == 201 and recreated.headers["ETag"] == 'W/"3"'


@pytest.mark.parametrize(
    ("accept", "fmt", "expected"),
    [
        ("application/fhir+xml", None, "application/fhir+xml"),
        ("application/xml", None, "application/fhir+xml"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", None, JSON),
        (None, "xml", "application/fhir+xml"),
        (None, "application/fhir+json", JSON),
        ("application/fhir+xml", "json", JSON),
    ],
)
def test_format_negotiation(client, patient, accept, fmt, expected):
    headers = {"Accept": accept} if accept else {}
    query = {"_format": fmt} if fmt else {}
    response = client.get(f"/fhir/Patient/{patient['id']}", headers=headers, query_string=query)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(expected)
    body = parse_xml(response.data) if "xml" in expected else response.get_json()
    assert body["gender"] == "female"


def test_pretty(client, patient):
    response = client.get(f"/fhir/Patient/{patient['id']}?_pretty=true")
    assert b'\n  "resourceType"' in response.data and response.get_json() == patient


def test_summary_and_elements(client, patient):
    path = f"/fhir/Patient/{patient['id']}"
    summary = client.get(path, query_string={"_summary": "true"}).get_json()
    assert "gender" in summary and "text" not in summary
    assert summary["meta"]["tag"][-1]["code"] == "SUBSETTED"
    text = client.get(path, query_string={"_summary": "text"}).get_json()
    assert "text" in text and "gender" not in text
    data = client.get(path, query_string={"_summary": "data"}).get_json()
    assert "text" not in data and data["gender"] == "female"
    elements = client.get(path, query_string={"_elements": "gender"}).get_json()
    assert set(elements) == {"resourceType", "id", "meta", "gender"}
    assert client.get(path, query_string={"_summary": "false"}).get_json() == patient


def test_history_levels_paging_and_since(client):
    ids = [
        post(client, {"resourceType": "Basic", "code": {"text": str(n)}}).get_json()["id"] for n in range(3)
    ]
    first = client.get("/fhir/Basic/_history?_count=2").get_json()
    assert first["type"] == "history" and first["total"] == 3 and len(first["entry"]) == 2
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = client.get(next_url.replace("http://test", "")).get_json()
    assert [e["resource"]["id"] for e in first["entry"] + second["entry"]] == list(reversed(ids))
    assert not [link for link in second["link"] if link["relation"] == "next"]
    newest = first["entry"][0]["response"]["lastModified"]
    since = client.get("/fhir/Basic/_history", query_string={"_since": newest}).get_json()
    assert [e["resource"]["id"] for e in since["entry"]] == [ids[-1]]
    system = client.get("/fhir/_history?_count=1").get_json()
    assert system["total"] >= 3 and len(system["entry"]) == 1
    assert not has_errors(validate_resource(first))


def test_conditional_update_and_delete(client):
    identifier = {"system": "urn:test", "value": "cond-1"}
    created = client.put(
        "/fhir/Organization?identifier=urn:test|cond-1",
        json={"resourceType": "Organization", "identifier": [identifier], "name": "v1"},
        headers={"Content-Type": JSON},
    )
    assert created.status_code == 201
    org_id = created.get_json()["id"]
    updated = client.put(
        "/fhir/Organization?identifier=urn:test|cond-1",
        json={"resourceType": "Organization", "identifier": [identifier], "name": "v2"},
        headers={"Content-Type": JSON},
    )
    assert updated.status_code == 200 and updated.get_json()["id"] == org_id
    assert updated.headers["ETag"] == 'W/"2"'
    conditional_create = post(
        client,
        {"resourceType": "Organization", "name": "dup"},
        **{"If-None-Exist": "identifier=urn:test|cond-1"},
    )
    assert conditional_create.status_code == 200 and conditional_create.get_json()["id"] == org_id
    assert client.delete("/fhir/Organization?identifier=urn:test|cond-1").status_code == 204
    assert client.get(f"/fhir/Organization/{org_id}").status_code == 410


def test_validate_type_and_instance(client, patient):
    ok = client.post(
        "/fhir/Patient/$validate",
        json={"resourceType": "Patient", "active": True},
        headers={"Content-Type": JSON},
    )
    assert ok.status_code == 200 and not has_errors_in(ok.get_json())
    bad = client.post(
        "/fhir/Patient/$validate",
        json={"resourceType": "Patient", "gender": "x"},
        headers={"Content-Type": JSON},
    )
    assert bad.status_code == 200 and has_errors_in(bad.get_json())
    assert any("gender" in e for i in bad.get_json()["issue"] for e in i.get("expression", []))
    wrapped = {
        "resourceType": "Parameters",
        "parameter": [{"name": "resource", "resource": {"resourceType": "Patient", "active": True}}],
    }
    assert (
        client.post("/fhir/Patient/$validate", json=wrapped, headers={"Content-Type": JSON}).status_code
        == 200
    )
    instance = client.get(f"/fhir/Patient/{patient['id']}/$validate")
    assert instance.status_code == 200 and not has_errors_in(instance.get_json())
    assert client.get("/fhir/Patient/nobody/$validate").status_code == 404


def has_errors_in(outcome: dict) -> bool:
    return any(i["severity"] in ("error", "fatal") for i in outcome["issue"])


def test_capability_statement_is_valid_r5_and_lists_everything(client):
    response = client.get("/fhir/metadata")
    statement = response.get_json()
    # BCP-13 mime types are grammar-based, not enumerable: a value-set lookup cannot judge them
    issues = [i for i in validate_resource(statement) if "ValueSet/mimetypes" not in (i.rule or "")]
    assert not has_errors(issues), [i for i in issues if i.severity == "error"][:5]
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert len(resources) == 158 and {"Group", "Organization", "Substance", "MedicationKnowledge"} <= set(
        resources
    )
    assert {"read", "vread", "create", "update", "patch", "delete", "history-instance"} <= {
        i["code"] for i in resources["MedicationKnowledge"]["interaction"]
    }
    assert {
        "name": "validate",
        "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate",
    } in (statement["rest"][0]["operation"])


def test_errors_are_outcomes_in_the_requested_format(client):
    response = client.get("/fhir/Patient/nobody", headers={"Accept": "application/fhir+xml"})
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("application/fhir+xml")
    assert parse_xml(response.data)["resourceType"] == "OperationOutcome"
    not_fhir = client.get("/elsewhere")
    assert not_fhir.status_code == 404 and not_fhir.get_json()["resourceType"] == "OperationOutcome"


def test_subsets_keep_mandatory_elements_and_render_as_xml(client):
    created = post(
        client, {"resourceType": "ClinicalUseDefinition", "type": "warning", "status": {"text": "active"}}
    )
    path = f"/fhir/ClinicalUseDefinition/{created.get_json()['id']}"
    for query in ({"_elements": "status"}, {"_summary": "text"}):
        as_json = client.get(path, query_string=query).get_json()
        assert as_json["type"] == "warning"
        as_xml = client.get(path, query_string={**query, "_format": "xml"})
        assert as_xml.status_code == 200 and parse_xml(as_xml.data)["type"] == "warning"


def test_bundles_have_their_own_body_limit(app, client):
    """A transaction may exceed the per-resource limit (10,000 entries are ~15 MB) up to MAX_BUNDLE_BYTES."""
    entries = [
        {
            "resource": {"resourceType": "Basic", "id": f"big-{i}", "code": {"text": "x" * 200}},
            "request": {"method": "PUT", "url": f"Basic/big-{i}"},
        }
        for i in range(40)
    ]
    body = {"resourceType": "Bundle", "type": "batch", "entry": entries}
    limits = app.config["MAX_CONTENT_LENGTH"], app.config["MAX_BUNDLE_BYTES"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        assert post(client, {"resourceType": "Basic", "code": {"text": "x" * 5000}}).status_code == 413
        assert client.post("/fhir", json=body, headers={"Content-Type": JSON}).status_code == 200
        app.config["MAX_BUNDLE_BYTES"] = 4096
        too_big = client.post("/fhir", json=body, headers={"Content-Type": JSON})
        assert too_big.status_code == 413 and too_big.get_json()["resourceType"] == "OperationOutcome"
    finally:
        app.config["MAX_CONTENT_LENGTH"], app.config["MAX_BUNDLE_BYTES"] = limits
