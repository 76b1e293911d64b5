"""FHIR date/dateTime/instant values as half-open ranges [low, high) in integer microseconds (UTC).

A partial value covers its whole precision: "2024" is all of 2024, "2024-03-05T10:00" one minute.
Values without a zone are taken as UTC (the server's zone); the spec leaves this to the server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from .errors import SearchError

_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_US = -(2**62)
MAX_US = 2**62


def to_us(dt: datetime) -> int:
    delta = dt - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _add_months(dt: datetime, months: int) -> datetime:
    total = dt.month - 1 + months
    return dt.replace(year=dt.year + total // 12, month=total % 12 + 1)


def parse_range(value: str) -> tuple[int, int]:
    """[low, high) µs for a FHIR date/dateTime/instant string; SearchError(400) when malformed."""
    m = _DATE.match(value.strip())
    if not m:
        raise SearchError(400, f"Invalid date '{value}'")
    g = m.groupdict()
    tz = UTC
    if g["tz"] and g["tz"] != "Z":
        sign = 1 if g["tz"][0] == "+" else -1
        hours, minutes = int(g["tz"][1:3]), int(g["tz"][4:6])
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        start = datetime(
            int(g["y"]),
            int(g["m"] or 1),
            int(g["d"] or 1),
            int(g["H"] or 0),
            int(g["M"] or 0),
            int(g["S"] or 0),
            int(round(float(g["f"]) * 1_000_000)) if g["f"] else 0,
            tzinfo=tz,
        )
    except ValueError as exc:
        raise SearchError(400, f"Invalid date '{value}': {exc}") from exc
    if g["f"]:
        step = timedelta(microseconds=max(1, int(10 ** (6 - min(6, len(g["f"]) - 1)))))
        end = start + step
    elif g["S"]:
        end = start + timedelta(seconds=1)
    elif g["M"]:
        end = start + timedelta(minutes=1)
    elif g["d"]:
        end = start + timedelta(days=1)
    elif g["m"]:
        end = _add_months(start, 1)
    else:
        end = start.replace(year=start.year + 1)
    return to_us(start), to_us(end)
