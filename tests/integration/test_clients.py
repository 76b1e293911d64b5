"""The service through two real FHIR clients, fhirpy and fhirclient, over HTTP."""

from __future__ import annotations

import pytest
from fhirclient import client as smart_client
from fhirclient.models.organization import Organization
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound

from fhir_service.formats import parse_xml, to_xml


@pytest.fixture()
def fhirpy_client(base_url):
    return SyncFHIRClient(base_url)


def test_fhirpy_create_read_update_vread_history_delete(fhirpy_client, http):
    substance = fhirpy_client.resource(
        "Substance", instance=True, code={"concept": {"text": "tolperisone hydrochloride"}}
    )
    substance.save()
    assert substance.id and substance["meta"]["versionId"] == "1"

    read = fhirpy_client.reference("Substance", substance.id).to_resource()
    assert read["code"]["concept"]["text"] == "tolperisone hydrochloride"

    # update guarded by If-Match (fhirpy has no If-Match helper: its request layer takes headers)
    read["status"] = "active"
    updated = fhirpy_client._do_request(
        "put", f"Substance/{substance.id}", data=read.serialize(), extra_headers={"If-Match": 'W/"1"'}
    )
    assert updated["meta"]["versionId"] == "2" and updated["status"] == "active"
    stale = http.put(
        f"Substance/{substance.id}",
        json=read.serialize(),
        headers={"If-Match": 'W/"1"', "Content-Type": "application/fhir+json"},
    )
    assert stale.status_code == 412

    first = fhirpy_client.execute(f"Substance/{substance.id}/_history/1", method="get")
    assert "status" not in first and first["meta"]["versionId"] == "1"
    history = fhirpy_client.execute(f"Substance/{substance.id}/_history", method="get")
    assert history["type"] == "history" and history["total"] == 2
    assert [e["response"]["etag"] for e in history["entry"]] == ['W/"2"', 'W/"1"']

    fhirpy_client.delete("Substance", substance.id)
    gone = http.get(f"Substance/{substance.id}")
    assert gone.status_code == 410 and gone.json()["resourceType"] == "OperationOutcome"
    with pytest.raises(ResourceNotFound):
        fhirpy_client.reference("Substance", substance.id).to_resource()
    methods = [e["request"]["method"] for e in http.get(f"Substance/{substance.id}/_history").json()["entry"]]
    assert methods == ["DELETE", "PUT", "POST"]


def test_fhirpy_refresh_uses_if_none_match(fhirpy_client):
    group = fhirpy_client.resource("Group", type="person", membership="enumerated", name="pregnancy")
    group.save()
    group.refresh()  # sends If-None-Match with the version it has → 304, resource unchanged
    assert group["name"] == "pregnancy"


def test_fhirpy_conditional_create_by_id(fhirpy_client, http):
    """If-None-Exist with _id: the existing resource comes back (200) instead of a second one."""
    org = fhirpy_client.resource("Organization", name="Formulary Board")
    org.save()
    before = http.get("Organization/_history").json()["total"]
    again = http.post(
        "Organization",
        json={"resourceType": "Organization", "name": "Formulary Board"},
        headers={"Content-Type": "application/fhir+json", "If-None-Exist": f"_id={org.id}"},
    )
    assert again.status_code == 200 and again.json()["id"] == org.id
    assert http.get("Organization/_history").json()["total"] == before


def test_fhirpy_conditional_create_by_identifier(fhirpy_client, http):
    """fhirpy's create(**criteria) sends the criteria as the query of the POST."""
    identifier = [{"system": "urn:example:formulary", "value": "F-17"}]
    first = fhirpy_client.resource("Organization", identifier=identifier, name="First").create(
        identifier="urn:example:formulary|F-17"
    )
    second = fhirpy_client.resource("Organization", identifier=identifier, name="Second").create(
        identifier="urn:example:formulary|F-17"
    )
    assert second.id == first.id and second["name"] == "First"
    assert http.get(f"Organization/{first.id}/_history").json()["total"] == 1


def test_fhirpy_is_valid_uses_type_level_validate(fhirpy_client):
    good = fhirpy_client.resource("Organization", name="Pharmacy")
    assert good.is_valid()
    bad = fhirpy_client.resource("Organization", active="maybe")
    assert not bad.is_valid()


def test_json_patch(fhirpy_client, http):
    org = fhirpy_client.resource("Organization", name="Old name", active=True)
    org.save()
    patch = [{"op": "replace", "path": "/name", "value": "New name"}, {"op": "remove", "path": "/active"}]
    response = http.patch(
        f"Organization/{org.id}",
        json=patch,
        headers={"Content-Type": "application/json-patch+json", "If-Match": 'W/"1"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "New name" and "active" not in body and body["meta"]["versionId"] == "2"
    assert response.headers["ETag"] == 'W/"2"'
    assert fhirpy_client.reference("Organization", org.id).to_resource()["name"] == "New name"


def test_fhirpath_patch(http):
    created = http.post(
        "Organization",
        json={"resourceType": "Organization", "name": "A", "alias": ["x"]},
        headers={"Content-Type": "application/fhir+json"},
    ).json()
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "replace"},
                    {"name": "path", "valueString": "Organization.name"},
                    {"name": "value", "valueString": "B"},
                ],
            },
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "add"},
                    {"name": "path", "valueString": "Organization"},
                    {"name": "name", "valueString": "alias"},
                    {"name": "value", "valueString": "y"},
                ],
            },
        ],
    }
    response = http.patch(
        f"Organization/{created['id']}", json=parameters, headers={"Content-Type": "application/fhir+json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "B" and response.json()["alias"] == ["x", "y"]


def test_xml_round_trip(http):
    organization = {"resourceType": "Organization", "name": "Zürich Apotheke µ ≥ 2", "active": True}
    created = http.post(
        "Organization",
        data=to_xml(organization),
        headers={"Content-Type": "application/fhir+xml", "Accept": "application/fhir+xml"},
    )
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"].startswith("application/fhir+xml")
    as_dict = parse_xml(created.content)
    assert as_dict["name"] == organization["name"]
    read = http.get(f"Organization/{as_dict['id']}", params={"_format": "xml"})
    assert parse_xml(read.content)["name"] == organization["name"]
    as_json = http.get(f"Organization/{as_dict['id']}").json()
    assert as_json["name"] == organization["name"] and as_json["active"] is True


def test_fhirclient_crud_and_validate(base_url):
    smart = smart_client.FHIRClient(settings={"app_id": "fhir-service-tests", "api_base": base_url + "/"})
    assert smart.server.capabilityStatement.fhirVersion == "5.0.0"
    org = Organization({"name": "Hospital pharmacy", "active": True})
    created = org.create(smart.server)
    org_id = created["id"]
    read = Organization.read(org_id, smart.server)
    assert read.name == "Hospital pharmacy" and read.meta.versionId == "1"
    read.name = "Central pharmacy"
    read.update(smart.server)
    assert Organization.read(org_id, smart.server).meta.versionId == "2"
    outcome = smart.server.post_json(
        "Organization/$validate", {"resourceType": "Organization", "name": "x"}
    ).json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert not [i for i in outcome["issue"] if i["severity"] in ("error", "fatal")]
    instance = smart.server.request_json(f"Organization/{org_id}/$validate")
    assert instance["resourceType"] == "OperationOutcome"
    read.delete(smart.server)
    with pytest.raises(Exception) as raised:
        Organization.read(org_id, smart.server)
    assert "410" in str(raised.value)
