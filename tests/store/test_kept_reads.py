"""Repository.read's kept versions (store/kept_reads.py) on a real database: the content crosses
only when the row is not the kept version, and what is kept stays within its byte budget."""

from __future__ import annotations

from fhir_service.store.kept_reads import ENTRY_BYTES, KeptReads


def org(rid: str, name: str) -> dict:
    return {"resourceType": "Organization", "id": rid, "name": name}


def test_a_kept_version_is_the_same_object_until_the_row_changes(fresh_repo):
    with fresh_repo.unit_of_work() as uow:
        uow.update(org("k1", "One"))
    first = fresh_repo.read("Organization", "k1")
    assert fresh_repo.read("Organization", "k1") is first
    with fresh_repo.unit_of_work() as uow:
        uow.update(org("k1", "One, renamed"))
    second = fresh_repo.read("Organization", "k1")
    assert second is not first and second.version_id == 2
    assert second.resource()["name"] == "One, renamed"
    with fresh_repo.unit_of_work() as uow:
        uow.delete("Organization", "k1")
    gone = fresh_repo.read("Organization", "k1")
    assert gone.deleted and gone.content is None and gone.version_id == 3


def test_the_statement_leaves_out_the_content_of_the_kept_version(fresh_repo):
    with fresh_repo.unit_of_work() as uow:
        stored = uow.update(org("k2", "Two"))[0]
    rows = []
    fetch = fresh_repo._kept_reads._fetch

    def counted(*args):
        rows.append(fetch(*args))
        return rows[-1]

    fresh_repo._kept_reads._fetch = counted
    fresh_repo._kept_reads._stamp = lambda: None  # every read asks (as while freshness.py cannot tell)
    try:
        fresh_repo.read("Organization", "k2")
        fresh_repo.read("Organization", "k2")
    finally:
        fresh_repo._kept_reads._fetch = fetch
    assert bytes(rows[0][5]) == stored.content and rows[1][5] is None


def test_kept_content_stays_within_its_budget(fresh_repo):
    with fresh_repo.unit_of_work() as uow:
        sizes = [len(uow.update(org(f"b{n}", "x" * 300))[0].content) + ENTRY_BYTES for n in range(12)]
    cache = fresh_repo._kept_reads
    kept = KeptReads(cache._fetch, cache._process, fresh_repo._read_uncached, 4 * max(sizes), max(sizes))
    for n in range(12):
        assert kept.read("Organization", f"b{n}").resource()["id"] == f"b{n}"
    assert kept._bytes <= kept.max_bytes and len(kept._kept) == 4
    assert [key[1] for key in kept._kept] == ["b8", "b9", "b10", "b11"]  # the oldest went first
    assert kept._bytes == sum(len(stored.content) + ENTRY_BYTES for _, stored, _ in kept._kept.values())
    small = KeptReads(cache._fetch, cache._process, fresh_repo._read_uncached, 4 * max(sizes), 10)
    assert small.read("Organization", "b0").id == "b0" and not small._kept  # larger than one may be
