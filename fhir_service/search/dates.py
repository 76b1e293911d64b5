"""FHIR date/dateTime/instant values as half-open ranges [low, high) in integer microseconds (UTC).

A partial value covers its whole precision: "2024" is all of 2024, "2024-03-05T10:00" one minute.
Values without a zone are taken as UTC (the server's zone); the spec leaves this to the server."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, timezone

from .errors import SearchError

_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$",
    re.ASCII,
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_US = -(2**62)
MAX_US = 2**62
MAX_OFFSET_MINUTES = 14 * 60  # FHIR's time zones: -14:00 to +14:00
_DAY_US = 86_400_000_000


def to_us(dt: datetime) -> int:
    delta = dt - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


# What a datetime (and so a database timestamp bound from one) can hold, in µs since the epoch.
FIRST_US = to_us(datetime.min.replace(tzinfo=UTC))
LAST_US = to_us(datetime.max.replace(tzinfo=UTC))


def to_datetime(us: int) -> datetime:
    """µs since the epoch as a UTC datetime, clamped to 0001-01-01 … 9999-12-31T23:59:59.999999Z (a
    bound past either end, such as 9999-12-31T23:59:59-14:00, selects the same rows)."""
    return EPOCH + timedelta(microseconds=max(FIRST_US, min(LAST_US, us)))


def parse_range(value: str) -> tuple[int, int]:
    """[low, high) µs for a FHIR date/dateTime/instant string; SearchError when it is malformed
    or outside FHIR's range (years 0001-9999, offsets within ±14:00). The bounds are integers, so
    the end of 9999 needs no datetime past it."""
    m = _DATE.match(value.strip())
    if not m:
        raise SearchError(f"Invalid date '{value}'")
    g = m.groupdict()
    if not 1 <= int(g["y"]) <= 9999:
        raise SearchError(f"Invalid date '{value}': the year must be 0001 to 9999")
    tz = UTC
    if g["tz"] and g["tz"] != "Z":
        hours, minutes = int(g["tz"][1:3]), int(g["tz"][4:6])
        if minutes > 59 or hours * 60 + minutes > MAX_OFFSET_MINUTES:
            raise SearchError(f"Invalid date '{value}': the time zone offset must be within ±14:00")
        sign = 1 if g["tz"][0] == "+" else -1
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    digits = g["f"][1:] if g["f"] else ""
    try:
        start = datetime(
            int(g["y"]),
            int(g["m"] or 1),
            int(g["d"] or 1),
            int(g["H"] or 0),
            int(g["M"] or 0),
            int(g["S"] or 0),
            int((digits + "000000")[:6]),  # beyond µs: truncated
            tzinfo=tz,
        )
    except ValueError as exc:
        raise SearchError(f"Invalid date '{value}': {exc}") from exc
    low = to_us(start)
    if digits:
        span = 10 ** (6 - min(6, len(digits)))
    elif g["S"]:
        span = 1_000_000
    elif g["M"]:
        span = 60_000_000
    elif g["d"]:
        span = _DAY_US
    elif g["m"]:
        span = calendar.monthrange(start.year, start.month)[1] * _DAY_US
    else:
        span = (366 if calendar.isleap(start.year) else 365) * _DAY_US
    return low, low + span


def parse_instant(value: str, name: str, zone_required: bool = False) -> datetime:
    """A `_since`-style parameter: the start of a FHIR dateTime/instant as a UTC datetime (clamped,
    see to_datetime); SearchError naming `name` when it is not one or is out of range."""
    m = _DATE.match(value.strip())
    if zone_required and (m is None or not m["tz"]):
        raise SearchError(f"{name} must be a FHIR instant with a time zone (e.g. 2026-01-01T00:00:00Z)")
    try:
        low, _ = parse_range(value)
    except SearchError as exc:
        raise SearchError(f"{name} must be a FHIR instant: {exc.message}") from exc
    return to_datetime(low)
