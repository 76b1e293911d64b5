"""`fhir-service check` (fhir_service/integrity.py) finds a version missing from the middle of a history,
the store-side counterpart of the soak's contiguous-versions check, and a missing full-text row."""

from __future__ import annotations

from sqlalchemy import delete

from fhir_service.integrity import check_store
from fhir_service.search.text import PK, TEXT
from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.repository import Repository
from fhir_service.store.schema import ResourceVersion


def test_missing_middle_version_is_reported(database_url_factory):
    url = database_url_factory()
    migrate.upgrade(url)
    repo = Repository(make_engine(url))
    try:
        for name in ("one", "two", "three"):
            with repo.unit_of_work() as uow:
                stored, _ = uow.update({"resourceType": "Organization", "id": "gap", "name": name})
        assert stored.version_id == 3
        assert check_store(repo.engine).problems == []
        with repo.unit_of_work() as uow:
            uow.session.execute(
                delete(ResourceVersion).where(
                    ResourceVersion.resource_pk == stored.pk, ResourceVersion.version_id == 2
                )
            )
        assert check_store(repo.engine).problems == [
            "Organization/gap: 2 versions in resource_version for current version 3"
        ]
        with repo.unit_of_work() as uow:  # and the full-text row of a live resource goes missing
            uow.session.execute(delete(TEXT).where(PK == stored.pk))
        assert check_store(repo.engine).problems[1:] == [
            "1 live resources have no full-text (search_text) row"
        ]
    finally:
        repo.dispose()
