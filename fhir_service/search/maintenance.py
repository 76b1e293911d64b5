"""Keeping the index in step with the parameters: publish the custom SearchParameters as stored
resources, enable stored SearchParameters (so searches may use them) and rebuild every index row.
`fhir-service reindex` runs all three; a SearchParameter POSTed to the server is searchable after it."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import delete, insert, select

from fhir_service.store.freshness import announce
from fhir_service.store.index_tables import SearchParameterEnabled
from fhir_service.store.schema import Resource

from . import text
from .active import active_registry
from .extract import compile_expression
from .indexer import insert_rows, remove_from_index, rows_for
from .registry import custom_search_parameters, official_parameters

CUSTOM_SOURCE = "fhir-service:custom-search-parameters"
SEARCH_TYPES = {"number", "date", "string", "token", "reference", "composite", "quantity", "uri"}


def publish_custom_parameters(uow) -> dict:
    """Store (idempotently) the service's own SearchParameter resources so the server serves them."""
    from fhir_service.store.sync import sync_source

    return dict(sync_source(uow, CUSTOM_SOURCE, custom_search_parameters()))


def problems(sp: dict) -> list[str]:
    """Why a stored SearchParameter cannot be enabled (empty when it can)."""
    found = [f"missing {k}" for k in ("url", "code", "base", "type", "expression") if not sp.get(k)]
    if sp.get("type") and sp["type"] not in SEARCH_TYPES:
        found.append(f"type '{sp['type']}' is not indexable")
    if sp.get("status") == "retired":
        found.append("retired")
    if not found:
        try:
            for base in sp["base"]:
                compile_expression(base, sp["expression"])
        except Exception as exc:  # fhirpathpy raises plain exceptions for syntax errors
            found.append(f"expression does not compile: {exc}")
    return found


def enable_stored_parameters(session, echo: Callable[[str], None] = lambda _: None) -> list[str]:
    """Enable every valid stored SearchParameter (replacing the previous set); → enabled urls."""
    official = {p["url"] for p in official_parameters()}
    enabled: dict[str, dict] = {}
    rows = session.execute(
        select(Resource.pk, Resource.version_id, Resource.content).where(
            Resource.type == "SearchParameter", Resource.deleted.is_(False)
        )
    )
    for pk, version_id, content in rows:
        sp = json.loads(content)
        if sp.get("url") in official:
            continue  # the official definition is built in; a stored copy changes nothing
        issues = problems(sp)
        if issues:
            echo(f"SearchParameter/{sp.get('id')}: not enabled: {'; '.join(issues)}")
            continue
        enabled[sp["url"]] = {"url": sp["url"], "resource_pk": pk, "version_id": version_id}
    session.execute(delete(SearchParameterEnabled))
    if enabled:
        session.execute(insert(SearchParameterEnabled), list(enabled.values()))
    return sorted(enabled)


def rebuild_index(repo, types: tuple[str, ...] = (), batch: int = 500, progress=lambda n: None) -> int:
    """Re-extract the index rows of every current resource (optionally of some types); → count."""
    done, last_pk = 0, 0
    while True:
        with repo.unit_of_work() as uow:
            query = select(Resource.pk, Resource.content).where(
                Resource.deleted.is_(False), Resource.pk > last_pk
            )
            if types:
                query = query.where(Resource.type.in_(types))
            rows = uow.session.execute(query.order_by(Resource.pk).limit(batch)).all()
            registry = active_registry(uow.session)
            resources = [(pk, json.loads(content)) for pk, content in rows]
            for pk, resource in resources:
                remove_from_index(uow.session, pk)  # the full-text row too
                insert_rows(uow.session, pk, rows_for(registry, resource))
            text.write(uow.session.connection(), resources)
            announce(uow.session)  # kept search pages elsewhere: no resource row changed
        if not rows:
            return done
        done += len(rows)
        last_pk = rows[-1][0]
        progress(done)
