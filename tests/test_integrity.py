"""`fhir-service check` on a real database: clean after transactions, and each kind of damage found."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from fhir_service.cli import main
from fhir_service.integrity import check_store
from fhir_service.interactions.transaction import process
from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.index_tables import SearchToken
from fhir_service.store.repository import Repository
from fhir_service.store.schema import Resource, ResourceVersion

G = "urn:uuid:0f0e0d0c-0000-4000-8000-000000000001"


def bundle() -> dict:
    group = {"resourceType": "Group", "type": "person", "membership": "definitional", "name": "adults"}
    cud = {
        "resourceType": "ClinicalUseDefinition",
        "contained": [
            {"resourceType": "Group", "id": "kids", "type": "person", "membership": "definitional"}
        ],
        "type": "warning",
        "population": [{"reference": G}, {"reference": "#kids"}],
        "warning": {"description": "Take care"},
    }
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": G, "resource": group, "request": {"method": "POST", "url": "Group"}},
            {
                "resource": {**cud, "id": "chk"},
                "request": {"method": "PUT", "url": "ClinicalUseDefinition/chk"},
            },
            {
                "resource": {**cud, "id": "gone"},
                "request": {"method": "PUT", "url": "ClinicalUseDefinition/gone"},
            },
        ],
    }


@pytest.fixture()
def store(database_url_factory):
    url = database_url_factory()
    migrate.upgrade(url)
    repo = Repository(make_engine(url))
    process(repo, bundle(), "http://x/fhir", access=None)
    process(
        repo,
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [{"request": {"method": "DELETE", "url": "ClinicalUseDefinition/gone"}}],
        },
        "http://x/fhir",
        access=None,
    )
    yield url, repo.engine
    repo.dispose()


def test_clean_store_passes(store):
    url, engine = store
    report = check_store(engine)
    assert report.ok, report.problems
    assert report.resources == 2 and report.references == 2 and report.index_rows > 0
    result = CliRunner().invoke(main, ["check", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_dangling_reference_and_stale_index_rows_are_found(store):
    url, engine = store
    with engine.begin() as conn:
        row = conn.execute(
            Resource.__table__.select().where(Resource.id == "chk", Resource.type == "ClinicalUseDefinition")
        ).one()
        content = json.loads(row.content)
        content["population"] = [{"reference": "Group/nobody"}, {"reference": "#nope"}, {"reference": G}]
        content["type"] = "indication"  # the token index still says "warning"
        data = json.dumps(content, separators=(",", ":")).encode()
        conn.execute(update(Resource).where(Resource.pk == row.pk).values(content=data))
        conn.execute(
            update(ResourceVersion)
            .where(ResourceVersion.resource_pk == row.pk, ResourceVersion.version_id == row.version_id)
            .values(content=data)
        )
        gone = conn.execute(Resource.__table__.select().where(Resource.id == "gone")).one()
        conn.execute(SearchToken.__table__.insert().values(resource_pk=gone.pk, sp=1, grp=0, code="x"))
    report = check_store(engine)
    text = "\n".join(report.problems)
    assert "reference 'Group/nobody' does not resolve to a live resource" in text
    assert "reference '#nope' names no contained resource" in text
    assert f"reference '{G}' is a Bundle-local urn" in text
    assert "token index rows differ from its current version (1 stale, 1 missing)" in text
    assert "1 token index rows belong to ClinicalUseDefinition/gone (deleted)" in text
    result = CliRunner().invoke(main, ["check", "--database-url", url, "--quick"])
    assert result.exit_code == 1
    assert "Group/nobody" in result.output and "differ from its current version" not in result.output


def test_history_damage_is_found(store):
    _, engine = store
    with engine.begin() as conn:
        row = conn.execute(Resource.__table__.select().where(Resource.id == "chk")).one()
        conn.execute(update(Resource).where(Resource.pk == row.pk).values(content=b'{"resourceType":"X"}'))
    problems = check_store(engine, deep=False).problems
    assert problems == [
        "ClinicalUseDefinition/chk: current row differs from its version 1 in resource_version"
    ]
