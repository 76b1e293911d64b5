"""number: prefixes over the implicit range of the stated precision ("100" is [99.5, 100.5))."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, not_

from ..errors import SearchError
from .common import split_prefix, unsupported


def implicit_range(text: str) -> tuple[float, float, float]:
    """(value, low, high) for a decimal as written; SearchError when it is not a number."""
    try:
        d = Decimal(text)
    except InvalidOperation as exc:
        raise SearchError(f"Invalid number '{text}'") from exc
    if not d.is_finite():
        raise SearchError(f"Invalid number '{text}'")
    try:
        half = Decimal(5).scaleb(d.as_tuple().exponent - 1)
        return float(d), float(d - half), float(d + half)
    except ArithmeticError as exc:  # decimal.Overflow from 1e1000000 on: was a 500
        raise SearchError(f"Number '{text[:50]}' is out of range") from exc


def value_predicate(low_col, high_col, prefix: str, text: str):
    """Prefix semantics for a stored [low_col, high_col] against a number as written."""
    value, low, high = implicit_range(text)
    if prefix == "eq":
        return and_(low_col >= low, high_col < high)
    if prefix == "ne":
        return not_(and_(low_col >= low, high_col < high))
    if prefix == "gt":
        return high_col > value
    if prefix == "lt":
        return low_col < value
    if prefix == "ge":
        return high_col >= value
    if prefix == "le":
        return low_col <= value
    if prefix == "sa":
        return low_col > value
    if prefix == "eb":
        return high_col < value
    margin = abs(value) * 0.1  # ap: within 10%
    return and_(low_col <= value + margin, high_col >= value - margin)


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):  # fhirpathpy yields Decimal for FHIR decimals
        return float(value)
    if isinstance(value, str):
        try:
            return float(Decimal(value))
        except InvalidOperation:
            return None
    return None


def extract(values: list) -> list[dict]:
    return [{"low": n, "high": n} for v in values if (n := _number(v)) is not None]


def predicate(table, modifier: str | None, raw: str, param):
    if modifier not in (None, "not"):
        raise unsupported(modifier, "number")
    prefix, text = split_prefix(raw)
    return value_predicate(table.low, table.high, prefix, text)


def sort_column(table, descending: bool = False):
    return table.high if descending else table.low
