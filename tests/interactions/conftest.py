"""The interactions over both stores: the in-memory one (store/memory.py) and the SQL one on the
configured database, each handed to the interactions through `PortOnly` (interaction_stores.py).

`store`: both stores, one SQL database per test module (tests make their own ids);
`fresh_store`: both stores, a new SQL database per test (history at type and system level);
`sql_store`: the SQL store alone, for what searches (the in-memory store has no search index).
"""

from __future__ import annotations

import pytest
from interaction_stores import PortOnly, ported

from fhir_service.store import memory


@pytest.fixture(params=["memory", "sql"])
def store(request) -> PortOnly:
    if request.param == "memory":
        return ported(memory.Repository())
    return ported(request.getfixturevalue("migrated_repo"))


@pytest.fixture(params=["memory", "sql"])
def fresh_store(request) -> PortOnly:
    if request.param == "memory":
        return ported(memory.Repository())
    return ported(request.getfixturevalue("fresh_repo"))


@pytest.fixture()
def sql_store(migrated_repo) -> PortOnly:
    return ported(migrated_repo)
