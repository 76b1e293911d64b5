"""`fhir-service serve`'s default workers and threads (fhir_service/cli/serve.py): per database, counted
from the cores the process may use."""

from __future__ import annotations

import pytest

from fhir_service.cli import serve
from fhir_service.rest import server


@pytest.mark.parametrize(
    ("cores", "sqlite", "postgresql"),
    [(1, (2, 2), (2, 4)), (2, (2, 2), (2, 4)), (3, (3, 2), (3, 4)), (16, (8, 2), (8, 4))],
)
def test_workers_and_threads_follow_the_cores_and_the_database(monkeypatch, cores, sqlite, postgresql):
    monkeypatch.setattr(server.os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert serve.default_concurrency("sqlite:///var/fhir.sqlite") == sqlite
    assert serve.default_concurrency("postgresql://postgres@127.0.0.1:5432/test") == postgresql
    assert serve.default_concurrency("postgresql+psycopg://u@h/db") == postgresql
