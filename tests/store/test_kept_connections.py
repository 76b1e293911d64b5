"""Read-only units of work run on the thread's kept connection (store/connections.py): no pool
checkout, and on PostgreSQL no BEGIN/COMMIT round trips. They must still see committed writes at
once, never hold a transaction open between requests, and survive a server-side disconnect."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text

from fhir_service.interactions import history as history_
from fhir_service.interactions import search as search_
from fhir_service.store import connections
from fhir_service.store.driver import reused_cursor

BASE = "http://example.org/fhir"


@pytest.fixture(scope="module")
def repo(migrated_repo):
    with migrated_repo.unit_of_work() as uow:
        uow.update({"resourceType": "Basic", "id": "kept-1", "code": {"text": "kept"}})
    return migrated_repo


def _ids(bundle) -> list[str]:
    bundle = bundle if isinstance(bundle, dict) else bundle.resource()
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def test_a_read_only_unit_reuses_the_thread_connection_and_sees_new_commits(repo):
    with repo.unit_of_work(write=False) as uow:
        first = uow.session.connection()
    with repo.unit_of_work(write=False) as uow:
        assert uow.session.connection() is first  # kept, not a pool checkout
    search = [("_id", "kept-1,kept-2")]
    assert _ids(search_.search(repo, "Basic", search, BASE, access=None).body) == ["kept-1"]
    with repo.unit_of_work() as uow:  # a write on a pooled connection
        uow.update({"resourceType": "Basic", "id": "kept-2", "code": {"text": "kept"}})
    assert sorted(_ids(search_.search(repo, "Basic", search, BASE, access=None).body)) == ["kept-1", "kept-2"]


def test_a_nested_read_only_unit_takes_another_connection(repo):
    with repo.unit_of_work(write=False) as outer, repo.unit_of_work(write=False) as inner:
        assert inner.session.connection() is not outer.session.connection()
        assert inner.read("Basic", "kept-1") is not None


def test_threads_keep_their_own_connections(repo):
    seen = []

    def work():
        with repo.unit_of_work(write=False) as uow:
            seen.append(uow.session.connection())

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] is not seen[1]


def test_no_transaction_stays_open_between_units(repo):
    if repo.sqlite:
        pytest.skip("SQLite: BEGIN DEFERRED ... COMMIT is checked by the next write not waiting")
    with repo.unit_of_work(write=False) as uow:
        connection = uow.session.connection()
        uow.read("Basic", "kept-1")
    status = connection.connection.dbapi_connection.info.transaction_status
    assert status.name == "IDLE"


def test_search_history_and_read_survive_a_dropped_connection(repo, monkeypatch):
    if repo.sqlite:
        pytest.skip("a server-side disconnect is PostgreSQL's")
    url = repo.engine.url
    search = [("_id", "kept-1")]
    assert _ids(search_.search(repo, "Basic", search, BASE, access=None).body) == ["kept-1"]

    def drop_all():
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            dropped = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        admin.dispose()
        assert dropped >= 1  # the test can fail: the kept connection was there to drop

    monkeypatch.setattr(connections, "PING_AFTER", 1e9)  # no ping: the statement fails
    drop_all()  # a search right after: retried once on a new connection
    assert _ids(search_.search(repo, "Basic", search, BASE, access=None).body) == ["kept-1"]
    drop_all()
    monkeypatch.setattr(connections, "PING_AFTER", 0.0)  # as after a quiet spell: pinged first
    assert history_.history(repo, [], BASE, "Basic", "kept-1").status == 200
    drop_all()
    assert repo.read("Basic", "kept-1") is not None  # the prepared read retries by itself


def test_service_connections_keep_generic_plans(repo):
    """store/database.py starts every PostgreSQL connection with plan_cache_mode=force_generic_plan
    (under auto, PostgreSQL re-planned chained-search and _include statements on every run); an
    _include search still finds what it should, and nothing it runs changes the mode."""
    if repo.sqlite:
        pytest.skip("plan_cache_mode is PostgreSQL's")
    with repo.unit_of_work() as uow:
        uow.update({"resourceType": "Basic", "id": "kept-3", "subject": {"reference": "Basic/kept-1"}})
        assert (
            uow.session.connection().exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"
        )
    bundle = search_.search(
        repo, "Basic", [("_id", "kept-3"), ("_include", "Basic:subject")], BASE, access=None
    ).body
    bundle = bundle if isinstance(bundle, dict) else bundle.resource()
    assert [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "include"] == ["kept-1"]
    with repo.unit_of_work(write=False) as uow:  # the same kept connection the search used
        assert (
            uow.session.connection().exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"
        )


def test_a_reused_cursor_belongs_to_the_connection_it_runs_on(repo):
    """driver.reused_cursor: one cursor per DBAPI connection, a new one once the pool reconnected."""
    dialect = repo.engine.dialect
    with repo.engine.connect() as conn:
        first = reused_cursor(conn.connection, dialect)
        assert reused_cursor(conn.connection, dialect) is first
        old = conn.connection.dbapi_connection
        conn.invalidate()  # closes the DBAPI connection; the next use reconnects
        assert conn.connection.dbapi_connection is not old
        second = reused_cursor(conn.connection, dialect)
        assert second is not first and second.connection is conn.connection.dbapi_connection
        second.execute("SELECT 1")
        assert second.fetchall() == [(1,)]


def test_prepared_reads_run_below_the_cursor_on_postgresql(repo):
    """libpq.row (PostgreSQL's read and vread): the statement is prepared once on a
    connection and gives the row a cursor gives; a missing row is None, an error the driver's."""
    if repo.sqlite:
        pytest.skip("SQLite's prepared reads use its cursor")
    import psycopg

    from fhir_service.store.libpq import row as libpq_row

    sql = "SELECT type, id, version_id, last_updated, deleted, content FROM resource WHERE type = $1 AND id = $2"
    with repo.engine.connect() as conn:
        dbapi = conn.connection
        row = libpq_row(dbapi, b"test_read", sql.encode(), ("Basic", "kept-1"))
        with dbapi.dbapi_connection.cursor(binary=True) as cursor:
            cursor.execute(sql.replace("$1", "%s").replace("$2", "%s"), ("Basic", "kept-1"))
            assert row == cursor.fetchone() and isinstance(row[5], bytes)
        # the same preparation for another value; no second PREPARE (it would fail: the name exists)
        assert libpq_row(dbapi, b"test_read", sql.encode(), ("Basic", "no-such-id")) is None
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            libpq_row(dbapi, b"test_int", b"SELECT $1::integer", ("x",))
        conn.rollback()
    stored = repo.read("Basic", "kept-1")
    assert (
        stored.id == "kept-1" and repo.vread("Basic", "kept-1", stored.version_id).content == stored.content
    )
