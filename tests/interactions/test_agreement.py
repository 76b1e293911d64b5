"""The two stores agree on a long run of mixed writes: the same seeded sequence of updates, deletes
and patches with right, stale and absent If-Match / If-None-Match, run through the interactions on the
in-memory and on the SQL store, gives the same statuses, versions, contents and histories."""

from __future__ import annotations

import random

import pytest
from interaction_stores import organization, ported

from fhir_service.interactions.delete import delete
from fhir_service.interactions.errors import as_fhir_error
from fhir_service.interactions.history import history
from fhir_service.interactions.patch import patch
from fhir_service.interactions.read import read, vread
from fhir_service.interactions.update import update
from fhir_service.store import memory
from fhir_service.stored import new_id

STEPS = 120


def _script(seed: int) -> list[tuple]:
    rng = random.Random(seed)
    steps = []
    for n in range(STEPS):
        name = rng.choice("abc")
        version = rng.choice([None, None, "1", "2", "3", "4", "5"])
        kind = rng.choice(["put", "put", "put-same", "put-none-match", "delete", "patch", "read", "vread"])
        steps.append((kind, name, version, f"v{n}"))
    return steps


def _outcome(call, *args, **kwargs) -> tuple:
    """What a client would see, without what the clock decides (lastUpdated)."""
    try:
        result = call(*args, **kwargs)
    except Exception as exc:
        error = as_fhir_error(exc)
        if error is None:
            raise
        return (error.status,)
    stored = result.stored
    if stored is None:
        return (result.status,)
    body = stored.resource()
    if body is not None:
        body = {**body, "id": "-", "meta": {**body["meta"], "lastUpdated": "-"}}
    return (result.status, stored.version_id, stored.deleted, body)


def _run(store, ids: dict[str, str], steps: list[tuple]) -> list[tuple]:
    seen = []
    for kind, name, version, text in steps:
        rid = ids[name]
        if kind.startswith("put"):
            alias = ["same"] if kind == "put-same" else [text]
            none_match = frozenset({"*"}) if kind == "put-none-match" else None
            outcome = _outcome(
                update, store, "Organization", rid, organization(rid, alias=alias), version, none_match
            )
        elif kind == "delete":
            outcome = _outcome(delete, store, "Organization", rid, version)
        elif kind == "patch":
            operations = [{"op": "add", "path": "/alias", "value": [text]}]
            outcome = _outcome(patch, store, "Organization", rid, operations, "json-patch", version)
        elif kind == "read":
            outcome = _outcome(read, store, "Organization", rid)
        else:
            outcome = _outcome(vread, store, "Organization", rid, version or "1")
        seen.append((kind, name, version, outcome))
    for name, rid in sorted(ids.items()):
        try:
            page = history(store, [("_count", "1000")], "http://x/fhir", "Organization", rid).body
        except Exception as exc:
            seen.append((name, as_fhir_error(exc).status))
            continue
        seen.append(
            (
                name,
                [
                    (e["request"]["method"], e["response"]["status"], e["response"]["etag"])
                    for e in page.get("entry", [])
                ],
            )
        )
    return seen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_stores_agree_on_a_long_run_of_writes(migrated_repo, seed):
    steps = _script(seed)
    in_memory = _run(ported(memory.Repository()), {n: new_id() for n in "abc"}, steps)
    in_sql = _run(ported(migrated_repo), {n: new_id() for n in "abc"}, steps)
    assert in_memory == in_sql
    statuses = {outcome[0] for *_, outcome in in_memory[:STEPS]}
    assert {200, 201, 204, 404, 410, 412} <= statuses  # the run reached every rule
