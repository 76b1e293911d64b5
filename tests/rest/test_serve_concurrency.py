"""`fhir-service serve`'s default workers and threads (fhir_service/cli/serve.py): counted from the
cores the process may use."""

from __future__ import annotations

import pytest

from fhir_service.cli import serve
from fhir_service.rest import server


@pytest.mark.parametrize(("cores", "expected"), [(1, (2, 2)), (2, (2, 2)), (3, (3, 2)), (16, (8, 2))])
def test_workers_follow_the_cores(monkeypatch, cores, expected):
    monkeypatch.setattr(server.os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert serve.default_concurrency() == expected
