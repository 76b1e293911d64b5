"""FHIR_SERVICE_AUTH=token over real HTTP: 401 vs 403, scoped writes, Bundles refused whole,
_include/_revinclude filtered to readable types, system search, $export, the CapabilityStatement."""

from __future__ import annotations

import time

import pytest
from auth_helpers import FHIR_JSON, bearer, contraindication, is_outcome, product, put

from fhir_service.auth.config import AuthConfig
from fhir_service.validation import validate_resource
from fhir_service.validation.issues import has_errors


@pytest.fixture(scope="module")
def server(start_server, tokens_file):
    server = start_server(AuthConfig(mode="token", tokens_file=tokens_file))
    for resource in (product("auth-mpd"), contraindication("auth-cud", "auth-mpd")):
        assert put(server, resource).status_code in (200, 201)
    return server


def test_anonymous_write_is_401_with_a_bearer_challenge(server):
    group = {"resourceType": "Group", "type": "person", "membership": "definitional"}
    response = server.http.post(f"{server.base_url}/Group", json=group, headers=FHIR_JSON)
    assert response.status_code == 401 and is_outcome(response)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert response.json()["issue"][0]["code"] == "login"
    unknown = server.http.post(
        f"{server.base_url}/Group", json=group, headers={**FHIR_JSON, **bearer("nope")}
    )
    assert unknown.status_code == 401 and 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]
    anonymous_read = server.get("MedicinalProductDefinition/auth-mpd")
    assert anonymous_read.status_code == 401


def test_missing_scope_is_403_and_a_scoped_token_succeeds(server):
    group = {"resourceType": "Group", "type": "person", "membership": "definitional"}
    refused = server.http.post(
        f"{server.base_url}/Group", json=group, headers={**FHIR_JSON, **bearer("reader")}
    )
    assert refused.status_code == 403 and is_outcome(refused)
    assert refused.json()["issue"][0]["code"] == "forbidden"
    assert "system/Group.c" in refused.json()["issue"][0]["diagnostics"]
    created = server.http.post(
        f"{server.base_url}/Group", json=group, headers={**FHIR_JSON, **bearer("group-creator")}
    )
    assert created.status_code == 201
    location = created.headers["Location"].split("/fhir/")[1].split("/_history")[0]
    assert server.get(location, headers=bearer("group-creator")).status_code == 200  # v1 .read
    deleted = server.http.delete(f"{server.base_url}/{location}", headers=bearer("group-creator"))
    assert deleted.status_code == 403
    assert server.get(location, headers=bearer("cud-writer")).status_code == 403


def test_conditional_create_also_needs_search(server):
    headers = {**FHIR_JSON, **bearer("cud-creator")}
    resource = contraindication("ignored", "auth-mpd")
    del resource["id"]
    url = f"{server.base_url}/ClinicalUseDefinition"
    conditional = server.http.post(url, json=resource, headers={**headers, "If-None-Exist": "_id=auth-cud"})
    assert conditional.status_code == 403 and "system/ClinicalUseDefinition.s" in conditional.text
    assert server.http.post(f"{url}?_format=json", json=resource, headers=headers).status_code == 201


def test_a_transaction_with_one_forbidden_entry_is_refused_whole(server):
    before = server.get("_history", params={"_count": "1"}, headers=bearer("reader")).json()["total"]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": contraindication("auth-cud-2", "auth-mpd"),
                "request": {"method": "PUT", "url": "ClinicalUseDefinition/auth-cud-2"},
            },
            {
                "resource": product("auth-mpd-2"),
                "request": {"method": "PUT", "url": "MedicinalProductDefinition/auth-mpd-2"},
            },
        ],
    }
    refused = server.post_bundle(bundle, **bearer("cud-writer"))
    assert refused.status_code == 403 and is_outcome(refused)
    assert "MedicinalProductDefinition" in refused.json()["issue"][0]["diagnostics"]
    batch = server.post_bundle({**bundle, "type": "batch"}, **bearer("cud-writer"))
    assert batch.status_code == 403
    after = server.get("_history", params={"_count": "1"}, headers=bearer("reader")).json()["total"]
    assert after == before
    assert server.get("ClinicalUseDefinition/auth-cud-2", headers=bearer("admin")).status_code == 404
    assert server.post_bundle(bundle, **bearer("admin")).status_code == 200


