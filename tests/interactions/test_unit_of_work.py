"""What the interactions rely on in a unit of work, on both stores: it reads its own writes, commits
as a whole or not at all, a savepoint undoes only its block, and writers take turns."""

from __future__ import annotations

import threading

import pytest
from interaction_stores import failure, organization

from fhir_service.interactions.read import read
from fhir_service.store import memory
from fhir_service.store.errors import Conflict, PreconditionFailed
from fhir_service.stored import new_id


def _put(uow, rid, **fields):
    return uow.update(organization(rid, **fields))[0]


def test_a_unit_of_work_reads_its_own_writes_and_others_see_them_at_commit(store):
    rid = new_id()
    with store.unit_of_work() as uow:
        stored = _put(uow, rid)
        assert uow.read("Organization", rid).content == stored.content
        assert uow.vread("Organization", rid, 1).content == stored.content
        assert uow.read_many([("Organization", rid)])[("Organization", rid)].content == stored.content
        assert [s.id for s in uow.by_pks([stored.pk])] == [rid]
        assert store.read("Organization", rid) is None  # not committed yet
    assert store.read("Organization", rid).content == stored.content


def test_a_unit_of_work_that_raises_stores_nothing(store):
    rid = new_id()
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        _put(uow, rid)
        raise RuntimeError("the interaction failed")
    assert store.read("Organization", rid) is None
    assert failure(read, store, "Organization", rid).status == 404


def test_a_savepoint_undoes_only_its_block(store):
    kept, undone, existing = new_id(), new_id(), new_id()
    with store.unit_of_work() as uow:
        _put(uow, existing)
    with store.unit_of_work() as uow:
        _put(uow, kept)
        with pytest.raises(PreconditionFailed), uow.savepoint():
            _put(uow, undone)
            _put(uow, existing, alias=["changed"])
            uow.delete("Organization", kept)
            uow.update(organization(existing, alias=["again"]), if_match="1")  # it is 2 now
        assert uow.read("Organization", undone) is None
        assert uow.read("Organization", existing).version_id == 1
        assert not uow.read("Organization", kept).deleted
        with uow.savepoint():
            _put(uow, existing, alias=["kept"])
    assert store.read("Organization", undone) is None
    assert store.read("Organization", kept).version_id == 1
    assert store.read("Organization", existing).version_id == 2
    assert store.vread("Organization", existing, 2).resource()["alias"] == ["kept"]


def test_nested_savepoints(store):
    outer, inner = new_id(), new_id()
    with store.unit_of_work() as uow:
        with uow.savepoint():
            _put(uow, outer)
            with pytest.raises(ValueError), uow.savepoint():
                _put(uow, inner)
                raise ValueError
        assert uow.read("Organization", inner) is None
    assert store.read("Organization", outer) is not None
    assert store.read("Organization", inner) is None


def test_create_refuses_a_live_id_and_takes_over_a_deleted_one(store):
    rid = new_id()
    with store.unit_of_work() as uow:
        first = uow.create(organization(), id=rid)
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.create(organization(), id=rid)
    with store.unit_of_work() as uow:
        uow.delete("Organization", rid)
        again = uow.create(organization(), id=rid)
    assert (again.version_id, again.pk) == (3, first.pk)


def test_what_a_read_answers_for_each_version(store):
    """`method` comes with a version (vread, history, a write), not with the current row."""
    rid = new_id()
    with store.unit_of_work() as uow:
        written = uow.create(organization(), id=rid)
        unchanged, created = uow.update(organization(rid))
    assert (written.method, unchanged.method, created) == ("POST", None, False)
    assert store.read("Organization", rid).method is None
    assert store.vread("Organization", rid, 1).method == "POST"
    with store.unit_of_work(write=False) as uow:
        assert uow.read("Organization", rid).method is None
        assert uow.vread("Organization", rid, 1).method == "POST"
        assert uow.read_many([("Organization", rid)])[("Organization", rid)].method is None
    assert store.read("Organization", rid).last_updated == written.last_updated


def test_writers_with_the_same_if_match_take_turns(store):
    """Two writers both sent If-Match 1: whichever goes second finds version 2 and fails (412)."""
    rid = new_id()
    with store.unit_of_work() as uow:
        _put(uow, rid)
    barrier = threading.Barrier(2)
    outcomes = []

    def write(alias):
        barrier.wait()
        try:
            with store.unit_of_work() as uow:
                uow.update(organization(rid, alias=[alias]), if_match="1")
            outcomes.append("stored")
        except PreconditionFailed:
            outcomes.append("412")

    threads = [threading.Thread(target=write, args=(a,)) for a in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["412", "stored"]
    assert store.read("Organization", rid).version_id == 2


def test_the_in_memory_store_refuses_what_would_hang_or_write_unseen():
    """A second write unit of work on the thread that holds one would wait for itself; a write in a
    read-only one would be committed by nobody."""
    repo = memory.Repository()
    with repo.unit_of_work() as uow:
        with pytest.raises(RuntimeError), repo.unit_of_work():
            pass
        _put(uow, "kept")
    with pytest.raises(RuntimeError), repo.unit_of_work(write=False) as uow:
        _put(uow, "never")
    assert repo.read("Organization", "kept").version_id == 1
    assert repo.read("Organization", "never") is None
