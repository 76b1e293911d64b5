"""Who and how: patient populations (adult / child age band / elderly / weight band) and routes."""

from __future__ import annotations

import re

from ..model import Population
from .quantities import WORD_NUMBERS

_CHILD = re.compile(
    r"\b(?:child(?:ren)?(?!-pugh)|pediatric|paediatric|infants?|neonates?|newborns?|adolescents?|kids?|toddlers?|teen(?:ager)?s?)\b",
    re.I,
)
_ELDERLY = re.compile(r"\b(?:elderly|geriatric|older adults|older patients|seniors?)\b", re.I)
_ADULT = re.compile(r"\badults?\b", re.I)
_AGE_WORD = re.compile(r"\b(?:ages?d?|years?|yrs?|months?|old)\b", re.I)
_N = r"(\d+(?:\.\d+)?|" + "|".join(WORD_NUMBERS) + ")"
_U = r"\s*(years?|yrs?|y|months?|mo|weeks?|days?)?"
_RANGE = re.compile(rf"{_N}\s*(?:-|–|to)\s*(?:under\s+|less than\s+|<\s*)?{_N}{_U}", re.I)
_BELOW = re.compile(
    rf"(?:under|below|less than|younger than|<|up to|≤|<=)\s*(?:the age of\s+)?{_N}{_U}", re.I
)
_ABOVE = re.compile(
    rf"(?:over|above|older than|more than|>|≥|>=|at least|aged|ages|age)\s*(?:the age of\s+)?{_N}{_U}", re.I
)
_AND_OLDER = re.compile(rf"{_N}{_U}\s*(?:and|or|&)\s*(?:older|over|above)|{_N}\+\s*(years?)?", re.I)
_WEIGHT_RANGE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)\s*kg\b", re.I)
_WEIGHT_BELOW = re.compile(r"(?:<|less than|under|below|≤|up to)\s*(\d+(?:\.\d+)?)\s*kg\b", re.I)
_WEIGHT_ABOVE = re.compile(
    r"(?:>|≥|more than|over|above|at least|greater than)\s*(\d+(?:\.\d+)?)\s*kg\b", re.I
)
_AGE_UNITS = {"y": "a", "yr": "a", "year": "a", "month": "mo", "mo": "mo", "week": "wk", "day": "d"}


def population_of(text: str) -> Population | None:
    """The population a label or phrase names, or None when it names none."""
    kind = None
    if _CHILD.search(text):
        kind = "child"
    elif _ELDERLY.search(text):
        kind = "elderly"
    elif _ADULT.search(text):
        kind = "adult"
    low, high, unit = _ages(text) if (kind or _AGE_WORD.search(text)) else (None, None, "a")
    w_low, w_high = _weights(text) if (kind or re.search(r"\bweigh", text, re.I)) else (None, None)
    if kind is None and low is None and high is None and w_low is None and w_high is None:
        return None
    if kind is None and (low is not None or high is not None):
        kind = _kind_from_ages(low, high, unit)
    if kind is None:
        kind = "weight"
    return Population(kind, text.strip(), low, high, unit, w_low, w_high)


_CONDITION = re.compile(
    r"(?:\b(?:CrCl|ClCr|creatinine\s+clearance|e?GFR|glomerular\s+filtration\s+rate)\b[^,;:.)]*"
    r"|\b(?:mild|moderate|severe|mild[- ]to[- ]moderate|moderate[- ]to[- ]severe)?\s*(?:renal|kidney|hepatic|liver)\s+"
    r"(?:impairment|insufficiency|failure|dysfunction|disease)\b"
    r"|\bChild[- ]Pugh\s+(?:class\s+)?[ABC]\b|\b(?:on\s+)?(?:hemo|haemo|peritoneal\s+)?dialysis\b)",
    re.I,
)


def condition_of(text: str) -> str | None:
    """A renal or hepatic band a dose is for ("CrCl 15-29 mL/min", "severe hepatic impairment")."""
    m = _CONDITION.search(text)
    return m.group(0).strip(" ,") if m else None


def with_condition(population: Population | None, condition: str | None) -> Population | None:
    if not condition:
        return population
    base = population or Population("any", "")
    text = f"{base.text}; {condition}" if base.text else condition
    return Population(
        base.kind,
        text,
        base.age_low,
        base.age_high,
        base.age_unit,
        base.weight_low,
        base.weight_high,
        condition,
    )


def merge(outer: Population | None, inner: Population | None) -> Population | None:
    """ "Non-Asian children" + "Ages 2 to under 6 years" → child aged 2-6."""
    if outer is None or inner is None:
        return inner or outer
    kind = (
        inner.kind
        if inner.kind not in ("weight", "any") and not (inner.kind == "adult" and outer.kind == "child")
        else outer.kind
    )
    has_age = inner.age_low is not None or inner.age_high is not None
    has_weight = inner.weight_low is not None or inner.weight_high is not None
    return Population(
        kind,
        f"{outer.text}; {inner.text}",
        inner.age_low if has_age else outer.age_low,
        inner.age_high if has_age else outer.age_high,
        inner.age_unit if has_age else outer.age_unit,
        inner.weight_low if has_weight else outer.weight_low,
        inner.weight_high if has_weight else outer.weight_high,
        inner.condition or outer.condition,
    )


def _num(text: str) -> float:
    t = text.lower()
    return float(WORD_NUMBERS.get(t, 0)) if t in WORD_NUMBERS else float(t)


def _unit(text: str | None) -> str:
    if not text:
        return "a"
    return _AGE_UNITS.get(text.lower().rstrip("s"), "a")


