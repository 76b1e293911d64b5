"""Quantities, units and timing patterns put on one footing so that a structured value and a gold value
can be compared: a unit string (UCUM code or human unit, as the converter or an annotator writes it) is
parsed into a base unit with a factor, per-kg / per-m² flags and a per-time part; Timing.repeat and
Timing.code are read as administrations per day and intervals in hours. Nothing here knows about FHIR
resources or gold files; it only answers "is this the same amount / the same pattern".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# base unit → (dimension, factor to the dimension's reference unit)
_MASS = {"mg": 1.0, "g": 1000.0, "mcg": 0.001, "ug": 0.001, "ng": 1e-6, "kg": 1e6}
_VOLUME = {"ml": 1.0, "l": 1000.0}
_OTHER = {
    "[iu]": ("IU", 1.0),
    "iu": ("IU", 1.0),
    "international unit": ("IU", 1.0),
    "[u]": ("units", 1.0),
    "u": ("units", 1.0),
    "unit": ("units", 1.0),
    "mmol": ("mmol", 1.0),
    "meq": ("mEq", 1.0),
    "%": ("%", 1.0),
    "[drp]": ("drop", 1.0),
    "tab": ("tablet", 1.0),
    "tbl": ("tablet", 1.0),
    "cap": ("capsule", 1.0),
    "actuation": ("puff", 1.0),
}
# the per-time part of a unit, in hours
_TIME_HOURS = {
    "s": 1 / 3600,
    "min": 1 / 60,
    "h": 1.0,
    "hr": 1.0,
    "hour": 1.0,
    "24.h": 24.0,
    "d": 24.0,
    "day": 24.0,
    "wk": 168.0,
    "week": 168.0,
    "mo": 730.0,
    "month": 730.0,
    "a": 8766.0,
    "year": 8766.0,
}
# Timing.periodUnit → hours; a month is 730 h, as the gold format writes "monthly"
PERIOD_HOURS = {"s": 1 / 3600, "min": 1 / 60, "h": 1.0, "d": 24.0, "wk": 168.0, "mo": 730.0, "a": 8766.0}
# age units of patientCharacteristic ranges → years
AGE_YEARS = {"a": 1.0, "mo": 1 / 12, "wk": 7 / 365.25, "d": 1 / 365.25, "h": 1 / 8766}

# v3-GTSAbbreviation codes and the one pattern each asserts
CODE_MEANINGS: dict[str, tuple[str, float]] = {
    "QD": ("frequency", 1),
    "BID": ("frequency", 2),
    "TID": ("frequency", 3),
    "QID": ("frequency", 4),
    "AM": ("frequency", 1),
    "PM": ("frequency", 1),
    "BED": ("frequency", 1),
    "Q1H": ("interval", 1),
    "Q2H": ("interval", 2),
    "Q3H": ("interval", 3),
    "Q4H": ("interval", 4),
    "Q6H": ("interval", 6),
    "Q8H": ("interval", 8),
    "Q12H": ("interval", 12),
    "QOD": ("interval", 48),
    "WK": ("interval", 168),
    "MO": ("interval", 730),
}


@dataclass(frozen=True)
class Unit:
    dimension: str  # "mass", "volume", "IU", "tablet", ... (count units keep their own name)
    factor: float  # to the dimension's reference unit (mg, mL, 1)
    per_kg: bool = False
    per_m2: bool = False
    per_hours: float | None = None  # the "/d" of mg/d is 24; None for an amount

    @property
    def per_day(self) -> bool:
        return self.per_hours is not None and close(self.per_hours, 24.0)


@dataclass(frozen=True)
class Span:
    """A closed range of numbers; high is None for an open upper end ("30 mcg to several mg")."""

    low: float | None
    high: float | None

    def __str__(self) -> str:
        if self.low is not None and self.high is not None and close(self.low, self.high):
            return _num(self.low)
        return f"{_num(self.low) if self.low is not None else '?'}–{_num(self.high) if self.high is not None else '?'}"


def _num(value: float) -> str:
    return f"{value:g}"


def close(a: float | None, b: float | None) -> bool:
    """Equal up to an annotator's rounding (3/7 written 0.4286)."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-9)


