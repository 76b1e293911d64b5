"""Search entry points used by the store's Repository (stub until the query compiler lands)."""

from __future__ import annotations

from .errors import SearchError


def search(
    session,
    resource_types: list[str] | None,
    params: list[tuple[str, str]],
    *,
    base_url: str,
    strict: bool = False,
) -> dict:
    """Run a search and return a searchset Bundle dict."""
    raise SearchError(501, "Search is not implemented yet", code="not-supported")


def match(session, resource_type: str, params: list[tuple[str, str]], limit: int = 2) -> list[int]:
    """Resource pks matching `params` (conditional create/update/delete); at most `limit`."""
    raise SearchError(501, "Search is not implemented yet", code="not-supported")
