"""The registry in force for a database: built-in parameters plus the stored SearchParameter
resources that `fhir-service reindex` has enabled. A fingerprint query keeps every process (server
workers, CLI) in step after a reindex without a restart; it runs at most every CHECK_EVERY seconds
per database (run per search it was a large share of a short search), and at once after a transaction of this process
changed the enabled parameters (`reindex`, which then searches in the same process)."""

from __future__ import annotations

import json
import threading
import time
import weakref

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from fhir_service.store.index_tables import SearchParameterEnabled
from fhir_service.store.schema import Resource

from .registry import Registry, use_stored_parameters

CHECK_EVERY = 1.0  # seconds another process's reindex may take to reach this one
# engine -> (monotonic time of the check, fingerprint, registry); weak: an engine is not kept alive
_checked: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def active_registry(session) -> Registry:
    """Checked once per session (one transaction of the Repository), then remembered on it."""
    cached = session.info.get("search_registry")
    if cached is not None:
        return cached
    session.info["search_registry"] = current = _load(session)
    return current


def forget() -> None:
    """Check again on the next search."""
    with _lock:
        _checked.clear()


@event.listens_for(Session, "do_orm_execute")
def _on_write(state) -> None:
    """A write to search_parameter_enabled: forget now and once more when it commits."""
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) == SearchParameterEnabled.__tablename__:
        forget()
        event.listen(state.session, "after_commit", lambda _session: forget(), once=True)


def _load(session) -> Registry:
    key = session.get_bind().engine  # the bind may be a Connection (read-only searches)
    now = time.monotonic()
    seen = _checked.get(key)
    if seen is not None and now - seen[0] < CHECK_EVERY:
        return seen[2]
    e = SearchParameterEnabled
    fingerprint = tuple(session.execute(select(func.count(), func.sum(e.version_id), func.max(e.url))).one())
    if seen is not None and fingerprint == seen[1]:
        current = seen[2]
    else:
        current = use_stored_parameters(enabled_definitions(session))
    with _lock:
        _checked[key] = (now, fingerprint, current)
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
