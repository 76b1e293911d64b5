"""The server's glibc malloc settings (fhir_service/rest/allocator.py): applied where glibc has them,
never over what the environment already set, and not at all when switched off."""

from __future__ import annotations

import ctypes.util

import pytest

from fhir_service.rest import allocator

glibc = pytest.mark.skipif(ctypes.util.find_library("c") is None, reason="no C library found")


@glibc
def test_settings_apply_unless_the_environment_set_them(monkeypatch):
    monkeypatch.delenv("FHIR_SERVICE_MALLOC_TUNING", raising=False)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    applied = allocator.tune()
    if not applied:
        pytest.skip("not glibc: no mallopt")
    assert applied == {"MALLOC_ARENA_MAX": allocator.ARENA_MAX}


def test_switched_off_it_leaves_the_defaults(monkeypatch):
    monkeypatch.setenv("FHIR_SERVICE_MALLOC_TUNING", "0")
    assert allocator.tune() == {}
