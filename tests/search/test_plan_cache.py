"""Compiled search plans (search/engine.py) are reused for the same search; the results never are:
a write shows in the next search at once, and a plan's captured SQL pages like a fresh one."""

from __future__ import annotations

import pytest

from fhir_service.interactions import search as search_
from fhir_service.interactions.errors import as_fhir_error
from fhir_service.search import engine
from fhir_service.search.errors import SearchError

BASE = "http://example.org/fhir"


@pytest.fixture(scope="module")
def repo(migrated_repo):
    return migrated_repo


def _put(repo, rid: str, code: str = "plan-cache") -> None:
    with repo.unit_of_work() as uow:
        uow.update({"resourceType": "Basic", "id": rid, "code": {"coding": [{"code": code}]}})


def _search(repo, params) -> dict:
    return search_.search(repo, "Basic", params, BASE, access=None).body


def _ids(bundle) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def test_a_cached_plan_sees_every_write(repo):
    engine.forget_plans()
    params = [("code", "plan-cache"), ("_count", "2"), ("_total", "accurate")]
    assert _search(repo, params).get("total") == 0
    _put(repo, "pc-1")
    assert len(engine._plans) == 1  # the same search: one plan
    first = _search(repo, params)
    assert _ids(first) == ["pc-1"] and first["total"] == 1
    _put(repo, "pc-2")
    _put(repo, "pc-3")
    second = _search(repo, params)
    assert _ids(second) == ["pc-1", "pc-2"] and second["total"] == 3
    next_url = next(link["url"] for link in second["link"] if link["relation"] == "next")
    cursor = next_url.split("_cursor=")[1]
    page2 = _search(repo, [*params, ("_cursor", cursor)])
    assert _ids(page2) == ["pc-3"]
    assert len(engine._plans) == 1  # the cursor is not part of the plan
    assert [link["url"] for link in page2["link"] if link["relation"] == "first"] == [
        f"{BASE}/Basic?code=plan-cache&_count=2&_total=accurate"
    ]
    with repo.unit_of_work() as uow:
        uow.delete("Basic", "pc-1")
    third = _search(repo, params)
    assert _ids(third) == ["pc-2", "pc-3"] and third["total"] == 2


def test_a_bad_search_is_refused_every_time(repo):
    for _ in range(2):  # nothing is cached for a search that failed to compile
        with pytest.raises(SearchError) as raised:
            _search(repo, [("code:nonsense", "x")])
        assert as_fhir_error(raised.value).status == 400
