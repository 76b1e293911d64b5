"""The registry in force for a database: built-in parameters plus the stored SearchParameter
resources that `fhir-service reindex` has enabled. A cheap fingerprint query per call keeps every
process (server workers, CLI) in step after a reindex without a restart."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from fhir_service.store.schema import Resource

from .registry import Registry, registry, use_stored_parameters
from .tables import SearchParameterEnabled

_fingerprint: tuple | None = None


def active_registry(session) -> Registry:
    """Checked once per session (one transaction of the Repository), then remembered on it."""
    cached = session.info.get("search_registry")
    if cached is not None:
        return cached
    session.info["search_registry"] = current = _load(session)
    return current


def _load(session) -> Registry:
    global _fingerprint
    e = SearchParameterEnabled
    fingerprint = tuple(session.execute(select(func.count(), func.sum(e.version_id), func.max(e.url))).one())
    if fingerprint == _fingerprint:
        return registry()
    current = use_stored_parameters(enabled_definitions(session))
    _fingerprint = fingerprint
    return current


def enabled_definitions(session) -> list[dict]:
    """The stored SearchParameter resources `reindex` enabled (ingest hands them to its workers)."""
    e = SearchParameterEnabled
    return [
        json.loads(content)
        for content in session.scalars(
            select(Resource.content)
            .join(e, e.resource_pk == Resource.pk)
            .where(Resource.deleted.is_(False), Resource.type == "SearchParameter")
        )
    ]
