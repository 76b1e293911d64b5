"""The interactions that search: conditional create, update, delete and patch, and the scope check of
their searches (`access=`). They run on the SQL store: the in-memory store has no search index, and
says so instead of matching nothing."""

from __future__ import annotations

import inspect

import pytest
from interaction_stores import failure, organization

from fhir_service.auth.policy import GrantAccess
from fhir_service.auth.scopes import parse_grant
from fhir_service.interactions import create as create_
from fhir_service.interactions import delete as delete_
from fhir_service.interactions import patch as patch_
from fhir_service.interactions import search as search_
from fhir_service.interactions import transaction
from fhir_service.interactions import update as update_
from fhir_service.interactions.create import create
from fhir_service.interactions.delete import conditional_delete
from fhir_service.interactions.patch import conditional_patch
from fhir_service.interactions.read import read
from fhir_service.interactions.update import conditional_update
from fhir_service.store import memory
from fhir_service.stored import new_id

BASE = "http://x/fhir"
SYSTEM = "http://example.org/wards"
NO_SEARCH = GrantAccess(parse_grant("system/Organization.cruds system/Location.cud"))
WRITE_ONLY = GrantAccess(parse_grant("system/Organization.cud"))


def _ward(value: str, **fields) -> dict:
    return organization(identifier=[{"system": SYSTEM, "value": value}], **fields)


def _criteria(value: str) -> str:
    return f"identifier={SYSTEM}|{value}"


@pytest.mark.parametrize(
    "interaction",
    [
        create_.create,
        update_.conditional_update,
        delete_.conditional_delete,
        patch_.conditional_patch,
        search_.search,
        transaction.process,
        transaction.run_batch,
        transaction.run_transaction,
    ],
)
def test_access_is_a_required_keyword(interaction):
    """Fail-closed: an interaction that searches cannot be called without saying what may be searched."""
    parameter = inspect.signature(interaction).parameters["access"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert parameter.default is inspect.Parameter.empty


def test_conditional_create_matches_or_creates(sql_store):
    value = new_id()
    first = create(sql_store, "Organization", _ward(value), _criteria(value), access=None)
    again = create(sql_store, "Organization", _ward(value, alias=["x"]), _criteria(value), access=None)
    assert (first.status, again.status) == (201, 200)
    assert again.stored.id == first.stored.id and again.stored.version_id == 1


def test_conditional_create_with_several_matches_is_412(sql_store):
    value = new_id()
    for _ in range(2):
        create(sql_store, "Organization", _ward(value), access=None)
    error = failure(create, sql_store, "Organization", _ward(value), _criteria(value), access=None)
    assert error.status == 412


def test_conditional_update_creates_updates_and_never_overwrites_what_it_did_not_match(sql_store):
    value = new_id()
    created = conditional_update(sql_store, "Organization", _criteria(value), _ward(value), access=None)
    assert created.status == 201
    rid = created.stored.id
    updated = conditional_update(
        sql_store, "Organization", _criteria(value), _ward(value, alias=["a"]), access=None
    )
    assert (updated.status, updated.stored.id, updated.stored.version_id) == (200, rid, 2)
    other = {**_ward(new_id()), "id": rid}
    error = failure(conditional_update, sql_store, "Organization", _criteria(new_id()), other, access=None)
    assert error.status == 409
    assert read(sql_store, "Organization", rid).stored.version_id == 2


def test_conditional_delete_and_patch_act_on_the_one_match(sql_store):
    value = new_id()
    rid = create(sql_store, "Organization", _ward(value), access=None).stored.id
    operations = [{"op": "add", "path": "/alias", "value": ["p"]}]
    patched = conditional_patch(
        sql_store, "Organization", _criteria(value), operations, "json-patch", access=None
    )
    assert (patched.stored.id, patched.stored.version_id) == (rid, 2)
    deleted = conditional_delete(sql_store, "Organization", _criteria(value), access=None)
    assert (deleted.status, deleted.stored.id, deleted.stored.deleted) == (204, rid, True)
    assert conditional_delete(sql_store, "Organization", _criteria(value), access=None).stored is None
    error = failure(
        conditional_patch, sql_store, "Organization", _criteria(value), operations, "json-patch", access=None
    )
    assert error.status == 404


def test_a_search_the_grant_does_not_allow_is_403_and_stores_nothing(sql_store):
    value = new_id()
    error = failure(create, sql_store, "Organization", _ward(value), _criteria(value), access=WRITE_ONLY)
    assert error.status == 403
    assert error.outcome["issue"][0]["code"] == "forbidden"
    assert create(sql_store, "Organization", _ward(value), _criteria(value), access=NO_SEARCH).status == 201
    gone = failure(conditional_delete, sql_store, "Organization", _criteria(value), access=WRITE_ONLY)
    assert gone.status == 403
    assert failure(search_.search, sql_store, "Location", [], BASE, access=NO_SEARCH).status == 403
    found = search_.search(
        sql_store, "Organization", [("identifier", f"{SYSTEM}|{value}")], BASE, access=NO_SEARCH
    )
    assert len(found.body["entry"]) == 1


def test_a_transaction_searching_beyond_its_grant_is_403_and_a_batch_entry_alone(sql_store):
    value, rid = new_id(), new_id()
    conditional = {
        "resource": _ward(value),
        "request": {"method": "POST", "url": "Organization", "ifNoneExist": _criteria(value)},
    }
    put = {"resource": organization(rid), "request": {"method": "PUT", "url": f"Organization/{rid}"}}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [put, conditional]}
    assert failure(transaction.process, sql_store, bundle, BASE, access=WRITE_ONLY).status == 403
    assert failure(read, sql_store, "Organization", rid).status == 404
    search = {"request": {"method": "GET", "url": "Organization?name=Ward"}}
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [put, search]}
    _, _, response = transaction.process(sql_store, batch, BASE, access=WRITE_ONLY)
    assert [e["response"]["status"] for e in response["entry"]] == ["201 Created", "403 Forbidden"]


def test_the_in_memory_store_refuses_to_search():
    """Matching nothing would create duplicates and delete nothing without a word: it refuses instead."""
    repo = memory.Repository()
    value = new_id()
    with pytest.raises(NotImplementedError):
        create(repo, "Organization", _ward(value), _criteria(value), access=None)
    with pytest.raises(NotImplementedError):
        search_.search(repo, "Organization", [], BASE, access=None)
    with repo.unit_of_work(write=False) as uow:
        assert uow.history().total == 0
