"""update over both stores: create-on-update, versions, the no-op update, If-Match and If-None-Match."""

from __future__ import annotations

import pytest
from interaction_stores import failure, organization

from fhir_service.interactions.delete import delete
from fhir_service.interactions.read import read
from fhir_service.interactions.update import update
from fhir_service.stored import new_id


def test_update_creates_then_updates(store):
    rid = new_id()
    first = update(store, "Organization", rid, organization(rid))
    assert (first.status, first.location, first.stored.version_id) == (201, True, 1)
    assert first.stored.method == "PUT"
    second = update(store, "Organization", rid, organization(rid, alias=["W3"]))
    assert (second.status, second.location, second.stored.version_id) == (200, False, 2)
    assert read(store, "Organization", rid).body.resource()["alias"] == ["W3"]


def test_an_update_that_changes_nothing_keeps_the_version(store):
    rid = new_id()
    first = update(store, "Organization", rid, organization(rid)).stored
    again = update(store, "Organization", rid, organization(rid, meta={"versionId": "1"}))
    assert again.status == 200
    assert (again.stored.version_id, again.stored.content) == (1, first.content)
    assert again.stored.last_updated == first.last_updated


def test_if_match_must_name_the_current_version(store):
    rid = new_id()
    update(store, "Organization", rid, organization(rid))
    changed, again = organization(rid, alias=["a"]), organization(rid, alias=["b"])
    assert failure(update, store, "Organization", rid, changed, if_match="2").status == 412
    assert update(store, "Organization", rid, changed, if_match="1").stored.version_id == 2
    assert failure(update, store, "Organization", rid, again, if_match="1").status == 412
    assert read(store, "Organization", rid).stored.version_id == 2


def test_if_match_on_what_does_not_exist_is_412_and_creates_nothing(store):
    rid = new_id()
    assert failure(update, store, "Organization", rid, organization(rid), if_match="1").status == 412
    assert failure(read, store, "Organization", rid).status == 404


@pytest.mark.parametrize("tags", [frozenset({"*"}), frozenset({"1"}), frozenset({"3", "1"})])
def test_if_none_match_naming_the_current_version_or_star_is_412(store, tags):
    rid = new_id()
    update(store, "Organization", rid, organization(rid))
    changed = organization(rid, alias=["a"])
    assert failure(update, store, "Organization", rid, changed, if_none_match=tags).status == 412
    assert read(store, "Organization", rid).stored.version_id == 1


def test_if_none_match_star_creates_what_does_not_exist_and_another_version_updates(store):
    rid = new_id()
    created = update(store, "Organization", rid, organization(rid), if_none_match=frozenset({"*"}))
    assert created.status == 201
    other = update(store, "Organization", rid, organization(rid, alias=["a"]), if_none_match=frozenset({"7"}))
    assert (other.status, other.stored.version_id) == (200, 2)


def test_update_after_delete_creates_again_and_continues_the_versions(store):
    rid = new_id()
    update(store, "Organization", rid, organization(rid))
    delete(store, "Organization", rid)
    again = update(store, "Organization", rid, organization(rid))
    assert (again.status, again.location, again.stored.version_id) == (201, True, 3)
    assert read(store, "Organization", rid).stored.version_id == 3
    gone = new_id()
    update(store, "Organization", gone, organization(gone))
    delete(store, "Organization", gone)
    star = update(store, "Organization", gone, organization(gone), if_none_match=frozenset({"*"}))
    assert (star.status, star.stored.version_id) == (201, 3)  # If-None-Match: * refuses a live one only
    # If-Match names a live version: version 2 is the deletion
    changed = organization(rid, alias=["x"])
    assert failure(update, store, "Organization", rid, changed, if_match="2").status == 412


def test_the_body_must_agree_with_the_url(store):
    rid = new_id()
    assert failure(update, store, "Organization", rid, organization()).status == 400
    assert failure(update, store, "Organization", rid, organization(new_id())).status == 400
    assert failure(update, store, "Patient", rid, organization(rid)).status == 400
    assert failure(update, store, "Organization", rid, organization(rid, active="yes")).status == 422
    assert failure(read, store, "Organization", rid).status == 404
