"""Schemathesis fuzzes a live server (tests/fuzz/conftest.py: seeded with the tolperisone Bundle)
from the OpenAPI description it publishes at /fhir/api-docs, for a subset of operations, with data that
fits the description (positive) and data that does not (negative). Every response must pass the
built-in checks (no 5xx, documented status codes, content types, headers and schemas) and the FHIR
rules below (custom checks): every 4xx/5xx body is an OperationOutcome with at least one issue, a 201
has a Location naming the new version, and resource responses carry an ETag.

Examples per operation and mode: tests/fuzz/fuzz_strategies.examples (FHIR_SERVICE_FUZZ_SCALE)."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import schemathesis
from fuzz_strategies import FUZZ, examples
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fhir_service.rest.openapi import document

# the subset fuzzed: the system interactions, the seed's MedicationKnowledge (search, read, update,
# $validate) and every interaction of a type the seed does not use (Organization)
TYPES = ("MedicationKnowledge", "Organization")
SKIPPED = {
    ("POST", "/MedicationKnowledge"),
    ("PATCH", "/MedicationKnowledge/{id}"),
    ("DELETE", "/MedicationKnowledge/{id}"),
}
SKIPPED |= {("GET", "/MedicationKnowledge/_history"), ("GET", "/MedicationKnowledge/{id}/_history/{vid}")}
SKIPPED |= {("GET", "/MedicationKnowledge/{id}/_history")}
OPERATIONS = [
    (method.upper(), path, mode)
    for path, ops in document("http://localhost/fhir", TYPES)["paths"].items()
    for method, op in ops.items()
    if (method.upper(), path) not in SKIPPED
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode.is_positive or op["parameters"] or "requestBody" in op  # negative needs something to break
]
LOCATION = re.compile(
    r"^https?://[^/]+/fhir/(?P<type>[A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})/_history/(?P<vid>\d+)$"
)


def _body(response) -> dict | None:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def errors_are_operation_outcomes(ctx, response, case):
    """Every 4xx/5xx has an OperationOutcome body with at least one issue (R5 http.html)."""
    if response.status_code < 400 or case.method == "HEAD":
        return None
    body = _body(response)
    assert isinstance(body, dict) and body.get("resourceType") == "OperationOutcome", (
        f"{response.status_code} without an OperationOutcome body: {response.content[:200]!r}"
    )
    assert body.get("issue"), "an OperationOutcome without issues"
    return True


def created_has_location(ctx, response, case):
    """A 201 names the new resource version in Location: [base]/Type/id/_history/vid."""
    if response.status_code != 201:
        return None
    location = response.headers.get("location", [""])[0]
    match = LOCATION.match(location)
    assert match, f"201 without a version Location: {location!r}"
    assert response.headers.get("etag", [""])[0] == f'W/"{match["vid"]}"', "ETag and Location disagree"
    return True


def resources_have_etags(ctx, response, case):
    """Reads, vreads, creates and updates that return a resource carry its version as ETag."""
    body = _body(response)
    if response.status_code not in (200, 201) or case.method not in ("GET", "PUT", "POST", "PATCH"):
        return None
    if not isinstance(body, dict) or body.get("resourceType") in (
        "Bundle",
        "OperationOutcome",
        "CapabilityStatement",
    ):
        return None
    assert response.headers.get("etag"), f"{case.method} {case.path} returned a resource without an ETag"
    return True


STATUSES: Counter[tuple[str, int]] = Counter()  # (mode, status) over the run, for the summary test

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    errors_are_operation_outcomes,
    created_has_location,
    resources_have_etags,
]


@pytest.fixture(scope="module")
def schema(server):
    return schemathesis.openapi.from_url(f"{server.base_url}/api-docs?_type={','.join(TYPES)}")


def test_api_docs_describes_the_capability_statement(server):
    """Every type and search parameter of /metadata is in /api-docs (the full document)."""
    statement = server.get("metadata").json()
    docs = server.get("api-docs").json()
    assert docs["openapi"].startswith("3.0") and docs["servers"] == [{"url": server.base_url}]
    for entry in statement["rest"][0]["resource"]:
        search = docs["paths"][f"/{entry['type']}"]["get"]
        names = {p["name"] for p in search["parameters"]}
        assert {p["name"] for p in entry.get("searchParam", []) if not p["name"].startswith("_")} <= names
        assert set(docs["paths"][f"/{entry['type']}/{{id}}"]) == {"get", "put", "patch", "delete"}
    assert "post" in docs["paths"]["/"] and "get" in docs["paths"]["/_history"]


def _enums(node):
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            yield node["enum"]
        for value in node.values():
            yield from _enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from _enums(value)


def test_api_docs_is_valid_openapi_30():
    """Against the official OpenAPI 3.0 JSON schema (the copy schemathesis ships), for every type; enum
    values unique (that schema does not check it: OperationOutcome's own responses listed it twice)."""
    import jsonschema_rs
    from schemathesis.specs.openapi.definitions import OPENAPI_30

    docs = document("http://localhost/fhir")
    errors = [e.message for e in jsonschema_rs.Draft4Validator(OPENAPI_30).iter_errors(docs)]
    assert not errors, errors[:3]
    assert all(len(set(map(json.dumps, enum))) == len(enum) for enum in _enums(docs))


def test_custom_checks_reject_what_they_should():
    """The FHIR checks can fail: an HTML 404, a 201 without Location, a resource without ETag."""
    from types import SimpleNamespace as Stub

    case = Stub(method="GET", path="/Organization/{id}")
    html = Stub(status_code=404, content=b"<html>Not Found</html>", headers={})
    with pytest.raises(AssertionError, match="without an OperationOutcome"):
        errors_are_operation_outcomes(None, html, case)
    created = Stub(status_code=201, content=b"", headers={"location": ["http://h/fhir/Organization/1"]})
    with pytest.raises(AssertionError, match="without a version Location"):
        created_has_location(None, created, case)
    resource = Stub(status_code=200, content=b'{"resourceType": "Organization"}', headers={})
    with pytest.raises(AssertionError, match="without an ETag"):
        resources_have_etags(None, resource, case)


def test_api_docs_asks_for_a_bearer_token_when_auth_is_on():
    from fhir_service.auth.config import AuthConfig

    docs = document("http://localhost/fhir", ("Organization",), AuthConfig(mode="token"))
    assert docs["security"] == [{"bearer": []}] and docs["paths"]["/metadata"]["get"]["security"] == []
    assert "security" not in document("http://localhost/fhir", ("Organization",))


def test_bodyless_responses_have_no_content_type(server):
    """Found by the fuzz: Prefer: return=minimal answered 201 with an empty body typed text/html."""
    org = {"resourceType": "Organization", "identifier": [{"system": "urn:x", "value": "minimal"}]}
    headers = {"Content-Type": "application/fhir+json", "Prefer": "return=minimal"}
    created = server.http.post(f"{server.base_url}/Organization", json=org, headers=headers)
    assert created.status_code == 201 and created.content == b"" and "Content-Type" not in created.headers
    deleted = server.http.delete(created.headers["Location"].split("/_history")[0])
    assert deleted.status_code == 204 and "Content-Type" not in deleted.headers


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "path", "mode"), OPERATIONS, ids=[f"{m} {p} {g}" for m, p, g in OPERATIONS]
)
def test_fuzz(server, schema, method, path, mode):
    operation = schema[path][method]
    count = examples(10)  # per mode: 20 requests per operation

    @settings(max_examples=count, **{**FUZZ, "suppress_health_check": list(HealthCheck)})
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(base_url=server.base_url, session=server.http)
        STATUSES[str(mode), response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    run()


def test_fuzz_reached_success_and_error_paths():
    """The fuzz is no use if every request bounced off the same 4xx: both kinds must have been seen."""
    if not STATUSES:
        pytest.skip("test_fuzz did not run in this session")
    print(sorted(STATUSES.items()))
    assert sum(n for (_, status), n in STATUSES.items() if status < 300) >= 10
    assert sum(n for (_, status), n in STATUSES.items() if 400 <= status < 500) >= 10