def _types(bundle: dict, mode: str) -> set[str]:
    return {e["resource"]["resourceType"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode}


def test_include_and_revinclude_never_leak_an_unreadable_type(server):
    include = {"_id": "auth-cud", "_include": "ClinicalUseDefinition:subject"}
    narrow = server.get("ClinicalUseDefinition", params=include, headers=bearer("cud-writer"))
    assert narrow.status_code == 200
    assert _types(narrow.json(), "match") == {"ClinicalUseDefinition"} and not _types(
        narrow.json(), "include"
    )
    wide = server.get("ClinicalUseDefinition", params=include, headers=bearer("reader"))
    assert _types(wide.json(), "include") == {"MedicinalProductDefinition"}  # the test can fail

    revinclude = {"_id": "auth-mpd", "_revinclude": "ClinicalUseDefinition:subject"}
    narrow = server.get("MedicinalProductDefinition", params=revinclude, headers=bearer("mpd-reader"))
    assert _types(narrow.json(), "match") == {"MedicinalProductDefinition"} and not _types(
        narrow.json(), "include"
    )
    wide = server.get("MedicinalProductDefinition", params=revinclude, headers=bearer("reader"))
    assert _types(wide.json(), "include") == {"ClinicalUseDefinition"}

    # the same search as a batch entry is filtered too
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "request": {
                    "method": "GET",
                    "url": "ClinicalUseDefinition?_id=auth-cud&_include=ClinicalUseDefinition:subject",
                }
            }
        ],
    }
    answered = server.post_bundle(batch, **bearer("cud-writer")).json()
    searchset = answered["entry"][0]["resource"]
    assert _types(searchset, "match") == {"ClinicalUseDefinition"} and not _types(searchset, "include")


def test_system_search_and_history_need_search_on_every_type_they_touch(server):
    assert server.get("", params={"_id": "auth-cud"}, headers=bearer("cud-writer")).status_code == 403
    scoped = server.get(
        "", params={"_type": "ClinicalUseDefinition", "_id": "auth-cud"}, headers=bearer("cud-writer")
    )
    assert scoped.status_code == 200 and scoped.json()["entry"][0]["resource"]["id"] == "auth-cud"
    mixed = {"_type": "ClinicalUseDefinition,MedicinalProductDefinition"}
    assert server.get("", params=mixed, headers=bearer("cud-writer")).status_code == 403
    assert server.get("_history", headers=bearer("cud-writer")).status_code == 403
    assert server.get("ClinicalUseDefinition/_history", headers=bearer("cud-writer")).status_code == 200
    chained = {"subject:MedicinalProductDefinition.name": "auth-mpd"}
    assert (
        server.get("ClinicalUseDefinition", params=chained, headers=bearer("cud-writer")).status_code == 403
    )
    assert server.get("ClinicalUseDefinition", params=chained, headers=bearer("reader")).status_code == 200


