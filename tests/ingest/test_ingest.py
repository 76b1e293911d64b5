"""`fhir-service ingest`: monographs and FHIR files into the store, idempotently."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from fhir_service.cli.ingest import ingest
from fhir_service.formats import to_xml
from fhir_service.ingest.prepare import prepare
from fhir_service.store.database import make_engine
from fhir_service.store.repository import Repository
from fhir_service.store.sync import canonical


@pytest.fixture()
def database(database_url_factory, monkeypatch):
    url = database_url_factory()
    monkeypatch.setenv("FHIR_SERVICE_DATABASE_URL", url)
    repository = Repository(make_engine(url))
    yield repository
    repository.dispose()


def run(*paths):
    result = CliRunner().invoke(ingest, ["--no-progress", "--jobs", "1", *map(str, paths)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def current(repo) -> dict:
    """The latest version of everything ingested (the service's own SearchParameters aside: the ingest
    command publishes them on every run, idempotently)."""
    with repo.unit_of_work(write=False) as uow:
        page = uow.history(count=1000)
    latest = {}
    for version in page.entries:  # newest first
        if version.type != "SearchParameter":
            latest.setdefault((version.type, version.id), version)
    return latest


def test_ingest_publishes_the_custom_search_parameters_once(database, seed_path):
    from fhir_service.search.maintenance import custom_search_parameters

    for _ in range(2):
        assert run(seed_path).exit_code == 0
    with database.unit_of_work(write=False) as uow:
        versions = [v for v in uow.history(resource_type="SearchParameter", count=1000).entries]
    assert sorted(v.id for v in versions) == sorted(sp["id"] for sp in custom_search_parameters())


def test_reingest_of_unchanged_and_changed_monograph(database, seed_path, tmp_path):
    copy = tmp_path / "v1" / seed_path.name
    copy.parent.mkdir()
    shutil.copy(seed_path, copy)
    first = run(copy)
    assert "created:" in first.output
    expected_v1 = {(r["resourceType"], r["id"]): r for r in prepare(copy).resources}
    assert first.exit_code == (0 if not prepare(copy).invalid else 1)
    stored = current(database)
    assert set(stored) == set(expected_v1) and all(v.version_id == 1 for v in stored.values())

    again = run(copy)
    assert f"unchanged: {len(expected_v1)}" in again.output
    assert current(database) == stored  # not a single new version

    changed = tmp_path / "v2" / seed_path.name
    changed.parent.mkdir()
    text = seed_path.read_text(encoding="utf-8")
    assert "* Tremor\n" in text
    changed.write_text(text.replace("* Tremor\n", ""), encoding="utf-8")
    expected_v2 = {(r["resourceType"], r["id"]): r for r in prepare(changed).resources}
    run(changed)
    after = current(database)
    differs = {
        k for k in expected_v2 if k in expected_v1 and canonical(expected_v1[k]) != canonical(expected_v2[k])
    }
    disappeared = set(expected_v1) - set(expected_v2)
    assert disappeared, "removing a side effect should remove its ClinicalUseDefinition"
    for key, version in after.items():
        if key in disappeared:
            assert version.deleted and version.version_id == 2
        elif key in differs:
            assert version.version_id == 2 and not version.deleted
        else:
            assert version.version_id == 1, key


def test_ingest_fhir_files_json_xml_and_bundles(database, tmp_path):
    org = {"resourceType": "Organization", "id": "org-1", "name": "Pharmacy"}
    (tmp_path / "org.xml").write_bytes(to_xml(org))
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {
                    "resourceType": "Substance",
                    "instance": False,
                    "code": {"concept": {"text": "lactose"}},
                },
                "request": {"method": "PUT", "url": "Substance/lactose"},
            },
            {"resource": {"resourceType": "Basic", "id": "bad", "code": "not-a-concept"}},
        ],
    }
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "broken.json").write_text("{")
    conditional = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "Organization", "name": "server-assigned"},
                "request": {"method": "POST", "url": "Organization", "ifNoneExist": "identifier=urn:x|1"},
            }
        ],
    }
    (tmp_path / "conditional.json").write_text(json.dumps(conditional))
    result = run(tmp_path)
    assert result.exit_code == 1  # one invalid resource, one unreadable file
    assert "INVALID" in result.output and "Basic/bad" in result.output and "FAILED" in result.output
    assert "SKIPPED" in result.output and "conditional.json" in result.output
    stored = current(database)
    assert set(stored) == {("Organization", "org-1"), ("Substance", "lactose")}
    assert "unchanged: 2" in run(tmp_path).output


def _replicas(seed_path, folder, n: int) -> list:
    """n monographs with distinct drug names (so distinct ids) from the seed."""
    import re

    text = seed_path.read_text(encoding="utf-8")
    folder.mkdir()
    out = []
    for k in range(n):
        path = folder / f"copy{k}.md"
        path.write_text(
            re.sub("(?i)tolperisone", lambda m, k=k: f"Copy{k}{m.group(0)}", text), encoding="utf-8"
        )
        out.append(path)
    return out


def _cli(url: str, *args: str, timeout: float = 300):
    import os
    import subprocess
    import sys
    from pathlib import Path

    command = [str(Path(sys.executable).parent / "fhir-service"), "ingest", "--no-progress", *args]
    env = {**os.environ, "FHIR_SERVICE_DATABASE_URL": url}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def test_worker_processes_store_what_one_process_stores(database_url_factory, seed_path, tmp_path):
    """The command starts its worker processes before it connects (they convert and validate meanwhile
    and learn the search parameters later): the same rows as preparing every file in-process."""
    files = [str(p) for p in _replicas(seed_path, tmp_path / "in", 6)]
    stored = []
    for jobs in ("2", "1"):
        url = database_url_factory()
        result = _cli(url, "--jobs", jobs, *files)
        assert result.returncode == 0, result.stderr
        assert "created: " in result.stderr and "failed files: 0" in result.stderr
        repo = Repository(make_engine(url))
        try:
            stored.append({k: canonical(v.resource()) for k, v in current(repo).items()})
        finally:
            repo.dispose()
    assert len(stored[0]) > 6 * 10 and stored[0] == stored[1]


def test_workers_stop_when_the_database_cannot_be_reached(seed_path, tmp_path):
    """Workers forked before the database is reached wait for its search parameters; when it cannot
    be reached they are told to stop, and the command ends with the error instead of hanging."""
    files = [str(p) for p in _replicas(seed_path, tmp_path / "in", 6)]
    result = _cli("postgresql+psycopg://postgres@127.0.0.1:9/none", "--jobs", "2", *files, timeout=120)
    assert result.returncode != 0
    assert "OperationalError" in result.stderr or "connection" in result.stderr.lower()
