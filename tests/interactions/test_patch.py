"""patch over both stores: JSON Patch and FHIRPath Patch make the next version; If-Match; a patch
that fails or makes an invalid resource stores nothing."""

from __future__ import annotations

from interaction_stores import failure, organization

from fhir_service.interactions.create import create
from fhir_service.interactions.delete import delete
from fhir_service.interactions.patch import patch
from fhir_service.interactions.read import read
from fhir_service.stored import new_id

ADD_ALIAS = [{"op": "add", "path": "/alias", "value": ["W34"]}]


def _created(store):
    return create(store, "Organization", organization(), access=None).stored


def test_json_patch_stores_the_next_version(store):
    rid = _created(store).id
    result = patch(store, "Organization", rid, ADD_ALIAS, "json-patch")
    assert (result.status, result.stored.version_id, result.stored.method) == (200, 2, "PATCH")
    assert read(store, "Organization", rid).body.resource()["alias"] == ["W34"]


def test_fhirpath_patch_stores_the_next_version(store):
    rid = _created(store).id
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "replace"},
                    {"name": "path", "valueString": "Organization.name"},
                    {"name": "value", "valueString": "Ward 4 pharmacy"},
                ],
            }
        ],
    }
    result = patch(store, "Organization", rid, body, "fhirpath")
    assert result.stored.version_id == 2
    assert read(store, "Organization", rid).body.resource()["name"] == "Ward 4 pharmacy"


def test_if_match_must_name_the_current_version(store):
    rid = _created(store).id
    assert failure(patch, store, "Organization", rid, ADD_ALIAS, "json-patch", if_match="2").status == 412
    assert patch(store, "Organization", rid, ADD_ALIAS, "json-patch", if_match="1").stored.version_id == 2


def test_patching_what_is_not_there(store):
    assert failure(patch, store, "Organization", new_id(), ADD_ALIAS, "json-patch").status == 404
    rid = _created(store).id
    delete(store, "Organization", rid)
    assert failure(patch, store, "Organization", rid, ADD_ALIAS, "json-patch").status == 404
    assert failure(patch, store, "Organization", rid, ADD_ALIAS, "json-patch", if_match="1").status == 412


def test_a_failing_or_invalidating_patch_stores_nothing(store):
    rid = _created(store).id
    failing = [{"op": "remove", "path": "/telecom"}]
    assert failure(patch, store, "Organization", rid, failing, "json-patch").status == 422
    invalid = [{"op": "add", "path": "/active", "value": "yes"}]
    assert failure(patch, store, "Organization", rid, invalid, "json-patch").status == 422
    renamed = [{"op": "replace", "path": "/id", "value": "other"}]
    assert failure(patch, store, "Organization", rid, renamed, "json-patch").status == 400
    assert failure(patch, store, "Organization", rid, {"op": "add"}, "json-patch").status == 400
    assert read(store, "Organization", rid).stored.version_id == 1
