"""date: prefixes eq ne gt lt ge le sa eb ap over implicit precision ranges [low, high)."""

from __future__ import annotations

import time

from sqlalchemy import and_, not_, or_

from ..dates import MAX_US, MIN_US, parse_range
from .common import split_prefix, unsupported


def _range_of(value) -> tuple[int, int] | None:
    if isinstance(value, str):
        try:
            return parse_range(value)
        except Exception:
            return None  # not a date (the expression selected something else): not indexed
    if isinstance(value, dict):
        if "start" in value or "end" in value:  # Period: open ends are unbounded
            low = _range_of(value["start"])[0] if value.get("start") and _range_of(value["start"]) else MIN_US
            high = _range_of(value["end"])[1] if value.get("end") and _range_of(value["end"]) else MAX_US
            return low, high
    return None


def extract(values: list) -> list[dict]:
    rows = []
    for value in values:
        if isinstance(value, dict) and ("event" in value or "repeat" in value):  # Timing
            events = [_range_of(e) for e in value.get("event", ())]
            bounds = (value.get("repeat") or {}).get("boundsPeriod")
            ranges = [r for r in [*events, _range_of(bounds) if bounds else None] if r]
        else:
            ranges = [_range_of(value)] if _range_of(value) else []
        rows.extend({"low": low, "high": high} for low, high in ranges)
    return rows


def range_predicate(low_col, high_col, prefix: str, low: int, high: int):
    """The spec's prefix semantics for a target range [low_col, high_col) and search range [low, high)."""
    inside = and_(low_col >= low, high_col <= high)
    if prefix == "eq":
        return inside
    if prefix == "ne":
        return not_(inside)
    if prefix == "gt":
        return high_col > high
    if prefix == "lt":
        return low_col < low
    if prefix == "ge":
        return or_(high_col > high, inside)
    if prefix == "le":
        return or_(low_col < low, inside)
    if prefix == "sa":
        return low_col >= high
    if prefix == "eb":
        return high_col <= low
    # ap: overlap with the search range widened by 10% of its distance from now
    now = int(time.time() * 1_000_000)
    margin = abs(now - low) // 10
    return and_(low_col < high + margin, high_col > low - margin)


def predicate(table, modifier: str | None, raw: str, param):
    if modifier not in (None, "not"):
        raise unsupported(modifier, "date")
    prefix, value = split_prefix(raw)
    low, high = parse_range(value)
    return range_predicate(table.low, table.high, prefix, low, high)


def sort_column(table, descending: bool = False):
    return table.high if descending else table.low
