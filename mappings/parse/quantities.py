"""Dose phrases: amounts and ranges with normalised units, frequencies, durations, maximum daily dose."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Amount, Frequency
from ..terminology import codes

WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "single": 1,
}
_NUM = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|\.\d+"
_WNUM = rf"(?:{_NUM}|{'|'.join(WORD_NUMBERS)})"

# spelling → normalised unit; the longest spellings are tried first
_UNITS: dict[str, str] = {}
for unit, spellings in {
    "mg/kg/day": ["mg/kg/day", "mg/kg/d", "mg/kg per day", "mg per kg per day", "mg/kg daily"],
    "mcg/kg/day": ["mcg/kg/day", "µg/kg/day", "μg/kg/day"],
    "mg/m2": ["mg/m2", "mg/m²", "mg/m^2", "mg per square meter", "mg per square metre", "mg/sq m"],
    "mcg/m2": ["mcg/m2", "mcg/m²", "µg/m²", "µg/m2"],
    "g/m2": ["g/m2", "g/m²"],
    "units/m2": ["units/m2", "units/m²", "IU/m²", "IU/m2"],
    "mg/kg": ["mg/kg/dose", "mg/kg", "mg per kg", "mg per kilogram", "mg/kilogram"],
    "mcg/kg": ["mcg/kg", "µg/kg", "μg/kg", "micrograms/kg", "micrograms per kg", "mcg per kg"],
    "g/kg": ["g/kg", "g per kg"],
    "mL/kg": ["mL/kg", "ml/kg"],
    "units/kg": ["units/kg", "unit/kg", "units per kg"],
    "IU/kg": ["IU/kg", "IU per kg"],
    "mg": ["mg", "milligrams", "milligram"],
    "mcg": ["mcg", "µg", "μg", "micrograms", "microgram", "ug"],
    "g": ["g", "grams", "gram", "gm"],
    "mL": ["mL", "ml", "milliliters", "millilitres", "milliliter", "millilitre", "cc"],
    "IU": ["IU", "international units", "international unit"],
    "units": ["units", "unit", "U"],
    "mEq": ["mEq", "meq"],
    "mmol": ["mmol"],
    "%": ["%", "percent"],
    "tablet": ["tablets", "tablet"],
    "capsule": ["capsules", "capsule"],
    "puff": ["puffs", "puff", "inhalations", "inhalation"],
    "drop": ["drops", "drop"],
    "spray": ["sprays", "spray"],
}.items():
    for spelling in spellings:
        _UNITS[spelling.lower()] = unit
_UNIT_RE = "|".join(re.escape(s) for s in sorted(_UNITS, key=len, reverse=True))
# a unit must end the word, and "/" may only continue as a daily rate: "mL/min", "mg/dL" are not doses
_UNIT = rf"(?P<unit>{_UNIT_RE})(?![A-Za-z²]|\s*/(?!\s*(?:day|d\b|24|dose)))(?:/dose)?"
_BODY_WEIGHT = r"(?:\s+(?:of|per kg of)\s+body\s*weight)?"
_PER_DAY = r"(?P<perday>\s*(?:/\s*day|/\s*d\b|per day|a day|/24\s*h(?:ours)?|daily))?"

DOSE = re.compile(
    rf"(?<![\w.])(?:from\s+)?(?P<low>{_NUM})\s*(?:(?P<unit1>{_UNIT_RE})\s*)?"
    rf"(?:(?:-|–|—|to)\s*(?P<high>{_NUM})\s*)?{_UNIT}{_BODY_WEIGHT}{_PER_DAY}",
    re.I,
)
MAX_DOSE = re.compile(
    rf"(?:max(?:imum|\.)?|not (?:to )?exceed(?:ing)?|no more than|up to a maximum of|should not exceed|ceiling)"
    rf"[^.;\d]{{0,40}}?(?P<value>{_NUM})\s*(?P<unit>{_UNIT_RE})(?![A-Za-z]|/(?!\s*(?:day|d\b|24)))(?P<tail>[^.;,]{{0,25}})",
    re.I,
)
_DIVIDED = re.compile(
    rf"\b(?:divided|split)\s+(?:into|in)\s+(?P<n>{_WNUM})(?:\s*(?:-|to|or)\s*{_WNUM})?\s+(?:equal\s+|separate\s+)?doses"
    rf"|\bin\s+(?P<n2>{_WNUM})(?:\s*(?:-|to|or)\s*{_WNUM})?\s+divided\s+doses|\bin\s+divided\s+doses",
    re.I,
)
_DURATION = re.compile(
    rf"\bfor\s+(?:up to\s+|at least\s+|a(?:\s+further)?\s+|another\s+)?(?P<v>{_WNUM})(?:\s*(?:-|–|to)\s*{_WNUM})?\s*"
    r"(?P<u>days?|weeks?|months?|years?|hours?|minutes?)\b",
    re.I,
)
_DURATION_UNITS = {"day": "d", "week": "wk", "month": "mo", "year": "a", "hour": "h", "minute": "min"}
# Timing.code only for codes the frequencies concept map can back (R5 timing-abbreviation).
TIMING_CODES = codes("frequencies")
_PER_DAY_CODES = {1: "QD", 2: "BID", 3: "TID", 4: "QID"}
_ABBREV_PAREN = r"(?:\s*\((?:OD|QD|BID|TID|QID|q\.?d\.?|b\.?i\.?d\.?|t\.?i\.?d\.?|q\.?i\.?d\.?)\))?"


@dataclass
class DoseMatch:
    start: int
    end: int
    low: float
    high: float
    unit: str
    per_day: bool  # "mg/day", "mg/kg/day", "mg daily"
    text: str


def number(text: str) -> float:
    t = text.lower().replace(",", "")
    return float(WORD_NUMBERS[t]) if t in WORD_NUMBERS else float(t)


def find_doses(text: str) -> list[DoseMatch]:
    out = []
    for m in DOSE.finditer(text):
        unit = _UNITS[m.group("unit").lower()]
        if m.group("unit1") and _UNITS[m.group("unit1").lower()] != unit:
            continue  # "5 mg to 10 mL" is not a range
        low = number(m.group("low"))
        high = number(m.group("high")) if m.group("high") else low
        perday_text = (m.group("perday") or "").strip().lower()
        per_day = unit.endswith("/day") or bool(perday_text and perday_text != "daily")
        if perday_text and unit in ("mg/kg", "mcg/kg"):
            unit, per_day = f"{unit}/day", True
        end = m.end("perday") if perday_text and perday_text != "daily" else m.end("unit")
        if unit.endswith("/day") and perday_text:
            end = m.end()
        out.append(DoseMatch(m.start(), end, low, high, unit, per_day, text[m.start() : end].strip()))
    return out


def unit_of(spelling: str) -> str:
    return _UNITS.get(spelling.lower(), spelling)


def find_max_daily(text: str) -> tuple[Amount, tuple[int, int]] | None:
    m = MAX_DOSE.search(text)
    if not m:
        return None
    unit = unit_of(m.group("unit"))
    return Amount(number(m.group("value")), unit, m.group(0).strip()), (m.start("value"), m.end("unit"))


def find_divided(text: str) -> tuple[int | None, str] | None:
    m = _DIVIDED.search(text)
    if not m:
        return None
    n = m.group("n") or m.group("n2")
    return (int(number(n)) if n else None), m.group(0)


def find_duration(text: str) -> tuple[str, float, str] | None:
    m = _DURATION.search(text)
    if not m:
        return None
    unit = _DURATION_UNITS[m.group("u").lower().rstrip("s")]
    return m.group(0), number(m.group("v")), unit


# --- frequency ----------------------------------------------------------------------------------

_FREQUENCIES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"\bevery\s+other\s+day\b|\bon\s+alternate\s+days\b|\bQOD\b", re.I), ("QOD", 1, 2, "d")),
    (
        re.compile(
            rf"\bevery\s+(?P<n>{_WNUM})(?:\s*(?:-|–|to)\s*{_WNUM})?\s*(?:hours?|hrs?|h)\b|\bq\.?\s?(?P<n2>\d+)(?:-\d+)?\s?h(?:r|rs|ours?)?\b|\bevery\s+hour\b",
            re.I,
        ),
        "hours",
    ),
    (re.compile(rf"\bevery\s+(?P<n>{_WNUM})(?:\s*(?:-|–|to)\s*{_WNUM})?\s*days?\b", re.I), ("days",)),
    (re.compile(rf"\bevery\s+(?P<n>{_WNUM})(?:\s*(?:-|–|to)\s*{_WNUM})?\s*weeks?\b", re.I), ("weeks",)),
    (re.compile(rf"\bevery\s+(?P<n>{_WNUM})(?:\s*(?:-|–|to)\s*{_WNUM})?\s*months?\b", re.I), ("months",)),
    (
        re.compile(r"\b(?:once\s+(?:a\s+|per\s+|each\s+)?week(?:ly)?|weekly|every\s+week)\b", re.I),
        ("WK", 1, 1, "wk"),
    ),
    (re.compile(r"\btwice\s+(?:a\s+|per\s+)?week(?:ly)?\b", re.I), (None, 2, 1, "wk")),
    (
        re.compile(r"\bevery\s+other\s+week\b|\bevery\s+alternate\s+week\b|\bfortnightly\b", re.I),
        (None, 1, 2, "wk"),
    ),
    (re.compile(rf"\b(?P<n>{_WNUM})\s+times\s+(?:a\s+|per\s+|each\s+)?week(?:ly)?\b", re.I), ("per_week",)),
    (
        re.compile(r"\b(?:once\s+(?:a\s+|per\s+|each\s+)?month(?:ly)?|monthly|every\s+month)\b", re.I),
        ("MO", 1, 1, "mo"),
    ),
    (
        re.compile(
            rf"\b(?:once\s+(?:a\s+|per\s+|every\s+|each\s+)?day|once[-\s]daily|once\s+a\s+day|OD|QD|q\.d\.|every\s+24\s+hours){_ABBREV_PAREN}",
            re.I,
        ),
        ("QD", 1, 1, "d"),
    ),
    (
        re.compile(
            rf"\b(?:twice\s+(?:a\s+|per\s+|each\s+)?(?:day|daily)|twice[-\s]daily|two\s+times\s+(?:a\s+|per\s+)?(?:day|daily)|BID|b\.i\.d\.?){_ABBREV_PAREN}",
            re.I,
        ),
        ("BID", 2, 1, "d"),
    ),
    (
        re.compile(
            rf"\b(?:three\s+times\s+(?:a\s+|per\s+|each\s+)?(?:day|daily)|thrice\s+daily|TID|t\.i\.d\.?){_ABBREV_PAREN}",
            re.I,
        ),
        ("TID", 3, 1, "d"),
    ),
    (
        re.compile(
            rf"\b(?:four\s+times\s+(?:a\s+|per\s+|each\s+)?(?:day|daily)|QID|q\.i\.d\.?){_ABBREV_PAREN}", re.I
        ),
        ("QID", 4, 1, "d"),
    ),
    (
        re.compile(
            rf"\b(?P<n>{_WNUM})(?:\s*(?:-|–|to|or)\s*{_WNUM})?\s+times\s+(?:a\s+|per\s+|each\s+)?(?:day|daily)\b",
            re.I,
        ),
        ("per_day",),
    ),
    (re.compile(r"\b(?:at\s+bedtime|before\s+bed(?:time)?|nightly|at\s+night)\b", re.I), ("BED", 1, 1, "d")),
    (re.compile(r"\b(?:every\s+morning|in\s+the\s+morning)\b", re.I), ("AM", 1, 1, "d")),
    (re.compile(r"\bdaily\b|\bevery\s+day\b|\bper\s+day\b|\ba\s+day\b", re.I), ("QD", 1, 1, "d")),
]
_AS_NEEDED = re.compile(
    r"\bas\s+needed\b|\bp\.?r\.?n\.?\b|\bwhen\s+required\b|\bas\s+required\b|\bon\s+demand\b", re.I
)


def find_frequency(text: str) -> Frequency | None:
    as_needed = _AS_NEEDED.search(text)
    for pattern, spec in _FREQUENCIES:
        m = pattern.search(text)
        if m:
            freq = _frequency_from(m, spec)
            freq.as_needed = bool(as_needed)
            if as_needed:
                freq.text = f"{freq.text}; {as_needed.group(0)}"
            return freq
    if as_needed:
        return Frequency(text=as_needed.group(0), as_needed=True)
    return None


def _frequency_from(m: re.Match, spec) -> Frequency:
    text = m.group(0).strip()
    if spec == "hours":
        n_text = m.groupdict().get("n") or m.groupdict().get("n2") or "1"
        n = number(n_text)
        if n == 24:
            return Frequency(text, "QD", 1, 1, "d")
        code = f"Q{int(n)}H" if n == int(n) and f"Q{int(n)}H" in TIMING_CODES else None
        return Frequency(text, code, 1, n, "h")
    if spec[0] in ("days", "weeks", "months"):
        n = number(m.group("n"))
        unit = {"days": "d", "weeks": "wk", "months": "mo"}[spec[0]]
        code = {("d", 1): "QD", ("d", 2): "QOD", ("wk", 1): "WK", ("mo", 1): "MO"}.get((unit, n))
        return Frequency(text, code, 1, n, unit)
    if spec[0] == "per_day":
        n = int(number(m.group("n")))
        return Frequency(text, _PER_DAY_CODES.get(n), n, 1, "d")
    if spec[0] == "per_week":
        return Frequency(text, None, int(number(m.group("n"))), 1, "wk")
    code, frequency, period, unit = spec
    return Frequency(text, code, frequency, period, unit)


def frequency_for_divided(n: int | None, text: str) -> Frequency:
    return Frequency(text, _PER_DAY_CODES.get(n) if n else None, n, 1 if n else None, "d" if n else None)
