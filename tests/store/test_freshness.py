"""Kept versions served without asking (store/freshness.py): only while no write can have committed
since they were confirmed. PostgreSQL: a write through this host is seen by the very next read, one
from elsewhere once its notification arrives, and nothing is served unasked while the listener is
down. SQLite: any commit, by any connection, is seen by the next read."""

from __future__ import annotations

import os
import sqlite3
import stat
import time

import pytest
from sqlalchemy import text

from fhir_service.store.database import make_engine
from fhir_service.store.freshness import LocalWrites
from fhir_service.store.repository import Repository

WAIT = 20.0  # seconds a notification or a reconnection may take on a busy machine before a test fails


def org(rid: str, name: str) -> dict:
    return {"resourceType": "Organization", "id": rid, "name": name}


def eventually(predicate) -> bool:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture()
def repo(fresh_repo):
    return fresh_repo


@pytest.fixture()
def pg_repo(fresh_repo):
    if fresh_repo.sqlite:
        pytest.skip("PostgreSQL's shared value and listener")
    return fresh_repo


@pytest.fixture()
def sqlite_repo(fresh_repo):
    if not fresh_repo.sqlite:
        pytest.skip("SQLite's WAL-index header")
    return fresh_repo


def listening(repo: Repository) -> bool:
    return repo._freshness.stamp() is not None


def fetches(repo: Repository) -> list:
    """The statements the repository's reads send from now on."""
    sent, fetch = [], repo._kept_reads._fetch

    def counted(*args):
        sent.append(args)
        return fetch(*args)

    repo._kept_reads._fetch = counted
    return sent


def another(repo: Repository, on_this_host: bool) -> Repository:
    other = Repository(make_engine(repo.engine.url.render_as_string(hide_password=False)))
    if not on_this_host:
        other._freshness.stop()
        other._freshness = None  # as a server elsewhere: its writes reach us by notification only
    return other


def write(repo: Repository, rid: str, name: str) -> None:
    with repo.unit_of_work() as uow:
        uow.update(org(rid, name))


def kept(repo: Repository, rid: str, name: str):
    """A resource written, and read once the listener listens (so kept with a stamp)."""
    write(repo, rid, name)
    assert eventually(lambda: listening(repo))
    return repo.read("Organization", rid)


def test_a_confirmed_version_is_served_without_asking(repo):
    first = kept(repo, "f1", "One")
    sent = fetches(repo)
    assert repo.read("Organization", "f1") is first and repo.read("Organization", "f1") is first
    assert sent == []


def test_a_write_through_this_host_is_read_at_once(repo):
    other = another(repo, on_this_host=True)
    try:
        kept(repo, "f2", "Two")
        moved = (lambda: repo._freshness.stamp()) if repo.sqlite else (lambda: repo._freshness.local.value())
        before = moved()
        write(other, "f2", "Two, renamed")
        assert moved() != before  # before the write returned (PostgreSQL: not once notified)
        assert repo.read("Organization", "f2").resource()["name"] == "Two, renamed"
    finally:
        other.dispose()


def test_a_write_from_elsewhere_is_read_once_notified(pg_repo):
    elsewhere = another(pg_repo, on_this_host=False)
    try:
        kept(pg_repo, "f3", "Three")
        write(elsewhere, "f3", "Three, renamed")
        assert eventually(lambda: pg_repo.read("Organization", "f3").version_id == 2)
    finally:
        elsewhere.dispose()


def test_every_read_asks_while_the_listener_is_down(pg_repo):
    write(pg_repo, "f4", "Four")
    pg_repo._freshness.listener.stop()
    pg_repo.read("Organization", "f4")
    sent = fetches(pg_repo)
    pg_repo.read("Organization", "f4")
    pg_repo.read("Organization", "f4")
    assert len(sent) == 2


def test_a_lost_listener_connection_reconnects_and_what_it_missed_is_asked_again(pg_repo):
    elsewhere = another(pg_repo, on_this_host=False)
    try:
        kept(pg_repo, "f5", "Five")
        before = pg_repo._freshness.listener.mark
        with pg_repo.engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            ).all()
        assert killed
        assert eventually(lambda: pg_repo._freshness.listener.mark > before + 1 and listening(pg_repo))
        sent = fetches(pg_repo)
        pg_repo.read("Organization", "f5")
        assert len(sent) == 1  # kept before the reconnection: asked once more
        write(elsewhere, "f5", "Five, renamed")
        assert eventually(lambda: pg_repo.read("Organization", "f5").version_id == 2)
    finally:
        elsewhere.dispose()


def test_local_writes_share_one_private_value_per_database(tmp_path):
    one, same, other = (
        LocalWrites("db-a", tmp_path),
        LocalWrites("db-a", tmp_path),
        LocalWrites("db-b", tmp_path),
    )
    values = (one.value(), other.value())
    same.written()
    assert one.value() != values[0] and one.value() == same.value() and other.value() == values[1]
    assert stat.S_IMODE(os.stat(one.path).st_mode) == 0o600


def test_sqlite_any_commit_by_any_connection_makes_the_next_read_ask(sqlite_repo):
    kept(sqlite_repo, "s1", "One")
    sent = fetches(sqlite_repo)
    sqlite_repo.read("Organization", "s1")
    assert sent == []
    outside = sqlite3.connect(sqlite_repo.engine.url.database)  # not through any Repository
    try:
        with outside:
            outside.execute("UPDATE resource SET version_id = 7 WHERE id = 's1'")
    finally:
        outside.close()
    assert sqlite_repo.read("Organization", "s1").version_id == 7
    sqlite_repo.read("Organization", "s1")
    assert len(sent) == 1  # asked once, then kept anew
