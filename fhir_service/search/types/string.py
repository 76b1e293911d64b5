"""string: case- and accent-insensitive prefix by default, `:exact`, `:contains`."""

from __future__ import annotations

from ..normalise import normalise
from .common import MAX_CHAR, like_escape, unsupported

_NAME_PARTS = ("text", "family", "given", "prefix", "suffix")
_ADDRESS_PARTS = ("text", "line", "city", "district", "state", "postalCode", "country")


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):  # HumanName, Address: every part is searchable
        found = []
        for key in _NAME_PARTS + _ADDRESS_PARTS:
            part = value.get(key)
            found.extend(part if isinstance(part, list) else [part] if isinstance(part, str) else [])
        return found
    return []


def extract(values: list) -> list[dict]:
    rows = []
    for value in values:
        for s in _strings(value):
            norm = normalise(s)
            if norm:
                rows.append({"value_norm": norm, "value_exact": s[:512]})
    return rows


def predicate(table, modifier: str | None, raw: str, param):
    if modifier is None:
        prefix = normalise(raw)
        return (table.value_norm >= prefix) & (table.value_norm < prefix + MAX_CHAR)
    if modifier == "exact":
        return table.value_exact == raw
    if modifier == "contains":
        return table.value_norm.like(f"%{like_escape(normalise(raw))}%", escape="\\")
    raise unsupported(modifier, "string")


def sort_column(table):
    return table.value_norm
