"""Idempotent ingest at the store level: no new versions for unchanged content, new versions for
exactly the changed resources, deletion of what a source no longer produces."""

from __future__ import annotations

import pytest

from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.repository import Repository
from fhir_service.store.sync import canonical, sync_source


@pytest.fixture()
def repo(database_url_factory):
    url = database_url_factory()
    migrate.upgrade(url)
    repository = Repository(make_engine(url))
    yield repository
    repository.dispose()


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
