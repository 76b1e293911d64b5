"""history over both stores: newest first, paged by cursor without gaps or repeats, _since, the
status each version's interaction answered."""

from __future__ import annotations

import pytest
from interaction_stores import failure, organization

from fhir_service.interactions.create import create
from fhir_service.interactions.delete import delete
from fhir_service.interactions.history import history
from fhir_service.interactions.patch import patch
from fhir_service.interactions.update import update
from fhir_service.stored import new_id

BASE = "http://x/fhir"


def _pages(store, params, *where) -> list[dict]:
    """Every page, following the next links' cursors."""
    pages = []
    while True:
        page = history(store, params, BASE, *where).body
        pages.append(page)
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not following:
            return pages
        cursor = following[0].rpartition("_cursor=")[2]
        params = [(k, v) for k, v in params if k != "_cursor"] + [("_cursor", cursor)]


def _versions(pages) -> list[tuple[str, str]]:
    return [
        (entry["fullUrl"].rpartition("/")[2], entry["response"]["etag"])
        for page in pages
        for entry in page.get("entry", [])
    ]


def _writes(store) -> list[tuple[str, str]]:
    """Three versions each of three Organizations, interleaved → (id, ETag) newest first: by
    lastUpdated, then (as versions written in one millisecond tie) the store's order, resource and
    version, which is the order the cursor continues in."""
    ids = [new_id() for _ in range(3)]
    written = []
    for version in range(1, 4):
        for rid in ids:
            written.append(
                update(store, "Organization", rid, organization(rid, alias=[f"v{version}"])).stored
            )
    newest_first = sorted(written, key=lambda s: (s.last_updated, s.pk, s.version_id), reverse=True)
    return [(s.id, f'W/"{s.version_id}"') for s in newest_first]


def test_system_history_pages_through_every_version_newest_first(fresh_store):
    newest_first = _writes(fresh_store)
    pages = _pages(fresh_store, [("_count", "4")])
    assert [len(p.get("entry", [])) for p in pages] == [4, 4, 1]
    assert {p["total"] for p in pages} == {9}
    assert _versions(pages) == newest_first


def test_type_history_holds_only_its_type(fresh_store):
    newest_first = _writes(fresh_store)
    create(fresh_store, "Location", {"resourceType": "Location", "name": "Ward 3"}, access=None)
    pages = _pages(fresh_store, [("_count", "5")], "Organization")
    assert _versions(pages) == newest_first
    assert _pages(fresh_store, [], "Location")[0]["total"] == 1
    assert _pages(fresh_store, [], None)[0]["total"] == 10


def test_instance_history_and_the_status_of_each_interaction(store):
    created = create(store, "Organization", organization(), access=None).stored
    rid = created.id
    update(store, "Organization", rid, organization(rid, alias=["a"]))
    patch(store, "Organization", rid, [{"op": "add", "path": "/alias/-", "value": "b"}], "json-patch")
    delete(store, "Organization", rid)
    update(store, "Organization", rid, organization(rid))  # created again: answered 201
    update(store, "Organization", rid, organization(rid, alias=["c"]))
    page = history(store, [], BASE, "Organization", rid).body
    assert page["total"] == 6
    assert [(e["request"]["method"], e["response"]["status"]) for e in page["entry"]] == [
        ("PUT", "200 OK"),
        ("PUT", "201 Created"),
        ("DELETE", "204 No Content"),
        ("PATCH", "200 OK"),
        ("PUT", "200 OK"),
        ("POST", "201 Created"),
    ]
    assert "resource" not in page["entry"][2]
    assert page["entry"][3]["resource"]["alias"] == ["a", "b"]
    assert [e["response"]["etag"] for e in page["entry"]] == [f'W/"{v}"' for v in range(6, 0, -1)]


def test_a_put_that_created_again_is_201_on_a_page_without_the_deletion(store):
    rid = new_id()
    update(store, "Organization", rid, organization(rid))
    delete(store, "Organization", rid)
    update(store, "Organization", rid, organization(rid))
    pages = _pages(store, [("_count", "1")], "Organization", rid)
    statuses = [e["response"]["status"] for p in pages for e in p["entry"]]
    assert statuses == ["201 Created", "204 No Content", "201 Created"]


def test_since_keeps_the_versions_from_that_instant(store):
    created = create(store, "Organization", organization(), access=None).stored
    rid = created.id
    second = update(store, "Organization", rid, organization(rid, alias=["a"])).stored
    since = second.resource()["meta"]["lastUpdated"]
    page = history(store, [("_since", since)], BASE, "Organization", rid).body
    same_instant = created.last_updated == second.last_updated  # both written in one millisecond
    assert [e["response"]["etag"] for e in page["entry"]] == ['W/"2"'] + ['W/"1"'] * same_instant
    assert page["total"] == 1 + same_instant


def test_count_zero_gives_the_total_only(store):
    created = create(store, "Organization", organization(), access=None).stored
    page = history(store, [("_count", "0")], BASE, "Organization", created.id).body
    assert page["total"] == 1 and "entry" not in page
    assert [link["relation"] for link in page["link"]] == ["self"]


@pytest.mark.parametrize("cursor", ["nonsense", "W10", "WyJ4IiwxLDFd"])
def test_a_cursor_the_store_did_not_make_is_400(store, cursor):
    created = create(store, "Organization", organization(), access=None).stored
    error = failure(history, store, [("_cursor", cursor)], BASE, "Organization", created.id)
    assert error.status == 400


def test_history_of_an_unknown_resource_is_404_and_of_a_deleted_one_is_kept(store):
    assert failure(history, store, [], BASE, "Organization", new_id()).status == 404
    created = create(store, "Organization", organization(), access=None).stored
    delete(store, "Organization", created.id)
    assert history(store, [], BASE, "Organization", created.id).body["total"] == 2
