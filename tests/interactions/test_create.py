"""create over both stores: a server id, version 1, 201 with Location; refused input stores nothing."""

from __future__ import annotations

from interaction_stores import failure, organization

from fhir_service.interactions.create import create
from fhir_service.interactions.history import history
from fhir_service.interactions.read import read


def test_create_assigns_the_id_and_version_1(store):
    result = create(store, "Organization", organization("mine"), access=None)
    stored = result.stored
    assert (result.status, result.location) == (201, True)
    assert stored.id != "mine"  # the server assigns the id
    assert (stored.version_id, stored.method, stored.deleted) == (1, "POST", False)
    resource = stored.resource()
    assert resource["id"] == stored.id
    assert resource["meta"]["versionId"] == "1"
    assert list(resource)[:3] == ["resourceType", "id", "meta"]
    assert read(store, "Organization", stored.id).body.content == stored.content


def test_meta_other_than_version_and_last_updated_is_kept(store):
    tag = {"system": "http://example.org/tags", "code": "ward"}
    sent = organization(meta={"versionId": "7", "lastUpdated": "2001-01-01T00:00:00Z", "tag": [tag]})
    stored = create(store, "Organization", sent, access=None).stored
    meta = stored.resource()["meta"]
    assert meta["versionId"] == "1" and meta["lastUpdated"] != "2001-01-01T00:00:00Z"
    assert meta["tag"] == [tag]


def test_a_resource_of_another_type_is_400_and_an_invalid_one_422_and_nothing_is_stored(fresh_store):
    assert failure(create, fresh_store, "Patient", organization(), access=None).status == 400
    invalid = organization(active="yes")
    assert failure(create, fresh_store, "Organization", invalid, access=None).status == 422
    assert history(fresh_store, [], "http://x/fhir").body["total"] == 0
