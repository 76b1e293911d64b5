"""delete over both stores: a tombstone version, idempotent, 204 for what never existed, If-Match."""

from __future__ import annotations

from interaction_stores import failure, organization

from fhir_service.interactions.create import create
from fhir_service.interactions.delete import delete
from fhir_service.interactions.history import history
from fhir_service.interactions.read import read, vread
from fhir_service.stored import new_id


def _created(store):
    return create(store, "Organization", organization(), access=None).stored


def test_delete_appends_a_deleted_version(store):
    created = _created(store)
    result = delete(store, "Organization", created.id)
    assert result.status == 204
    assert (result.stored.version_id, result.stored.deleted, result.stored.content) == (2, True, None)
    assert result.stored.method == "DELETE"
    assert result.outcome["issue"][0]["code"] == "informational"
    assert failure(read, store, "Organization", created.id).status == 410
    assert vread(store, "Organization", created.id, "1").stored.content == created.content


def test_deleting_again_adds_no_version(store):
    created = _created(store)
    first = delete(store, "Organization", created.id).stored
    again = delete(store, "Organization", created.id)
    assert again.status == 204
    assert (again.stored.version_id, again.stored.last_updated) == (2, first.last_updated)
    page = history(store, [], "http://x/fhir", "Organization", created.id).body
    assert page["total"] == 2


def test_deleting_what_never_existed_is_204_and_stores_nothing(store):
    rid = new_id()
    result = delete(store, "Organization", rid)
    assert (result.status, result.stored) == (204, None)
    assert result.outcome["issue"][0]["code"] == "not-found"
    assert failure(read, store, "Organization", rid).status == 404


def test_if_match_must_name_the_current_version(store):
    created = _created(store)
    assert failure(delete, store, "Organization", created.id, if_match="2").status == 412
    assert read(store, "Organization", created.id).status == 200
    assert delete(store, "Organization", created.id, if_match="1").status == 204
    assert failure(delete, store, "Organization", created.id, if_match="2").status == 412  # gone
    assert failure(delete, store, "Organization", new_id(), if_match="1").status == 412
