"""Authorization holds through the R4/R4B views: a version base or the fhirVersion parameter changes
the shape of the answer, never what the token may see."""

from __future__ import annotations

import pytest
from auth_helpers import bearer, contraindication, product, put

from fhir_service.auth.config import AuthConfig

R4_JSON = {"Accept": "application/fhir+json; fhirVersion=4.0"}


@pytest.fixture(scope="module")
def server(start_server, tokens_file):
    server = start_server(AuthConfig(mode="token", tokens_file=tokens_file))
    for resource in (product("view-mpd"), contraindication("view-cud", "view-mpd")):
        assert put(server, resource).status_code in (200, 201)
    return server


@pytest.mark.parametrize("base", ["R4", "R4B"])
def test_a_version_base_needs_the_same_scopes(server, base):
    assert server.get(f"{base}/MedicationKnowledge", headers=bearer("cud-writer")).status_code == 403
    assert server.get(base, params={"_id": "view-cud"}, headers=bearer("cud-writer")).status_code == 403
    assert server.get(f"{base}/_history", headers=bearer("cud-writer")).status_code == 403
    assert server.get(f"{base}/MedicationKnowledge").status_code == 401
    read = server.get(
        f"{base}/MedicinalProduct/view-mpd"
        if base == "R4"
        else f"{base}/MedicinalProductDefinition/view-mpd",
        headers=bearer("reader"),
    )
    assert read.status_code == 200  # the test can fail: a permitted read answers


def test_the_fhir_version_parameter_needs_the_same_scopes(server):
    headers = {**R4_JSON, **bearer("cud-writer")}
    assert server.get("MedicinalProductDefinition/view-mpd", headers=headers).status_code == 403
    assert server.get("", params={"_id": "view-mpd"}, headers=headers).status_code == 403
    allowed = server.get("MedicinalProduct/view-mpd", headers={**R4_JSON, **bearer("reader")})
    assert allowed.status_code == 200 and allowed.json()["resourceType"] == "MedicinalProduct"
