"""Searchset pages answered again (rest/kept_searches.py) only while no write can have committed since
they were made: a write through the app, through another Repository on this host (PostgreSQL: at
once; SQLite: any commit) or from elsewhere (PostgreSQL: once notified) is in the next search."""

from __future__ import annotations

import time

import pytest

from fhir_service.rest import fast_read
from fhir_service.rest.app import create_app
from fhir_service.rest.kept_searches import MAX_PAGE_BYTES, KeptSearches
from fhir_service.search.maintenance import rebuild_index
from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.repository import Repository

WAIT = 20.0  # seconds a notification may take on a busy machine before a test fails
SEARCH = "/fhir/Organization?name=kept&_count=10"


@pytest.fixture()
def app(database_url_factory):
    url = database_url_factory()
    migrate.upgrade(url)
    application = create_app({"DATABASE_URL": url, "ACCESS_LOG": False, "BASE_URL": "http://test/fhir"})
    repo = application.extensions["fhir_repository"]
    deadline = time.monotonic() + WAIT
    while repo.stamp() is None:  # PostgreSQL: until the listener listens (then pages are kept)
        assert time.monotonic() < deadline, "the change listener never listened"
        time.sleep(0.01)
    yield application
    repo.dispose()


@pytest.fixture()
def searches(monkeypatch) -> list:
    """The searches the fast path runs from now on."""
    ran, search = [], fast_read.search_.search

    def counted(*args, **kwargs):
        ran.append(args[1:3])
        return search(*args, **kwargs)

    monkeypatch.setattr(fast_read.search_, "search", counted)
    return ran


def put(client, rid: str, name: str) -> None:
    resource = {"resourceType": "Organization", "id": rid, "name": name}
    assert client.put(f"/fhir/Organization/{rid}", json=resource).status_code in (200, 201)


def ids(response) -> list[str]:
    assert response.status_code == 200
    entries = response.get_json().get("entry", [])
    return sorted(e["resource"]["id"] for e in entries if e["search"]["mode"] == "match")


def elsewhere(app) -> Repository:
    """A Repository as on another host: no shared value, its writes reach us by NOTIFY only."""
    other = Repository(make_engine(app.config["DATABASE_URL"]))
    other._freshness.stop()
    other._freshness = None
    return other


def kept_page(client, searches: list, path: str):
    """The page once it is answered without searching: at once on SQLite; on PostgreSQL once the
    notification of the last write has arrived (it moves the stamp a page was kept under)."""
    deadline = time.monotonic() + WAIT
    while True:
        first = client.get(path)
        ran = len(searches)
        again = client.get(path)
        if len(searches) == ran:
            assert again.data == first.data  # the same page, Bundle.id included
            return again
        assert time.monotonic() < deadline, "a repeated search was never answered from the kept page"
        time.sleep(0.01)


def test_a_repeated_search_is_answered_again_without_searching(app, searches):
    client = app.test_client()
    put(client, "k1", "kept one")
    assert ids(kept_page(client, searches, SEARCH)) == ["k1"]
    assert searches  # the fast path searched (the count above is not vacuous)


def test_with_no_bytes_for_kept_pages_every_search_runs(database_url_factory, searches):
    url = database_url_factory()
    migrate.upgrade(url)
    application = create_app({"DATABASE_URL": url, "ACCESS_LOG": False, "KEPT_SEARCH_BYTES": 0})
    try:
        client = application.test_client()
        put(client, "k0", "kept none")
        for _ in range(3):
            assert ids(client.get(SEARCH)) == ["k0"]
        assert len(searches) == 3
    finally:
        application.extensions["fhir_repository"].dispose()


def test_a_write_through_the_app_is_in_the_next_search(app, searches):
    client = app.test_client()
    put(client, "k2", "kept two")
    assert ids(client.get(SEARCH)) == ["k2"]
    put(client, "k3", "kept three")
    assert ids(client.get(SEARCH)) == ["k2", "k3"]
    put(client, "k2", "renamed")  # no longer a match
    assert ids(client.get(SEARCH)) == ["k3"]
    assert len(searches) == 3


