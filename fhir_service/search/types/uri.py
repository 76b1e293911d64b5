"""uri: exact by default, `:below` (prefix) and `:above` (the value's ancestors)."""

from __future__ import annotations

from ..hashing import h64
from .common import MAX_CHAR, unsupported


def extract(values: list) -> list[dict]:
    return [{"uri": v[:512], "h_uri": h64(v)} for v in values if isinstance(v, str) and v]


def _ancestors(uri: str) -> list[str]:
    """'http://a/b/c' → ['http://a/b/c', 'http://a/b', 'http://a'] (the :above candidates)."""
    found, cut = [uri], uri
    while "/" in cut.rstrip("/")[cut.find("://") + 3 if "://" in cut else 0 :]:
        cut = cut.rstrip("/").rsplit("/", 1)[0]
        found.append(cut)
    return found


def predicate(table, modifier: str | None, raw: str, param):
    if modifier in (None, "not"):
        return table.h_uri == h64(raw)
    if modifier == "below":
        return (table.uri >= raw) & (table.uri < raw + MAX_CHAR)
    if modifier == "above":
        return table.h_uri.in_([h64(u) for u in _ancestors(raw)])
    raise unsupported(modifier, "uri")


def sort_column(table):
    return table.uri
