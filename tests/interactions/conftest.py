"""The interactions over both stores: the in-memory one (store/memory.py) and the SQL one on the
configured database, each handed to the interactions through `PortOnly` (interaction_stores.py).

`store`: both stores, one SQL database per test module (tests make their own ids);
`fresh_store`: both stores, a new SQL database per test (history at type and system level);
`sql_store`: the SQL store alone, for what searches (the in-memory store has no search index).
"""

from __future__ import annotations

import pytest
from interaction_stores import PortOnly

from fhir_service.interactions import ports
from fhir_service.store import memory


def _ported(repository, kind: str) -> PortOnly:
    ported = PortOnly(repository, ports.Repository)
    ported.kind = kind
    return ported


@pytest.fixture(params=["memory", "sql"])
def store(request) -> PortOnly:
    if request.param == "memory":
        return _ported(memory.Repository(), "memory")
    return _ported(request.getfixturevalue("migrated_repo"), "sql")


@pytest.fixture(params=["memory", "sql"])
def fresh_store(request) -> PortOnly:
    if request.param == "memory":
        return _ported(memory.Repository(), "memory")
    return _ported(request.getfixturevalue("fresh_repo"), "sql")


@pytest.fixture()
def sql_store(migrated_repo) -> PortOnly:
    return _ported(migrated_repo, "sql")
