"""transaction and batch (POST /fhir with a Bundle), per R5 http.html#transaction.

    status, headers, response_bundle = process(repo, bundle, base_url)

A transaction runs in ONE unit of work: entries are processed DELETE → POST → PUT/PATCH →
GET/HEAD, and any failure rolls back everything; the answer is then an OperationOutcome naming the
failing entry (index and fullUrl). Before anything is written, every POST (and every conditional
PUT/create) gets its identity, so `urn:uuid:`/`urn:oid:` fullUrls, conditional references and
narrative links can be rewritten to the final `Type/id` wherever they occur (references.py).

entries.py parses, plans and runs the entries and the transaction; a batch (batch.py) runs each entry in its own savepoint of one unit of work and reports per entry.

The create/update/delete/patch/read/search logic is the interaction handlers' (create.py,
update.py, …): they are called with a repository adapter whose `unit_of_work()` hands back the
Bundle's ongoing unit of work instead of opening a new database transaction.

Memory: the request Bundle is already in memory; per entry the processor keeps only the small
response entry (status, location, etag), and the session is flushed and cleared every
`CLEAR_EVERY` entries so 10,000+ entries do not pile up ORM objects.
"""

from __future__ import annotations

from fhir_service.interactions.errors import bad_request
from fhir_service.interactions.ports import Access, Repository
from fhir_service.interactions.transaction.batch import run_batch
from fhir_service.interactions.transaction.entries import CLEAR_EVERY, parse_entries, run_transaction
from fhir_service.limits import check_bundle_entries

__all__ = ["CLEAR_EVERY", "parse_entries", "process", "run_batch", "run_transaction"]


def process(
    repo: Repository, bundle: dict, base_url: str, prefer: str | None = None, *, access: Access | None
):
    """POST /fhir with a transaction or batch Bundle → (status, headers, transaction-/batch-response).
    A failed transaction raises FhirError (the REST layer renders its OperationOutcome); `access`:
    what the caller may search (conditional entries, GET entries)."""
    check_bundle_entries(bundle)
    kind = bundle.get("type")
    base_url = base_url.rstrip("/")
    representation = (prefer or "").replace(" ", "").find("return=representation") >= 0
    if kind == "batch":
        return 200, {}, run_batch(repo, bundle, base_url, representation, access=access)
    if kind != "transaction":
        raise bad_request("POST to the base URL takes a Bundle of type transaction or batch")
    return 200, {}, run_transaction(repo, bundle, base_url, representation, access=access)