def _ages(text: str) -> tuple[float | None, float | None, str]:
    no_weight = re.sub(r"\d+(?:\.\d+)?\s*(?:-|–|to)?\s*\d*(?:\.\d+)?\s*kg\b", " ", text)
    if m := _RANGE.search(no_weight):
        return _num(m.group(1)), _num(m.group(2)), _unit(m.group(3))
    if m := _AND_OLDER.search(no_weight):
        value = m.group(1) or m.group(3)
        return _num(value), None, _unit(m.group(2) or m.group(4))
    low = high = None
    unit = "a"
    if m := _BELOW.search(no_weight):
        high, unit = _num(m.group(1)), _unit(m.group(2))
    if m := _ABOVE.search(no_weight):
        low, unit = _num(m.group(1)), _unit(m.group(2)) if m.group(2) else unit
    return low, high, unit


def _weights(text: str) -> tuple[float | None, float | None]:
    if m := _WEIGHT_RANGE.search(text):
        return float(m.group(1)), float(m.group(2))
    low = high = None
    if m := _WEIGHT_BELOW.search(text):
        high = float(m.group(1))
    if m := _WEIGHT_ABOVE.search(text):
        low = float(m.group(1))
    return low, high


def _kind_from_ages(low: float | None, high: float | None, unit: str) -> str:
    if unit != "a" or (high is not None and high <= 18):
        return "child"
    if low is not None and low >= 65:
        return "elderly"
    if low is not None and low >= 18:
        return "adult"
    return "any"


# --- routes --------------------------------------------------------------------------------------

_ROUTES: list[tuple[str, str]] = [
    ("intravenous", r"intravenous(?:ly)?|i\.v\."),
    ("intramuscular", r"intramuscular(?:ly)?|i\.m\."),
    ("subcutaneous", r"subcutaneous(?:ly)?|s\.c\.|subq|sub-q"),
    ("oral", r"oral(?:ly)?|by mouth|p\.o\."),
    ("sublingual", r"sublingual(?:ly)?"),
    ("buccal", r"buccal(?:ly)?"),
    ("topical", r"topical(?:ly)?|applied to the (?:skin|affected area)|cutaneous"),
    ("transdermal", r"transdermal(?:ly)?"),
    ("inhalation", r"inhal(?:ation|ed)|nebuli[sz](?:ed|er|ation)|inhaler"),
    ("nasal", r"(?:intra)?nasal(?:ly)?"),
    ("ophthalmic", r"ophthalmic|eye drops?|intraocular"),
    ("otic", r"otic|ear drops?"),
    ("rectal", r"rectal(?:ly)?|suppositor(?:y|ies)"),
    ("vaginal", r"(?:intra)?vaginal(?:ly)?"),
    ("intrathecal", r"intrathecal(?:ly)?"),
    ("intravitreal", r"intravitreal(?:ly)?"),
    ("intradermal", r"intradermal(?:ly)?"),
    ("intra-articular", r"intra-articular(?:ly)?"),
    ("epidural", r"epidural(?:ly)?"),
    ("intravesical", r"intravesical(?:ly)?"),
]
_ROUTE_WORDS = [(route, re.compile(rf"\b(?:{rx})(?!\w)", re.I)) for route, rx in _ROUTES]
# upper-case abbreviations only: "IV", "IM", "SC", "SQ", "PO"
_ROUTE_ABBREVS = [
    ("intravenous", re.compile(r"\bIV\b")),
    ("intramuscular", re.compile(r"\bIM\b")),
    ("subcutaneous", re.compile(r"\b(?:SC|SQ|SubQ|SUBQ)\b")),
    ("oral", re.compile(r"\bPO\b")),
]
_ALL_ROUTES = _ROUTE_WORDS + _ROUTE_ABBREVS
# one pass that matches wherever any route pattern does: a phrase it misses names no route
_ANY_ROUTE = re.compile(
    r"\b(?i:"
    + "|".join(f"(?:{rx})" for _, rx in _ROUTES)
    + r")(?!\w)|"
    + "|".join(pattern.pattern for _, pattern in _ROUTE_ABBREVS)
)


def route_of(text: str) -> str | None:
    """The first route a phrase names ("Intramuscular (IM)" → intramuscular), or None."""
    if not _ANY_ROUTE.search(text):
        return None
    best: tuple[int, str] | None = None
    for route, pattern in _ALL_ROUTES:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), route)
    return best[1] if best else None


def routes_in(text: str) -> list[str]:
    """Every distinct route a phrase names, in order of first mention."""
    if not _ANY_ROUTE.search(text):
        return []
    found: dict[str, int] = {}
    for route, pattern in _ALL_ROUTES:
        # a pattern's first match is its earliest
        if m := pattern.search(text):
            found[route] = min(found.get(route, m.start()), m.start())
    return sorted(found, key=found.__getitem__)


def route_matches(text: str, route: str) -> list[re.Match]:
    """Where `text` names `route`."""
    return [m for r, pattern in _ALL_ROUTES if r == route for m in pattern.finditer(text)]


def is_route_label(label: str) -> bool:
    """ "Oral", "Intravenous (IV)", "IM injection": a label that is only a route (plus form words)."""
    route = route_of(label)
    if route is None:
        return False
    rest = re.sub(r"\([^)]*\)", " ", label)
    for _, pattern in _ALL_ROUTES:
        rest = pattern.sub(" ", rest)
    rest = re.sub(
        r"\b(?:administration|use|route|injection|infusion|dosage|dose|dosing|therapy|tablets?|"
        r"capsules?|solution|suspension|formulation|form|application|only|and|or|for|adults?)\b",
        " ",
        rest,
        flags=re.I,
    )
    return len(rest.split()) <= 1