def same_span(a: Span | None, b: Span | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return close(a.low, b.low) and close(a.high, b.high)


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def parse_unit(text: str | None) -> Unit | None:
    """'mg/kg/d', 'mg/(kg.d)', 'ug', '[iU]', '{tablet}', 'tablets', 'mg/m2' → Unit; None when empty."""
    if not text:
        return None
    s = text.strip().lower().replace("µ", "u").replace("μ", "u").replace("²", "2")
    s = re.sub(r"\{([^}]*)\}", r"\1", s)  # UCUM annotations: {tablet} is a count of tablets
    s = s.replace("(", "").replace(")", "").replace(".", "/") if "(" in s else s
    s = re.sub(r"\s*/\s*", "/", s).replace(" per ", "/")
    head, *rest = [part.strip() for part in s.split("/") if part.strip()] or [""]
    per_kg = per_m2 = False
    per_hours: float | None = None
    for part in rest:
        if part in ("kg", "kg body weight"):
            per_kg = True
        elif part in ("m2", "m^2", "m2 bsa"):
            per_m2 = True
        elif part in _TIME_HOURS or _singular(part) in _TIME_HOURS:
            per_hours = _TIME_HOURS.get(part, _TIME_HOURS.get(_singular(part)))
        elif part == "24" or part == "24h":
            per_hours = 24.0
    if head == "mcg":
        head = "ug"
    if head in _MASS:
        return Unit("mass", _MASS[head], per_kg, per_m2, per_hours)
    if head in _VOLUME:
        return Unit("volume", _VOLUME[head], per_kg, per_m2, per_hours)
    word = head if head in _OTHER else _singular(head)
    if word in _OTHER:
        dimension, factor = _OTHER[word]
        return Unit(dimension, factor, per_kg, per_m2, per_hours)
    return Unit(word, 1.0, per_kg, per_m2, per_hours)  # a count unit named as written (tablet, puff, ...)


def same_unit_basis(a: Unit, b: Unit) -> bool:
    """Same dimension, same per-kg/per-m² and per-time parts (the factor may differ)."""
    return (
        a.dimension == b.dimension
        and a.per_kg == b.per_kg
        and a.per_m2 == b.per_m2
        and close(a.per_hours, b.per_hours)
    )


def to_reference(span: Span, unit: Unit) -> Span:
    scale = unit.factor
    return Span(
        span.low * scale if span.low is not None else None,
        span.high * scale if span.high is not None else None,
    )


def same_amount(a: Span, a_unit: Unit, b: Span, b_unit: Unit, *, ignore_time: bool = False) -> bool:
    """Both bounds equal once both are in the reference unit of one dimension."""
    if ignore_time:
        a_unit = Unit(a_unit.dimension, a_unit.factor, a_unit.per_kg, a_unit.per_m2, None)
        b_unit = Unit(b_unit.dimension, b_unit.factor, b_unit.per_kg, b_unit.per_m2, None)
    if not same_unit_basis(a_unit, b_unit):
        return False
    return same_span(to_reference(a, a_unit), to_reference(b, b_unit))


def unit_label(unit: Unit) -> str:
    names = {"mass": "mg", "volume": "mL"}
    out = names.get(unit.dimension, unit.dimension)
    if unit.per_kg:
        out += "/kg"
    if unit.per_m2:
        out += "/m2"
    if unit.per_hours is not None:
        out += "/d" if unit.per_day else f"/{_num(unit.per_hours)}h"
    return out


def describe_amount(span: Span, unit: Unit) -> str:
    """'40–50 mg/kg', in the reference unit so that equal values print alike."""
    return f"{to_reference(span, unit)} {unit_label(unit)}"


@dataclass(frozen=True)
class Pattern:
    """What a timing says: administrations per day and/or the interval between them in hours."""

    frequency: Span | None = None  # per day
    interval: Span | None = None  # hours

    def __str__(self) -> str:
        parts = []
        if self.frequency is not None:
            parts.append(f"{self.frequency}×/d")
        if self.interval is not None:
            parts.append(f"every {self.interval} h")
        return ", ".join(parts) or "none"


def _invert(span: Span) -> Span | None:
    """Administrations per day ↔ hours between them: 24/x, bounds swapped."""
    if span.low is None or span.high is None or span.low <= 0 or span.high <= 0:
        return None
    return Span(24 / span.high, 24 / span.low)


def with_equivalents(frequency: Span | None, interval: Span | None) -> Pattern:
    """Fill the missing half: 'every 12 hours' is 2×/d, 'twice daily' every 12 h, 'every 8-12 h' 2–3×/d."""
    if frequency is None and interval is not None:
        frequency = _invert(interval)
    if interval is None and frequency is not None:
        interval = _invert(frequency)
    return Pattern(frequency, interval)


def repeat_value(repeat: dict) -> tuple[str, Span] | None:
    """Timing.repeat → ("frequency", per day) or ("interval", hours), or None when it states neither.

    A period of exactly one day carries a frequency; otherwise a single event per period is an interval;
    several events per period of another length are turned into a rate per day."""
    period = repeat.get("period")
    unit = repeat.get("periodUnit")
    if period is None or unit not in PERIOD_HOURS:
        return None
    hours = PERIOD_HOURS[unit]
    period_max = repeat.get("periodMax")
    frequency = repeat.get("frequency", 1)
    frequency_max = repeat.get("frequencyMax")
    if period_max is None and close(period * hours, 24.0):
        return "frequency", Span(frequency, frequency_max if frequency_max is not None else frequency)
    if frequency == 1 and frequency_max is None:
        return "interval", Span(period * hours, (period_max if period_max is not None else period) * hours)
    longest = (period_max if period_max is not None else period) * hours
    high = frequency_max if frequency_max is not None else frequency
    return "frequency", Span(frequency * 24 / longest, high * 24 / (period * hours))


def administrations_per_day(repeat: dict | None, code: str | None) -> Span | None:
    """How many times a day the timing says the dose is given (None when it does not say)."""
    if repeat:
        value = repeat_value(repeat)
        if value is not None:
            kind, span = value
            return span if kind == "frequency" else _invert(span)
    if code in CODE_MEANINGS:
        kind, number = CODE_MEANINGS[code]
        span = Span(number, number)
        return span if kind == "frequency" else _invert(span)
    return None
