"""Write-time indexing (stub: the store can call it already; the real indexer replaces it)."""

from __future__ import annotations


def index_resource(session, resource_pk: int, resource: dict) -> None:
    """Replace the index rows of `resource_pk` with those extracted from `resource` (current version)."""


def remove_from_index(session, resource_pk: int) -> None:
    """Drop every index row of a deleted resource."""
