"""batch (POST /fhir with a Bundle of type batch): every entry on its own, reported per entry.

R5: batch entries SHALL NOT depend on each other, so no fullUrl rewriting happens across entries
(conditional references `Type?criteria` are still resolved, against the store). All entries share
one unit of work (one commit, one SQLite write lock), each inside its own SAVEPOINT: a failing
entry rolls back only what it did, and its response carries the status and OperationOutcome.
"""

from __future__ import annotations

import uuid

from fhir_service.interactions.errors import bad_request
from fhir_service.interactions.ports import Access, Repository, UnitOfWork
from fhir_service.interactions.transaction.entries import (
    CLEAR_EVERY,
    Entry,
    Plan,
    check_placeholders,
    entry_error,
    execute,
    parse_entry,
    plan_entry,
    processing_order,
    status_line,
)


def run_batch(
    repo: Repository, bundle: dict, base_url: str, representation: bool = False, *, access: Access | None
) -> dict:
    raw_entries = bundle.get("entry") or []
    if not isinstance(raw_entries, list):
        raise bad_request("Bundle.entry must be an array")
    results: list[dict | None] = [None] * len(raw_entries)
    entries: list[Entry] = []
    for index, raw in enumerate(raw_entries):  # a malformed entry fails alone, not the batch
        try:
            entries.append(parse_entry(index, raw, base_url))
        except Exception as exc:
            results[index] = failure_entry(entry_error(_bare(index, raw), exc))
    with repo.unit_of_work() as uow:
        for count, e in enumerate(processing_order(entries)):
            results[e.index] = _run_isolated(uow, e, base_url, representation, access)
            if count % CLEAR_EVERY == CLEAR_EVERY - 1:
                uow.release_memory()
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "batch-response", "entry": results}


def _run_isolated(
    uow: UnitOfWork, e: Entry, base_url: str, representation: bool, access: Access | None
) -> dict:
    try:
        with uow.savepoint():
            plan = Plan(access=access)
            plan_entry(uow, e, plan, base_url)
            plan.mapping.clear()  # no cross-entry links in a batch; the entry's own id plan is kept
            check_placeholders([e], plan)
            return execute(uow, e, plan, base_url).response_entry(base_url, representation)
    except Exception as exc:
        return failure_entry(entry_error(e, exc))


def failure_entry(error) -> dict:
    return {"response": {"status": status_line(error.status), "outcome": error.outcome}}


def _bare(index: int, raw) -> Entry:
    full_url = raw.get("fullUrl") if isinstance(raw, dict) else None
    return Entry(index, full_url, "", "", None, None, None, "", None, None, None)
