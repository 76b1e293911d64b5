"""Dose phrases: amounts and ranges with normalised units, frequencies, durations, maximum daily dose."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Frequency
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
    "mmol/kg": ["mmol/kg", "mmol per kg"],
    "mEq/kg": ["mEq/kg", "meq/kg"],
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
_PER_DAY = r"(?P<perday>\s*(?:/\s*day|/\s*d\b|per day|a day|/24\s*h(?:ours|rs?)?|(?:per|over|in)\s+24\s*h(?:ours|rs?)?|daily))?"

DOSE = re.compile(
    rf"(?<![\w./])(?:from\s+|(?P<between>between\s+))?(?P<low>{_NUM})\s*(?:(?P<unit1>{_UNIT_RE})\s*)?"
    rf"(?:(?:-|–|—|to|(?(between)and|(?!)))\s*(?P<high>{_NUM})\s*)?(?:-(?=[A-Za-z]))?{_UNIT}{_BODY_WEIGHT}{_PER_DAY}",
    re.I,
)
# "two sprays", "one tablet": counted units written as words
_COUNTED = {"tablet", "capsule", "puff", "drop", "spray"}
WORD_DOSE = re.compile(
    rf"(?<![\w.])(?P<low>{'|'.join(k for k in WORD_NUMBERS if k != 'single')})"
    rf"(?:\s*(?:-|–|to|or)\s*(?P<high>{'|'.join(k for k in WORD_NUMBERS if k != 'single')}))?\s+"
    rf"(?P<unit>tablets?|capsules?|puffs?|drops?|sprays?|inhalations?)\b",
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


_MASS = {"mcg": 0.001, "mg": 1.0, "g": 1000.0}  # "500 mg to 1 g" is one range, in mg


def find_doses(text: str) -> list[DoseMatch]:
    out = []
    for m in DOSE.finditer(text):
        unit = _UNITS[m.group("unit").lower()]
        low = number(m.group("low"))
        high = number(m.group("high")) if m.group("high") else low
        first = _UNITS[m.group("unit1").lower()] if m.group("unit1") else unit
        if first != unit:
            if first not in _MASS or unit not in _MASS:
                continue  # "5 mg to 10 mL" is not a range
            low, high, unit = low * _MASS[first] / _MASS["mg"], high * _MASS[unit] / _MASS["mg"], "mg"
        perday_text = (m.group("perday") or "").strip().lower()
        per_day = unit.endswith("/day") or bool(perday_text and perday_text != "daily")
        if perday_text and unit in ("mg/kg", "mcg/kg"):
            unit, per_day = f"{unit}/day", True
        end = m.end("perday") if perday_text and perday_text != "daily" else m.end("unit")
        if unit.endswith("/day") and perday_text:
            end = m.end()
        out.append(DoseMatch(m.start(), end, low, high, unit, per_day, text[m.start() : end].strip()))
    for m in WORD_DOSE.finditer(text):
        if any(d.start < m.end() and m.start() < d.end for d in out):
            continue
        unit = _UNITS[m.group("unit").lower()]
        low = number(m.group("low"))
        high = number(m.group("high")) if m.group("high") else low
        out.append(DoseMatch(m.start(), m.end(), low, high, unit, False, m.group(0)))
    return sorted(out, key=lambda d: d.start)


def find_duration(text: str) -> tuple[str, float, str] | None:
    m = _DURATION.search(text)
    if not m:
        return None
    unit = _DURATION_UNITS[m.group("u").lower().rstrip("s")]
    return m.group(0), number(m.group("v")), unit


# --- timing -------------------------------------------------------------------------------------
# Every timing phrase is read with both bounds ("every 8-12 hours": period 8, periodMax 12) and gets
# a Timing.code only when the code names exactly that pattern.

_MULT = {"once": 1, "twice": 2, "thrice": 3}
_TIMES = rf"(?:once|twice|thrice|{_WNUM}\s*(?:x|times?))"
_TO = r"\s*(?:-|–|to|or)\s*"
# "three times", "once or twice", "two to three times", "1-2 times"
_N_TIMES = rf"(?:(?P<a>{_WNUM}|once|twice){_TO}(?P<b>{_TIMES})|(?P<a2>{_TIMES})(?:{_TO}(?P<b2>{_TIMES}))?)"
_DAY = r"(?:(?:a|per|each|every)\s+day|daily|a\s+day|/\s*day|in\s+24\s+hours|per\s+24\s+hours)"
_WEEK = r"(?:(?:a|per|each|every)\s+week|weekly)"
_HOURS = r"(?:hours?|hrs?|h)\b"
_ABBREVS: dict[str, tuple[str, int, float, str]] = {
    "od": ("QD", 1, 1, "d"),
    "qd": ("QD", 1, 1, "d"),
    "bid": ("BID", 2, 1, "d"),
    "bd": ("BID", 2, 1, "d"),
    "tid": ("TID", 3, 1, "d"),
    "tds": ("TID", 3, 1, "d"),
    "qid": ("QID", 4, 1, "d"),
    "qds": ("QID", 4, 1, "d"),
    "qod": ("QOD", 1, 2, "d"),
}

_TIMING_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("alternate", re.compile(r"\bevery\s+other\s+day\b|\bon\s+alternate\s+days\b", re.I)),
    ("other_week", re.compile(r"\bevery\s+(?:other|alternate)\s+week\b|\bfortnightly\b", re.I)),
    (
        "every",
        re.compile(
            rf"\bevery\s+(?P<n>{_WNUM})(?:{_TO}(?P<m>{_WNUM}))?\s*(?P<u>{_HOURS}|days?\b|weeks?\b|months?\b)"
            rf"|\bq\.?\s?(?P<qn>\d+)(?:\s*-\s*(?P<qm>\d+))?\s?(?P<qu>h(?:rs?|ours?)?|d|wk)\b",
            re.I,
        ),
    ),
    ("every_one", re.compile(r"\bevery\s+(?P<u>hour|day|week|month)\b|\bhourly\b", re.I)),
    ("per_day", re.compile(rf"\b{_N_TIMES}\s*{_DAY}", re.I)),
    ("per_week", re.compile(rf"\b{_N_TIMES}\s*{_WEEK}", re.I)),
    ("weekly", re.compile(r"\bweekly\b", re.I)),
    ("monthly", re.compile(r"\b(?:once\s+(?:a|per|each)\s+month|monthly)\b", re.I)),
    (
        "abbrev",
        re.compile(
            r"(?<![\w.])(?:OD|QD|q\.d\.|BID|b\.i\.d\.?|BD|TID|t\.i\.d\.?|TDS|QID|q\.i\.d\.?|QDS|QOD)(?![\w])",
            re.I,
        ),
    ),
    (
        "bedtime",
        re.compile(r"\b(?:at\s+bedtime|before\s+bed(?:time)?|nightly|at\s+night|once\s+at\s+night)\b", re.I),
    ),
    ("morning", re.compile(r"\b(?:every\s+morning|once\s+(?:daily\s+)?in\s+the\s+morning)\b", re.I)),
]
_AS_NEEDED = re.compile(
    r"\bas\s+needed\b|\bp\.?r\.?n\.?(?!\w)|\bwhen\s+required\b|\bas\s+required\b|\bon\s+demand\b|\bif\s+needed\b",
    re.I,
)
_UNIT_OF = {
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "d": "d",
    "day": "d",
    "days": "d",
    "wk": "wk",
    "week": "wk",
    "weeks": "wk",
    "month": "mo",
    "months": "mo",
}


def _times(text: str) -> int:
    word = text.lower().split()[0].rstrip("x")
    return _MULT[word] if word in _MULT else int(number(word))


def _timing_from(kind: str, m: re.Match) -> Frequency | None:
    text = m.group(0).strip()
    if kind == "alternate":
        return Frequency(text, "QOD", 1, 2, "d")
    if kind == "other_week":
        return Frequency(text, None, 1, 2, "wk")
    if kind == "every":
        n = m.group("n") or m.group("qn")
        top = m.group("m") or m.group("qm")
        unit = _UNIT_OF.get((m.group("u") or m.group("qu") or "").lower().rstrip("."), None)
        if unit is None:
            unit = "h" if (m.group("qu") or "").lower().startswith("h") else None
        if unit is None:
            return None
        low, high = number(n), number(top) if top else None
        if high is not None and high <= low:
            return None
        if unit == "h" and low == 24 and high is None:
            return Frequency(text, "QD", 1, 1, "d")
        return Frequency(
            text, _code_for_period(low, unit) if high is None else None, 1, low, unit, period_max=high
        )
    if kind == "every_one":
        unit = {"hour": "h", "day": "d", "week": "wk", "month": "mo"}.get(
            m.group("u").lower() if m.group("u") else "hour"
        )
        return Frequency(text, _code_for_period(1, unit), 1, 1, unit)
    if kind in ("per_day", "per_week"):
        a, b = (m.group("a"), m.group("b")) if m.group("a") else (m.group("a2"), m.group("b2"))
        low = _times(a)
        high = _times(b) if b else None
        if high is not None and high <= low:
            return None
        unit = "d" if kind == "per_day" else "wk"
        code = (
            _PER_DAY_CODES.get(low)
            if unit == "d" and high is None
            else ("WK" if (low, high) == (1, None) else None)
        )
        return Frequency(text, code, low, 1, unit, frequency_max=high)
    if kind == "weekly":
        return Frequency(text, "WK", 1, 1, "wk")
    if kind == "monthly":
        return Frequency(text, "MO", 1, 1, "mo")
    if kind == "abbrev":
        code, freq, period, unit = _ABBREVS[text.lower().replace(".", "")]
        return Frequency(text, code, freq, period, unit)
    if kind == "bedtime":
        return Frequency(text, "BED", 1, 1, "d")
    if kind == "morning":
        return Frequency(text, "AM", 1, 1, "d")
    return None


def _code_for_period(n: float, unit: str) -> str | None:
    if unit == "h" and float(n).is_integer() and f"Q{int(n)}H" in TIMING_CODES:
        return f"Q{int(n)}H"
    return {("d", 1): "QD", ("d", 2): "QOD", ("wk", 1): "WK", ("mo", 1): "MO"}.get((unit, n))


def _meaning(f: Frequency) -> tuple:
    """What a timing asserts, whatever its wording: events per day or week, or the interval."""
    if f.period_unit == "d" and f.period == 1 and f.frequency:
        return ("n", f.frequency, f.frequency_max, "d")
    return ("every", f.frequency, f.frequency_max, f.period, f.period_max, f.period_unit)


# "(BID or TID)" after "twice or three times daily" restates it: read the words, not the codes again
_ABBREV_ALTERNATIVES = re.compile(
    r"\(\s*(?:OD|QD|BID|BD|TID|TDS|QID|QDS|QOD)(?:\s*(?:or|/|,|to|-)\s*(?:OD|QD|BID|BD|TID|TDS|QID|QDS|QOD))+\s*\)"
)


def _spans(text: str) -> list[tuple[int, int, Frequency]]:
    text = _ABBREV_ALTERNATIVES.sub(lambda m: " " * len(m.group(0)), text)
    found: list[tuple[int, int, Frequency]] = []
    for kind, pattern in _TIMING_PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e, _ in found):
                continue
            f = _timing_from(kind, m)
            if f is not None:
                found.append((m.start(), m.end(), f))
    found.sort(key=lambda t: t[0])
    return _alternatives_as_range(text, _restatements_merged(text, found))


def _restatements_merged(
    text: str, found: list[tuple[int, int, Frequency]]
) -> list[tuple[int, int, Frequency]]:
    """ "three times daily (TID)": the phrase and its abbreviation are one timing."""
    out: list[tuple[int, int, Frequency]] = []
    for start, end, f in found:
        if (
            out
            and _meaning(out[-1][2]) == _meaning(f)
            and re.fullmatch(r"\s*\(?\s*", text[out[-1][1] : start])
        ):
            prev_start, _, prev = out[-1]
            prev.code = prev.code or f.code
            out[-1] = (prev_start, end + (1 if text[end : end + 1] == ")" else 0), prev)
        else:
            out.append((start, end, f))
    return out


def _alternatives_as_range(
    text: str, found: list[tuple[int, int, Frequency]]
) -> list[tuple[int, int, Frequency]]:
    """ "twice daily (BID) or three times daily (TID)": one timing, 2 to 3 times a day."""
    if len(found) < 2 or any(f.period_unit != "d" or f.period != 1 or f.frequency_max for _, _, f in found):
        return found
    gaps = [text[e:s] for (_, e, _), (s, _, _) in zip(found, found[1:], strict=False)]
    if not all(re.fullmatch(r"\s*(?:\([^()]*\)\s*)?(?:,\s*)?or\s*", gap, re.I) for gap in gaps):
        return found
    counts = sorted({f.frequency for _, _, f in found})
    merged = Frequency(text[found[0][0] : found[-1][1]], None, counts[0], 1, "d", frequency_max=counts[-1])
    if len(counts) == 1:
        merged.code = found[0][2].code
        merged.frequency_max = None
    return [(found[0][0], found[-1][1], merged)]


def find_timings(text: str) -> list[Frequency]:
    """Every timing phrase in `text`, in order; overlapping phrases ("three times daily (TID)") once."""
    return [f for _, _, f in _spans(text)]


def find_frequency(text: str) -> Frequency | None:
    """The one timing `text` states; None when it states none or several that disagree."""
    as_needed = _AS_NEEDED.search(text)
    timings = find_timings(text)
    meanings = {_meaning(f) for f in timings}
    if len(meanings) == 1:
        freq = timings[0]
        if len(timings) > 1:  # "three times daily (TID)": the same timing twice
            freq.text = text[text.find(timings[0].text) : text.find(timings[-1].text) + len(timings[-1].text)]
            freq.code = next((t.code for t in timings if t.code), None)
        freq.as_needed = bool(as_needed)
        if as_needed:
            freq.text = f"{freq.text}; {as_needed.group(0)}"
        return freq
    if as_needed and not timings:
        return Frequency(text=as_needed.group(0), as_needed=True)
    return None


def timings_disagree(text: str) -> bool:
    return len({_meaning(f) for f in find_timings(text)}) > 1


def frequency_for_divided(low: int | None, high: int | None, text: str) -> Frequency:
    if not low:
        return Frequency(text)
    code = _PER_DAY_CODES.get(low) if high is None else None
    return Frequency(text, code, low, 1, "d", frequency_max=high)
