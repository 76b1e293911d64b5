"""$validate over both stores: the stored version is what an instance-level validation reads."""

from __future__ import annotations

from interaction_stores import failure, organization

from fhir_service.interactions.create import create
from fhir_service.interactions.delete import delete
from fhir_service.interactions.validate import validate
from fhir_service.stored import new_id


def _codes(result) -> list[str]:
    return [issue["severity"] for issue in result.body["issue"]]


def test_instance_validation_reads_the_stored_resource(store):
    rid = create(store, "Organization", organization(), access=None).stored.id
    result = validate(store, "Organization", None, rid)
    assert result.status == 200 and "error" not in _codes(result)
    assert validate(store, "Organization", None, rid, mode="delete").status == 200
    delete(store, "Organization", rid)
    assert failure(validate, store, "Organization", None, rid).status == 404
    assert failure(validate, store, "Organization", None, new_id(), mode="delete").status == 404


def test_a_body_with_errors_is_answered_200_with_its_errors(store):
    result = validate(store, "Organization", organization(active="yes"))
    assert result.status == 200 and "error" in _codes(result)
