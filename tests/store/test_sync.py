"""Idempotent ingest at the store level: no new versions for unchanged content, new versions for
exactly the changed resources, deletion of what a source no longer produces."""

from __future__ import annotations

from collections import Counter

import pytest

from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.repository import Repository
from fhir_service.store.sync import canonical, sync_source, sync_sources


@pytest.fixture()
def repo(fresh_repo):
    return fresh_repo


def basic(rid: str, text: str) -> dict:
    return {"resourceType": "Basic", "id": rid, "code": {"text": text}}


def sync(repo, source, resources):
    with repo.unit_of_work() as uow:
        return sync_source(uow, source, resources)


def versions(repo, rid):
    with repo.unit_of_work(write=False) as uow:
        stored = uow.read("Basic", rid)
        return stored.version_id, stored.deleted


def test_canonical_ignores_version_meta_only():
    a = {**basic("a", "x"), "meta": {"versionId": "3", "lastUpdated": "2020-01-01T00:00:00Z"}}
    assert canonical(a) == canonical(basic("a", "x"))
    assert canonical({**a, "meta": {"tag": [{"code": "t"}]}}) != canonical(basic("a", "x"))


def test_unchanged_changed_and_disappeared(repo):
    counts = sync(repo, "monograph:a.md", [basic("a1", "one"), basic("a2", "two"), basic("a3", "three")])
    assert counts["created"] == 3
    assert sync(repo, "monograph:a.md", [basic("a1", "one"), basic("a2", "two"), basic("a3", "three")]) == {
        "unchanged": 3
    }
    counts = sync(repo, "monograph:a.md", [basic("a1", "one"), basic("a2", "TWO")])
    assert (counts["unchanged"], counts["updated"], counts["deleted"]) == (1, 1, 1)
    assert versions(repo, "a1") == (1, False)
    assert versions(repo, "a2") == (2, False)
    assert versions(repo, "a3") == (2, True)
    # it comes back: a new live version
    assert (
        sync(repo, "monograph:a.md", [basic("a1", "one"), basic("a2", "TWO"), basic("a3", "three")])[
            "created"
        ]
        == 1
    )
    assert versions(repo, "a3") == (3, False)


def test_a_resource_another_source_still_produces_is_kept(repo):
    sync(repo, "monograph:x.md", [basic("shared", "s"), basic("x-only", "x")])
    sync(repo, "file:x-bundle.json", [basic("shared", "s")])
    counts = sync(repo, "monograph:x.md", [basic("x-only", "x")])
    assert counts["deleted"] == 0
    assert versions(repo, "shared") == (1, False)


def state(repo) -> dict:
    with repo.unit_of_work(write=False) as uow:
        page = uow.history(count=1000)
    latest: dict = {}
    for v in page.entries:  # newest first
        latest.setdefault(v.id, (v.version_id, v.deleted, None if v.deleted else v.resource()["code"]))
    return latest


ROUNDS = [
    # disjoint sources: the batched path
    [("m:a", [basic("a1", "1"), basic("a2", "2")]), ("m:b", [basic("b1", "1")])],
    # a changes one and drops one, b unchanged, c new
    [("m:a", [basic("a1", "1*")]), ("m:b", [basic("b1", "1")]), ("m:c", [basic("c1", "1")])],
    # c takes over a1 and b drops b1 while a re-creates it: shared keys, so one source after another
    [("m:a", [basic("b1", "from a")]), ("m:b", []), ("m:c", [basic("a1", "from c"), basic("c1", "1")])],
]


def test_sync_sources_equals_one_source_after_another(database_url_factory):
    repos = []
    for _ in range(2):
        url = database_url_factory()
        migrate.upgrade(url)
        repos.append(Repository(make_engine(url)))
    batched, sequential = repos
    try:
        for sources in ROUNDS:
            with batched.unit_of_work() as uow:
                got = sync_sources(uow, [(name, resources, None) for name, resources in sources])
            expected = sum((sync(sequential, name, resources) for name, resources in sources), Counter())
            assert got == expected
            assert state(batched) == state(sequential)
        assert state(batched)["a2"][1] is True  # really deleted, in both
        assert state(batched)["a1"] == (4, False, {"text": "from c"})  # a dropped it, c re-created it
    finally:
        for repo in repos:
            repo.dispose()
