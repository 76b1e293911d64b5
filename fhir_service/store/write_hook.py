"""What a write runs in its transaction besides storing: keeping the search index in step.

The search package registers the hook when it is imported (fhir_service/search/__init__.py), so the
store runs it without importing what sits above it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class IndexHook:
    index: Callable  # (session, pk, stored resource dict): replace one resource's index rows
    remove: Callable  # (session, pk): drop them (a delete)
    index_many: Callable  # (session, [(pk, resource, new?, precomputed rows | None)], rows registry)
    fill_text: Callable  # (connection, [(pk, resource dict)]): full-text rows of stored resources


_hook: IndexHook | None = None


def register(hook: IndexHook) -> None:
    global _hook
    _hook = hook


def index_hook() -> IndexHook:
    if _hook is None:  # a write without its index rows would be a silent, lasting error
        raise RuntimeError("no index hook registered: import fhir_service.search before writing")
    return _hook