def test_export_needs_read_and_search_on_the_exported_types(server):
    async_ = {"Prefer": "respond-async"}
    refused = server.get(
        "$export", params={"_type": "MedicinalProductDefinition"}, headers={**async_, **bearer("cud-writer")}
    )
    assert refused.status_code == 403
    assert server.get("$export", headers={**async_, **bearer("cud-writer")}).status_code == 403  # every type
    accepted = server.get(
        "$export", params={"_type": "ClinicalUseDefinition"}, headers={**async_, **bearer("cud-writer")}
    )
    assert accepted.status_code == 202
    status_url = accepted.headers["Content-Location"]
    assert server.http.get(status_url).status_code == 401
    deadline = time.monotonic() + 30
    while (status := server.http.get(status_url, headers=bearer("cud-writer"))).status_code == 202:
        assert time.monotonic() < deadline, "export did not finish"
        time.sleep(0.2)
    manifest = status.json()
    assert status.status_code == 200 and manifest["requiresAccessToken"] is True
    file_url = manifest["output"][0]["url"]
    assert server.http.get(file_url).status_code == 401
    assert server.http.get(file_url, headers=bearer("mpd-reader")).status_code == 403
    assert b"auth-cud" in server.http.get(file_url, headers=bearer("cud-writer")).content
    # the job is the client's that started it: to any other token (even one with every scope) it
    # does not exist, and it cannot be cancelled by one
    for other in ("admin", "reader"):
        assert server.http.get(status_url, headers=bearer(other)).status_code == 404
        assert server.http.get(file_url, headers=bearer(other)).status_code == 404
        assert server.http.delete(status_url, headers=bearer(other)).status_code == 404
    assert server.http.get(status_url, headers=bearer("cud-writer")).status_code == 200
    assert server.http.delete(status_url, headers=bearer("cud-writer")).status_code == 202


def test_metadata_is_public_and_its_security_is_valid_r5(server):
    response = server.http.get(f"{server.base_url}/metadata")
    assert response.status_code == 200
    statement = response.json()
    security = statement["rest"][0]["security"]
    assert "bearer tokens" in security["description"] and "service" not in security
    issues = [i for i in validate_resource(statement) if "ValueSet/mimetypes" not in (i.rule or "")]
    assert not has_errors(issues), [i for i in issues if i.severity == "error"][:5]
    assert server.http.get(f"{server.base_url}/.well-known/smart-configuration").status_code != 200


def test_public_reads_leave_writes_protected(start_server, tokens_file):
    server = start_server(AuthConfig(mode="token", tokens_file=tokens_file, public_read=True))
    assert server.get("MedicinalProductDefinition/auth-mpd").status_code == 200
    assert server.get("MedicinalProductDefinition", params={"_id": "auth-mpd"}).status_code == 200
    assert server.get("MedicinalProductDefinition/auth-mpd/_history").status_code == 200
    reads = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": "MedicinalProductDefinition/auth-mpd"}}],
    }
    assert server.post_bundle(reads).status_code == 200
    write = server.http.put(
        f"{server.base_url}/MedicinalProductDefinition/auth-mpd", json=product("auth-mpd"), headers=FHIR_JSON
    )
    assert write.status_code == 401 and "WWW-Authenticate" in write.headers
    assert put(server, product("auth-mpd"), token="mpd-reader").status_code == 403
    assert put(server, product("auth-mpd"), token="admin").status_code == 200
    security = server.http.get(f"{server.base_url}/metadata").json()["rest"][0]["security"]
    assert "public" in security["description"]


def test_cors_preflight_and_exposed_headers(start_server, tokens_file):
    origin = "https://app.example"
    server = start_server(AuthConfig(mode="token", tokens_file=tokens_file, cors_origins=(origin,)))
    preflight = server.http.options(
        f"{server.base_url}/MedicinalProductDefinition/auth-mpd",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 204
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"]
    read = server.get("MedicinalProductDefinition/auth-mpd", headers={"Origin": origin, **bearer("reader")})
    assert read.headers["Access-Control-Allow-Origin"] == origin
    assert {"ETag", "Location", "Content-Location"} <= set(
        read.headers["Access-Control-Expose-Headers"].split(", ")
    )
    other = server.get(
        "MedicinalProductDefinition/auth-mpd", headers={"Origin": "https://evil.example", **bearer("reader")}
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    assert server.http.get(f"{server.base_url}/metadata").json()["rest"][0]["security"]["cors"] is True
