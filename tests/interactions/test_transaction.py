"""transaction and batch over both stores: a transaction stores all of its entries or none; a batch
entry that fails is undone alone (its savepoint) and reported in its own response."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl, urlencode

import pytest
from interaction_stores import failure, organization

from fhir_service.interactions.history import history
from fhir_service.interactions.read import read
from fhir_service.interactions.transaction import CLEAR_EVERY, process
from fhir_service.interactions.update import update
from fhir_service.stored import format_instant, new_id

BASE = "http://x/fhir"


def _put(rid, **fields) -> dict:
    return {
        "resource": organization(rid, **fields),
        "request": {"method": "PUT", "url": f"Organization/{rid}"},
    }


def _bundle(kind: str, *entries) -> dict:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def _json_patch(rid: str, operations: list, if_match: str | None = None) -> dict:
    request = {"method": "PATCH", "url": f"Organization/{rid}"}
    if if_match is not None:
        request["ifMatch"] = if_match
    data = base64.b64encode(json.dumps(operations).encode()).decode()
    binary = {"resourceType": "Binary", "contentType": "application/json-patch+json", "data": data}
    return {"resource": binary, "request": request}


def _statuses(response: dict) -> list[str]:
    return [e["response"]["status"] for e in response["entry"]]


def test_a_transaction_stores_every_entry_and_rewrites_its_references(store):
    existing, replaced, gone = new_id(), new_id(), new_id()
    for rid in (existing, replaced, gone):
        update(store, "Organization", rid, organization(rid))
    created = {
        "fullUrl": "urn:uuid:6f0c7c5e-3b9a-4a8e-9a43-2a4f5d7c1e01",
        "resource": organization(partOf={"reference": f"Organization/{existing}"}),
        "request": {"method": "POST", "url": "Organization"},
    }
    child = _put(replaced, partOf={"reference": created["fullUrl"]})
    bundle = _bundle(
        "transaction",
        created,
        child,
        _delete(gone),
        _json_patch(existing, [{"op": "add", "path": "/alias", "value": ["p"]}], 'W/"1"'),
        {"request": {"method": "GET", "url": f"Organization/{existing}"}},
    )
    _, _, response = process(store, bundle, BASE, access=None)
    assert response["type"] == "transaction-response"
    assert _statuses(response) == ["201 Created", "200 OK", "204 No Content", "200 OK", "200 OK"]
    new = response["entry"][0]["response"]["location"].split("/")[1]
    assert read(store, "Organization", replaced).body.resource()["partOf"] == {
        "reference": f"Organization/{new}"
    }
    assert failure(read, store, "Organization", gone).status == 410
    assert read(store, "Organization", existing).stored.version_id == 2
    assert response["entry"][4]["resource"]["alias"] == ["p"]  # GETs run last: they see the patch


def _delete(rid: str) -> dict:
    return {"request": {"method": "DELETE", "url": f"Organization/{rid}"}}


def _put_if_match(rid: str, version: str) -> dict:
    return {
        **_put(rid, alias=["late"]),
        "request": {"method": "PUT", "url": f"Organization/{rid}", "ifMatch": version},
    }


@pytest.mark.parametrize(
    ("failing", "status"),
    [
        (lambda rid: _put(rid, active="yes"), 422),
        (lambda rid: _put_if_match(rid, '"9"'), 412),
        (lambda rid: _json_patch(rid, [{"op": "remove", "path": "/telecom"}]), 422),
        (lambda rid: {"request": {"method": "GET", "url": f"Organization/{new_id()}"}}, 404),
    ],
    ids=["invalid", "if-match", "patch", "read"],
)
def test_a_transaction_with_a_failing_entry_stores_nothing(store, failing, status):
    deleted, target, new = new_id(), new_id(), new_id()
    for rid in (deleted, target):
        update(store, "Organization", rid, organization(rid))
    bundle = _bundle("transaction", _put(new), _delete(deleted), failing(target))
    error = failure(process, store, bundle, BASE, access=None)
    assert error.status == status
    assert error.outcome["issue"][0]["diagnostics"].startswith("Bundle.entry[2]")
    assert failure(read, store, "Organization", new).status == 404
    assert read(store, "Organization", deleted).stored.version_id == 1
    assert read(store, "Organization", target).stored.version_id == 1


def test_a_batch_undoes_a_failing_entry_alone(store):
    ok, refused, patched = new_id(), new_id(), new_id()
    update(store, "Organization", refused, organization(refused))
    update(store, "Organization", patched, organization(patched))
    bundle = _bundle(
        "batch",
        _put(ok),
        {**_put(refused, alias=["x"]), "request": {**_put(refused)["request"], "ifNoneMatch": "*"}},
        _json_patch(patched, [{"op": "add", "path": "/active", "value": "yes"}]),
        _json_patch(patched, [{"op": "add", "path": "/alias", "value": ["y"]}], 'W/"1"'),
        {"request": {"method": "GET", "url": f"Organization/{new_id()}"}},
        {"request": {"method": "BREW", "url": "Organization"}},
    )
    _, _, response = process(store, bundle, BASE, access=None)
    assert response["type"] == "batch-response"
    assert _statuses(response) == [
        "201 Created",
        "412 Precondition Failed",
        "422 Unprocessable Entity",
        "200 OK",
        "404 Not Found",
        "400 Bad Request",
    ]
    assert response["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert read(store, "Organization", ok).stored.version_id == 1
    assert read(store, "Organization", refused).stored.version_id == 1
    assert read(store, "Organization", patched).body.resource()["alias"] == ["y"]


def test_a_transaction_whose_entries_overlap_is_400_and_stores_nothing(store):
    rid = new_id()
    bundle = _bundle("transaction", _put(rid), _put(rid, alias=["twice"]))
    assert failure(process, store, bundle, BASE, access=None).status == 400
    assert failure(read, store, "Organization", rid).status == 404


@pytest.mark.parametrize("kind", ["batch", "transaction"])
@pytest.mark.parametrize("level", ["instance", "type", "system"])
def test_a_history_entry_answers_the_history(fresh_store, level, kind):
    rid = new_id()
    update(fresh_store, "Organization", rid, organization(rid))
    update(fresh_store, "Organization", rid, organization(rid, alias=["a"]))
    url = {"instance": f"Organization/{rid}/_history", "type": "Organization/_history", "system": "_history"}
    bundle = _bundle(kind, {"request": {"method": "GET", "url": f"{BASE}/{url[level]}"}})
    _, _, response = process(fresh_store, bundle, BASE, access=None)
    assert response["entry"][0]["response"] == {"status": "200 OK"}  # as HAPI: no location, no etag
    answered = response["entry"][0]["resource"]
    assert (answered["resourceType"], answered["type"], answered["total"]) == ("Bundle", "history", 2)
    assert [e["response"]["etag"] for e in answered["entry"]] == ['W/"2"', 'W/"1"']
    assert answered["link"] == [{"relation": "self", "url": f"{BASE}/{url[level]}"}]


def test_a_history_entry_pages_with_since_and_count_as_the_top_level_history(fresh_store):
    rid = new_id()
    for alias in ("a", "b", "c"):
        update(fresh_store, "Organization", rid, organization(rid, alias=[alias]))
    second = format_instant(fresh_store.vread("Organization", rid, 2).last_updated)
    queries = [[("_count", "2")], [("_since", second)]]
    urls = [f"Organization/{rid}/_history?{urlencode(query)}" for query in queries]
    bundle = _bundle("batch", *({"request": {"method": "GET", "url": url}} for url in urls))
    _, _, response = process(fresh_store, bundle, BASE, access=None)
    paged, recent = (e["resource"] for e in response["entry"])
    assert paged == history(fresh_store, queries[0], BASE, "Organization", rid).body
    assert recent == history(fresh_store, queries[1], BASE, "Organization", rid).body
    assert paged["total"] == 3 and [e["response"]["etag"] for e in paged["entry"]] == ['W/"3"', 'W/"2"']
    next_url = next(link["url"] for link in paged["link"] if link["relation"] == "next")
    assert next_url.startswith(f"{BASE}/Organization/{rid}/_history?") and "_cursor=" in next_url
    page_two = history(fresh_store, parse_qsl(next_url.partition("?")[2]), BASE, "Organization", rid)
    assert [e["response"]["etag"] for e in page_two.body["entry"]] == ['W/"1"']
    assert (
        recent["total"] in (2, 3) and recent["entry"][0]["response"]["etag"] == 'W/"3"'
    )  # v1 too if written in the same ms


def test_a_transaction_history_entry_sees_the_transaction_s_writes_and_an_unknown_id_fails_it(store):
    rid = new_id()
    update(store, "Organization", rid, organization(rid))
    history_entry = {"request": {"method": "GET", "url": f"Organization/{rid}/_history"}}
    _, _, response = process(
        store, _bundle("transaction", history_entry, _put(rid, alias=["t"])), BASE, access=None
    )
    assert response["entry"][0]["resource"]["total"] == 2  # GETs run last
    unknown = {"request": {"method": "GET", "url": f"Organization/{new_id()}/_history"}}
    assert (
        failure(process, store, _bundle("transaction", _put(new_id()), unknown), BASE, access=None).status
        == 404
    )
    _, _, batch = process(store, _bundle("batch", unknown), BASE, access=None)
    assert _statuses(batch) == ["404 Not Found"]


@pytest.mark.parametrize(
    "url",
    [
        "Organization/_history/x",
        "_history/Organization",
        "Organization/_x/_history",
        "Organization/x/y",
        "Organization/_search",
        "Organization/_x",
        "Organization/$everything",
        "Organization/x/$validate",
        "$export",
    ],
)
def test_a_url_that_names_no_read_interaction_is_400(store, url):
    _, _, response = process(
        store, _bundle("batch", {"request": {"method": "GET", "url": url}}), BASE, access=None
    )
    assert _statuses(response) == ["400 Bad Request"]
    code = response["entry"][0]["response"]["outcome"]["issue"][0]["code"]
    assert code == ("not-supported" if "$" in url else "invalid")  # not a search of Organization


@pytest.mark.parametrize("prefer", [None, "return=representation"])
def test_a_head_entry_answers_the_get_s_status_and_headers_without_a_body(store, prefer):
    rid = new_id()
    update(store, "Organization", rid, organization(rid))
    urls = [f"Organization/{rid}", f"Organization/{rid}/_history/1", f"Organization/{rid}/_history"]
    bundle = _bundle("batch", *({"request": {"method": "HEAD", "url": url}} for url in urls))
    _, _, response = process(store, bundle, BASE, prefer, access=None)
    assert _statuses(response) == ["200 OK"] * 3
    assert not any("resource" in e for e in response["entry"])
    assert [e["response"].get("etag") for e in response["entry"]] == ['W/"1"', 'W/"1"', None]


def test_read_entries_have_no_location_and_write_entries_have_one(store):
    rid, patched = new_id(), new_id()
    update(store, "Organization", rid, organization(rid))
    update(store, "Organization", patched, organization(patched))
    bundle = _bundle(
        "batch",
        {"request": {"method": "GET", "url": f"Organization/{rid}/_history/1"}},
        {"request": {"method": "GET", "url": f"Organization/{rid}"}},
        _put(rid, alias=["u"]),
        _json_patch(patched, [{"op": "add", "path": "/alias", "value": ["p"]}]),
    )
    _, _, response = process(store, bundle, BASE, access=None)
    responses = [e["response"] for e in response["entry"]]
    assert [r["status"] for r in responses] == ["200 OK"] * 4
    assert "location" not in responses[0] and "location" not in responses[1]
    assert responses[0]["etag"] == 'W/"1"' and response["entry"][0]["resource"]["id"] == rid
    assert responses[2]["location"] == f"Organization/{rid}/_history/2"  # an update answers 200 with one
    assert responses[3]["location"] == f"Organization/{patched}/_history/2"


@pytest.mark.parametrize("kind", ["batch", "transaction"])
def test_a_long_bundle_sees_its_own_writes_after_the_unit_of_work_releases_memory(store, kind):
    """Every CLEAR_EVERY entries the unit of work forgets what it loaded; later entries still see
    what the earlier ones wrote."""
    ids = [new_id() for _ in range(CLEAR_EVERY + 2)]
    last = {"request": {"method": "GET", "url": f"Organization/{ids[0]}"}}  # GETs run last
    _, _, response = process(store, _bundle(kind, *(_put(rid) for rid in ids), last), BASE, access=None)
    assert _statuses(response) == ["201 Created"] * len(ids) + ["200 OK"]
    assert response["entry"][-1]["resource"]["id"] == ids[0]
    assert read(store, "Organization", ids[-1]).stored.version_id == 1