def test_a_write_through_another_repository_on_this_host_is_in_the_next_search(app):
    client = app.test_client()
    put(client, "k4", "kept four")
    assert ids(client.get(SEARCH)) == ["k4"]
    other = Repository(make_engine(app.config["DATABASE_URL"]))  # another worker process's, say
    try:
        with other.unit_of_work() as uow:
            uow.update({"resourceType": "Organization", "id": "k5", "name": "kept five"})
        assert ids(client.get(SEARCH)) == ["k4", "k5"]  # at once: not once notified
    finally:
        other.dispose()


def test_a_write_from_elsewhere_is_in_a_search_once_notified(app):
    repo = app.extensions["fhir_repository"]
    if repo.sqlite:
        pytest.skip("PostgreSQL's notification (on SQLite every commit moves the stamp)")
    client = app.test_client()
    put(client, "k6", "kept six")
    assert ids(client.get(SEARCH)) == ["k6"]
    other = elsewhere(app)
    try:
        with other.unit_of_work() as uow:
            uow.update({"resourceType": "Organization", "id": "k7", "name": "kept seven"})
        deadline = time.monotonic() + WAIT
        while ids(client.get(SEARCH)) != ["k6", "k7"]:
            assert time.monotonic() < deadline, "the write from elsewhere never reached the search"
            time.sleep(0.01)
    finally:
        other.dispose()


def test_a_reindex_from_elsewhere_reaches_kept_pages(app, searches):
    """A re-index writes index rows only: no resource trigger fires, so it announces itself."""
    repo = app.extensions["fhir_repository"]
    if repo.sqlite:
        pytest.skip("PostgreSQL's notification (on SQLite every commit moves the stamp)")
    client = app.test_client()
    put(client, "k10", "kept ten")
    kept_page(client, searches, SEARCH)
    other = elsewhere(app)  # a `fhir-service reindex` on another host
    try:
        rebuild_index(other, ("Organization",))
        ran = len(searches)
        deadline = time.monotonic() + WAIT
        while len(searches) == ran:
            assert ids(client.get(SEARCH)) == ["k10"]
            assert time.monotonic() < deadline, "the kept page outlived the re-index"
            time.sleep(0.01)
    finally:
        other.dispose()


def test_prefer_handling_and_the_query_as_sent_are_part_of_the_key(app, searches):
    client = app.test_client()
    put(client, "k8", "kept eight")
    lenient = SEARCH + "&nonsense=1"
    assert ids(kept_page(client, searches, lenient)) == ["k8"]
    ran = len(searches)
    assert client.get(lenient, headers={"Prefer": "handling=strict"}).status_code == 400
    assert len(searches) > ran  # the strict search ran: not the lenient page
    ran = len(searches)
    assert ids(client.get(lenient)) == ["k8"] and len(searches) == ran
    assert ids(client.get(SEARCH + "&nonsense=2")) == ["k8"] and len(searches) == ran + 1


def test_a_page_is_kept_only_under_the_stamp_it_was_made_under():
    kept = KeptSearches()
    kept.keep(("Organization", "name=a"), "s1", b"page")
    assert kept.get(("Organization", "name=a"), "s1") == b"page"
    assert kept.get(("Organization", "name=a"), "s2") is None  # a write since: search again
    assert kept.get(("Organization", "name=a"), None) is None  # cannot tell: search again
    kept.keep(("Organization", "name=b"), None, b"page")
    assert kept.get(("Organization", "name=b"), None) is None
    kept.keep(("Organization", "name=c"), "s1", b"x" * (MAX_PAGE_BYTES + 1))
    assert kept.get(("Organization", "name=c"), "s1") is None


def test_kept_pages_are_bounded_and_the_oldest_go_first():
    kept = KeptSearches(max_pages=3, max_bytes=10)
    for n in range(4):
        kept.keep(("T", str(n)), "s", b"ab")
    assert [kept.get(("T", str(n)), "s") for n in range(4)] == [None, b"ab", b"ab", b"ab"]
    kept.keep(("T", "big"), "s", b"x" * 9)  # 9 + 2 > 10: every older page goes
    assert [kept.get(("T", str(n)), "s") for n in range(4)] == [None, None, None, None]
    assert kept.get(("T", "big"), "s") == b"x" * 9 and kept._bytes == 9
    kept.keep(("T", "big"), "s2", b"y")  # replacing a key counts its bytes once
    assert kept._bytes == 1 and len(kept._kept) == 1
    kept.keep(("T", "huge"), "s", b"z" * 11)  # larger than all kept pages may be: not kept
    assert kept.get(("T", "huge"), "s") is None and kept._bytes == 1
