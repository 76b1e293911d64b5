"""Bad input of every kind gets a 4xx OperationOutcome (never a 500 or an HTML page) and leaves the
store exactly as it was, checked by comparing the system history before and after."""

from __future__ import annotations

import json

import pytest

JSON = {"Content-Type": "application/fhir+json"}
XML = {"Content-Type": "application/fhir+xml"}
PATCH = {"Content-Type": "application/json-patch+json"}
TARGET = "Organization/bad-input-target"
ORG = {"resourceType": "Organization", "name": "x"}

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Organization [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Organization xmlns="http://hl7.org/fhir"><name value="&xxe;"/></Organization>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Organization xmlns="http://hl7.org/fhir"><name value="&lol3;"/></Organization>"""


def j(value) -> bytes:
    return json.dumps(value).encode()


def op(kind: str, path: str, **parts) -> dict:
    items = [{"name": "type", "valueCode": kind}, {"name": "path", "valueString": path}]
    items += [{"name": k, "valueString": v} for k, v in parts.items()]
    return {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": items}]}


# (name, method, path, headers, body, expected status)
CASES = [
    ("malformed JSON", "POST", "Organization", JSON, b'{"resourceType":', 400),
    ("JSON array as resource", "POST", "Organization", JSON, b"[]", 400),
    ("no resourceType", "POST", "Organization", JSON, j({"name": "x"}), 400),
    ("empty body", "POST", "Organization", JSON, b"", 400),
    (
        "invalid UTF-8",
        "POST",
        "Organization",
        JSON,
        b'{"resourceType":"Organization","name":"\xff\xfe"}',
        400,
    ),
    ("deeply nested JSON", "POST", "Organization", JSON, b"[" * 100_000 + b"]" * 100_000, 400),
    ("wrong resourceType for URL", "POST", "Organization", JSON, j({"resourceType": "Patient"}), 400),
    (
        "wrong type on update",
        "PUT",
        TARGET,
        JSON,
        j({"resourceType": "Patient", "id": "bad-input-target"}),
        400,
    ),
    (
        "bad primitive value",
        "POST",
        "Organization",
        JSON,
        j({"resourceType": "Organization", "active": "yes"}),
        422,
    ),
    ("unknown element", "POST", "Organization", JSON, j({**ORG, "colour": "blue"}), 422),
    (
        "missing required element",
        "POST",
        "ClinicalUseDefinition",
        JSON,
        j({"resourceType": "ClinicalUseDefinition"}),
        422,
    ),
    (
        "code outside required binding",
        "POST",
        "ClinicalUseDefinition",
        JSON,
        j({"resourceType": "ClinicalUseDefinition", "type": "not-a-type"}),
        422,
    ),
    ("bad id characters", "PUT", "Organization/bad_id!", JSON, j({**ORG, "id": "bad_id!"}), 400),
    ("id longer than 64", "PUT", "Organization/" + "a" * 65, JSON, j({**ORG, "id": "a" * 65}), 400),
    ("id differs from URL", "PUT", TARGET, JSON, j({**ORG, "id": "other"}), 400),
    ("no id on update", "PUT", TARGET, JSON, j(ORG), 400),
    ("unknown resource type (create)", "POST", "Medicine", JSON, j({"resourceType": "Medicine"}), 404),
    ("unknown resource type (read)", "GET", "Medicine/1", {}, None, 404),
    ("unknown resource type (delete)", "DELETE", "Medicine/1", {}, None, 404),
    ("oversize body", "POST", "Organization", JSON, j({**ORG, "alias": ["x" * 1000] * 1200}), 413),
    ("unsupported content type", "POST", "Organization", {"Content-Type": "text/plain"}, j(ORG), 415),
    (
        "other FHIR version",
        "POST",
        "Organization",
        {"Content-Type": "application/fhir+json; fhirVersion=3.0"},  # 4.0, 4.3 and 5.0 are read
        j(ORG),
        415,
    ),
    ("unsupported _format", "POST", "Organization?_format=text/csv", JSON, j(ORG), 406),
    ("unacceptable Accept", "POST", "Organization", {**JSON, "Accept": "text/csv"}, j(ORG), 406),
    (
        "stale If-Match on update",
        "PUT",
        TARGET,
        {**JSON, "If-Match": 'W/"99"'},
        j({**ORG, "id": "bad-input-target"}),
        412,
    ),
    ("stale If-Match on delete", "DELETE", TARGET, {"If-Match": 'W/"99"'}, None, 412),
    (
        "stale If-Match on patch",
        "PATCH",
        TARGET,
        {**PATCH, "If-Match": 'W/"99"'},
        j([{"op": "replace", "path": "/name", "value": "y"}]),
        412,
    ),
    ("XML external entity", "POST", "Organization", XML, XXE, 400),
    ("XML entity expansion", "POST", "Organization", XML, LAUGHS, 400),
    ("malformed XML", "POST", "Organization", XML, b"<Organization xmlns='http://hl7.org/fhir'><name", 400),
    (
        "XML outside the FHIR namespace",
        "POST",
        "Organization",
        XML,
        b"<Organization><name value='x'/></Organization>",
        400,
    ),
    ("XML unknown root", "POST", "Organization", XML, b"<Medicine xmlns='http://hl7.org/fhir'/>", 400),
    (
        "JSON Patch on a missing path",
        "PATCH",
        TARGET,
        PATCH,
        j([{"op": "replace", "path": "/nope/0", "value": 1}]),
        422,
    ),
    (
        "JSON Patch changing resourceType",
        "PATCH",
        TARGET,
        PATCH,
        j([{"op": "replace", "path": "/resourceType", "value": "Patient"}]),
        400,
    ),
    (
        "JSON Patch changing id",
        "PATCH",
        TARGET,
        PATCH,
        j([{"op": "replace", "path": "/id", "value": "z"}]),
        400,
    ),
    (
        "JSON Patch making it invalid",
        "PATCH",
        TARGET,
        PATCH,
        j([{"op": "add", "path": "/active", "value": "no"}]),
        422,
    ),
    ("JSON Patch not an array", "PATCH", TARGET, PATCH, j({"op": "remove"}), 400),
    ("PATCH with text/plain", "PATCH", TARGET, {"Content-Type": "text/plain"}, b"name=y", 415),
    (
        "FHIRPath Patch with a bad path",
        "PATCH",
        TARGET,
        JSON,
        j(op("replace", "Organization.nope(", value="y")),
        422,
    ),
    (
        "FHIRPath Patch on nothing",
        "PATCH",
        TARGET,
        JSON,
        j(op("replace", "Organization.alias", value="y")),
        422,
    ),
    (
        "patch of an unknown resource",
        "PATCH",
        "Organization/never-was",
        PATCH,
        j([{"op": "replace", "path": "/name", "value": "y"}]),
        404,
    ),
    ("non-numeric version", "GET", f"{TARGET}/_history/abc", {}, None, 400),
    ("bad _since", "GET", "_history?_since=yesterday", {}, None, 400),
    ("bad _count", "GET", "_history?_count=-1", {}, None, 400),
    ("bad _summary", "GET", f"{TARGET}?_summary=some", {}, None, 400),
    ("non-Bundle to the base", "POST", "", JSON, j(ORG), 400),
    ("$validate with malformed JSON", "POST", "Organization/$validate", JSON, b"{", 400),
    ("_search with a JSON body", "POST", "Organization/_search", JSON, j(ORG), 415),
    ("unknown path", "GET", "Organization/x/y/z/w", {}, None, 404),
    ("method not allowed", "PATCH", "Organization/x/_history", PATCH, j([]), 405),
]


@pytest.fixture(scope="module")
def target(base_url):
    import requests

    response = requests.put(f"{base_url}/{TARGET}", json={**ORG, "id": "bad-input-target"}, headers=JSON)
    assert response.status_code in (200, 201)


def snapshot(http) -> tuple:
    page = http.get("_history", params={"_count": 1000}).json()
    return page["total"], [(e["fullUrl"], e["response"]["etag"]) for e in page.get("entry", [])]


def test_table_is_big_enough():
    assert len(CASES) >= 30
    assert len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("name", "method", "path", "headers", "body", "status"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_is_a_4xx_outcome_and_stores_nothing(
    http, target, name, method, path, headers, body, status
):
    before = snapshot(http)
    response = getattr(http, method.lower())(path, data=body, headers=headers)
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    errors = [i for i in outcome["issue"] if i["severity"] in ("error", "fatal")]
    assert errors and all(i.get("diagnostics") for i in errors)
    if status == 422 and method != "PATCH":  # validation failures name the element
        assert all(i.get("expression") for i in errors)
    assert snapshot(http) == before


def test_chunked_oversize_body_is_413_not_a_truncated_document(http, target):
    """Without Content-Length the limit must still be enforced (werkzeug would cut the body)."""
    before = snapshot(http)
    big = j({**ORG, "alias": ["x" * 1000] * 1200})

    def chunks():
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    response = http.post("Organization", data=chunks(), headers=JSON)
    assert response.status_code == 413 and response.json()["resourceType"] == "OperationOutcome"
    small = http.post("Organization", data=iter([j(ORG)]), headers=JSON)
    assert small.status_code == 201
    http.delete(f"Organization/{small.json()['id']}")
    assert snapshot(http)[0] == before[0] + 2
