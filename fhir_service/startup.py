"""Opening the store for a command (ingest, reindex, serve): the repository, its schema migrated to
the newest revision, and the service's own SearchParameters published (served like any resource)."""

from __future__ import annotations

from collections import Counter

from fhir_service.search.maintenance import publish_custom_parameters
from fhir_service.store import migrate
from fhir_service.store.database import database_url, make_engine
from fhir_service.store.repository import Repository


def open_repository(url: str | None = None) -> tuple[Repository, Counter]:
    """(the repository, what publishing the custom SearchParameters did); the caller disposes it."""
    url = url or database_url()
    repo = Repository(make_engine(url))
    if not migrate.at_head(repo.engine):
        migrate.upgrade(url)
    with repo.unit_of_work() as uow:
        published = publish_custom_parameters(uow)
    return repo, published
