"""quantity: [prefix]number[|system|code]; `number||code` matches code or unit in any system."""

from __future__ import annotations

from sqlalchemy import and_

from ..hashing import h64
from .common import split_escaped, split_prefix, unsupported
from .number import _number, value_predicate


def _row(q: dict, low: float, high: float) -> dict:
    system, code, unit = q.get("system"), q.get("code"), q.get("unit")
    return {
        "system": system[:512] if system else None,
        "code": code[:64] if code else None,
        "unit": unit[:64] if unit else None,
        "h_sys_code": h64(system or "", code or unit or ""),
        "h_code": h64(code or unit or ""),
        "low": low,
        "high": high,
    }


def rows_for(value) -> list[dict]:
    if not isinstance(value, dict):
        return []
    if "low" in value or "high" in value:  # Range: unit from whichever end has one
        low, high = value.get("low") or {}, value.get("high") or {}
        lo, hi = _number(low.get("value")), _number(high.get("value"))
        if lo is None and hi is None:
            return []
        return [
            _row(low or high, lo if lo is not None else float("-inf"), hi if hi is not None else float("inf"))
        ]
    n = _number(value.get("value"))
    if n is None:
        return []
    if "currency" in value:  # Money
        return [_row({"system": "urn:iso:std:iso:4217", "code": value["currency"]}, n, n)]
    return [_row(value, n, n)]


def extract(values: list) -> list[dict]:
    return [row for v in values for row in rows_for(v)]


def predicate(table, modifier: str | None, raw: str, param):
    if modifier not in (None, "not"):
        raise unsupported(modifier, "quantity")
    parts = split_escaped(raw, "|")
    number, system, code = (parts + ["", ""])[:3]
    prefix, number = split_prefix(number)
    clause = value_predicate(table.low, table.high, prefix, number)
    if code and system:
        return and_(clause, table.h_sys_code == h64(system, code))
    if code:
        return and_(clause, table.h_code == h64(code))
    return clause


def sort_column(table, descending: bool = False):
    return table.high if descending else table.low
