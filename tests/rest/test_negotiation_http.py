"""Content negotiation over real HTTP: media-type parameters (fhirVersion, charset, q) in Accept and
Content-Type on every endpoint, _format as the spec's aliases and MIME types (encoded or not), and
the 404 of an unsupported type (R5 http.html)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from fhir_service.formats import parse_xml

JSON = "application/fhir+json"
XML = "application/fhir+xml"
ORG = {"resourceType": "Organization", "id": "neg-1", "name": "Negotiated pharmacy"}


@pytest.fixture(scope="module")
def server(live):
    created = live.http.put(f"{live.base_url}/Organization/neg-1", json=ORG, headers={"Content-Type": JSON})
    assert created.status_code == 201, created.text
    return live


# Every GET endpoint of the API: the negotiation runs before each of them.
ENDPOINTS = [
    "metadata",
    "Organization/neg-1",
    "Organization/neg-1/_history/1",
    "Organization/neg-1/_history",
    "Organization?name=negotiated",
    "Organization/_history",
    "_history",
    "?_type=Organization",
    "Organization/neg-1/$validate",
]


def kind_of(response) -> str:
    content_type = response.headers["Content-Type"]
    if content_type.startswith(JSON):
        response.json()
        return "json"
    assert content_type.startswith(XML), content_type
    parse_xml(response.content)
    return "xml"


def outcome_text(response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return " ".join(issue.get("diagnostics", "") for issue in body["issue"])


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    ("accept", "kind"),
    [
        ("application/fhir+json; fhirVersion=5.0", "json"),
        ("application/fhir+json; charset=utf-8", "json"),
        ("application/fhir+json;fhirVersion=5.0;charset=UTF-8", "json"),
        ('application/fhir+json; fhirVersion="5.0"', "json"),
        ("application/json; charset=utf-8", "json"),
        ("application/fhir+xml; fhirVersion=5.0", "xml"),
        ("application/fhir+xml;charset=utf-8", "xml"),
        ("application/fhir+xml;q=0.9, application/fhir+json", "json"),
        ("application/fhir+json;q=0.1, application/fhir+xml;q=0.8", "xml"),
        ("application/fhir+json;fhirVersion=3.0, application/fhir+xml;fhirVersion=5.0;q=0.5", "xml"),
        ("text/html;q=1, application/fhir+xml;q=0.2", "xml"),
        ("*/*;q=0.1, application/fhir+json;fhirVersion=5.0", "json"),
    ],
)
def test_accept_with_parameters(server, path, accept, kind):
    response = server.http.get(f"{server.base_url}/{path}", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert kind_of(response) == kind


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("version", ["3.0", "1.0", "6.0", "4.1"])
@pytest.mark.parametrize("media", [JSON, XML])
def test_accept_of_another_fhir_version_is_406_naming_the_versions_served(server, path, version, media):
    accept = f"{media}; fhirVersion={version}"
    response = server.http.get(f"{server.base_url}/{path}", headers={"Accept": accept})
    assert response.status_code == 406
    assert response.headers["Content-Type"].startswith(JSON)  # nothing else is acceptable
    text = outcome_text(response)
    assert version in text and response.json()["issue"][0]["code"] == "not-supported"
    assert all(served in text for served in ("4.0", "4.3", "5.0"))


@pytest.mark.parametrize(
    "accept",
    [
        "application/fhir+json;q=abc",  # an unreadable range is left out: here all of them
        "garbage",
        ",",
        "application/fhir+json; fhirVersion=",  # an empty parameter says nothing
        "application/fhir+json;q=2, application/fhir+json;charset=",
    ],
)
def test_an_unreadable_accept_is_no_accept(server, accept):
    response = server.http.get(f"{server.base_url}/Organization/neg-1", headers={"Accept": accept})
    assert response.status_code == 200 and kind_of(response) == "json"


def test_accept_refusals(server):
    for accept in ("text/html", "application/fhir+json;charset=iso-8859-1", "application/fhir+json;q=0"):
        response = server.http.get(f"{server.base_url}/metadata", headers={"Accept": accept})
        assert response.status_code == 406, accept
        assert outcome_text(response)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("json", "json"),
        ("xml", "xml"),
        ("application/json", "json"),
        ("application/xml", "xml"),
        ("text/xml", "xml"),
        ("application/fhir+json", "json"),
        ("application/fhir+xml", "xml"),
        ("application/fhir+xml; fhirVersion=5.0", "xml"),
        ("application/fhir+json;charset=utf-8", "json"),
    ],
)
@pytest.mark.parametrize(
    "path", ["metadata", "Organization/neg-1", "Organization?name=negotiated", "_history"]
)
def test_format_aliases_and_mime_types_encoded_or_not(server, value, kind, path):
    joiner = "&" if "?" in path else "?"
    encoded = server.http.get(f"{server.base_url}/{path}{joiner}_format={quote(value, safe='')}")
    assert encoded.status_code == 200, encoded.text
    assert kind_of(encoded) == kind
    # as clients and curl send it: the `+` unencoded, so it arrives as a space
    raw = server.http.get(f"{server.base_url}/{path}{joiner}_format={value.replace(' ', '')}")
    assert raw.status_code == 200, raw.text
    assert kind_of(raw) == kind


def test_format_overrides_accept(server):
    response = server.http.get(
        f"{server.base_url}/Organization/neg-1?_format=application/fhir+xml", headers={"Accept": JSON}
    )
    assert response.status_code == 200 and kind_of(response) == "xml"


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("ttl", "ttl"),
        ("text/turtle", "text/turtle"),
        ("html", "html"),
        ("application/fhir+json;fhirVersion=3.0", "5.0"),
        ("application/fhir+xml; fhirVersion=4.3", "JSON only"),  # the R4/R4B views are JSON
    ],
)
def test_format_not_served_is_406(server, value, named):
    response = server.http.get(f"{server.base_url}/Organization/neg-1", params={"_format": value})
    assert response.status_code == 406
    assert named in outcome_text(response)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/fhir+json; fhirVersion=5.0",
        "application/fhir+json; charset=utf-8",
        "application/fhir+json;fhirVersion=5.0;charset=UTF-8",
        "application/json;charset=utf-8",
    ],
)
def test_content_type_with_parameters(server, content_type):
    org = {"resourceType": "Organization", "name": "posted"}
    created = server.http.post(
        f"{server.base_url}/Organization", json=org, headers={"Content-Type": content_type}
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    updated = server.http.put(
        f"{server.base_url}/Organization/{rid}",
        json={**org, "id": rid, "name": "put"},
        headers={"Content-Type": content_type},
    )
    assert updated.status_code == 200, updated.text
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": org, "request": {"method": "POST", "url": "Organization"}}],
    }
    posted = server.http.post(server.base_url, json=bundle, headers={"Content-Type": content_type})
    assert posted.status_code == 200, posted.text
    checked = server.http.post(
        f"{server.base_url}/Organization/$validate", json=org, headers={"Content-Type": content_type}
    )
    assert checked.status_code == 200, checked.text


@pytest.mark.parametrize("version", ["3.0", "1.0"])
def test_content_type_of_another_fhir_version_is_415_and_stores_nothing(server, version):
    before = server.history_total()
    content_type = f"application/fhir+json; fhirVersion={version}"
    org = {"resourceType": "Organization", "name": "R4 client"}
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"resource": org, "request": {"method": "POST", "url": "Organization"}}],
    }
    for method, path, body in [
        ("POST", "Organization", org),
        ("PUT", "Organization/neg-1", {**ORG, "name": "changed"}),
        ("POST", "", bundle),
        ("PATCH", "Organization/neg-1", {"resourceType": "Parameters"}),
        ("POST", "Organization/$validate", org),
    ]:
        url = f"{server.base_url}/{path}".rstrip("/")
        response = server.http.request(method, url, json=body, headers={"Content-Type": content_type})
        assert response.status_code == 415, (method, path, response.text)
        text = outcome_text(response)
        assert version in text and "5.0" in text
    assert server.history_total() == before


def test_content_type_in_another_charset_is_415(server):
    response = server.http.post(
        f"{server.base_url}/Organization",
        data='{"resourceType":"Organization","name":"Z\xfcrich"}'.encode("latin-1"),
        headers={"Content-Type": "application/fhir+json; charset=iso-8859-1"},
    )
    assert response.status_code == 415 and "UTF-8" in outcome_text(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "Foo/1"),
        ("GET", "Foo/1/_history/1"),
        ("GET", "Foo/1/_history"),
        ("GET", "Foo"),
        ("GET", "Foo/_history"),
        ("POST", "Foo"),
        ("PUT", "Foo/1"),
        ("DELETE", "Foo/1"),
        ("GET", "organization/neg-1"),  # types are case-sensitive
    ],
)
def test_an_unsupported_type_is_404(server, method, path):
    body = {"resourceType": path.split("/")[0]} if method in ("POST", "PUT") else None
    if method == "PUT":
        body["id"] = "1"
    response = server.http.request(
        method, f"{server.base_url}/{path}", json=body, headers={"Content-Type": JSON} if body else {}
    )
    assert response.status_code == 404, response.text
    issue = response.json()["issue"][0]
    assert issue["code"] == "not-supported" and path.split("/")[0] in issue["diagnostics"]
