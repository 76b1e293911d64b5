"""One dosing sentence → the regimens it states unambiguously, read clause by clause.

Each amount owns the clause from its end to the next amount; its words are read as one unit:
amount, per kg/m², per dose or per day, timing (both bounds), route, maximum, duration. A number
that is not a dose to give (a titration step, a reduction, a threshold, a strength, an overdose)
is never a regimen, and neither is an amount whose reading is ambiguous: precision comes before
recall, and the sentence always stays in the Dosage text or the dosing notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Amount, Frequency
from . import quantities as q

# The whole sentence speaks of something other than a dose to give.
_NOT_DOSING_SENTENCE = re.compile(
    r"\b(?:overdos\w*|toxic\w*|lethal|fatal|poisoning|non-?complian\w*|contains?|containing|"
    r"available\s+(?:as|in)|supplied\s+(?:as|in)|comes?\s+in|strengths?|half-life|bioavailab\w*|AUC|"
    r"equivalent\s+to)\b",
    re.I,
)
_CHANGE = re.compile(r"\b(?:increas|increment|decreas|reduc|titrat|escalat|taper|rais|step|adjust)\w*", re.I)
# A target after a change of dose ("may be increased to 150 mg four times daily") is a dose to give;
# the change itself ("increase by 300 mg weekly") is not.
_CHANGE_TO = re.compile(
    r"\b(?:increas|decreas|reduc|titrat|escalat|adjust|rais|lower)\w*(?:\s+[^\s,;.]+){0,6}?(?<!\bup)\s+to\s+"
    r"(?:(?:a|an|the)\s+)?(?:(?:usual|target|maintenance|maximum|recommended|full)\s+)?(?:(?:daily\s+)?(?:dose|dosage)\s+(?:of\s+)?)?$",
    re.I,
)
# Words right before an amount that make it a bound, a step or a threshold rather than a dose.
_BEFORE_NOT_A_DOSE = re.compile(
    r"(?:(?<!followed\s)(?<!replaced\s)\bby|\bof\s+up\s+to|\bup\s+to|\bexceed\w*|\babove|\bover|\bgreater\s+than|\bmore\s+than|"
    r"\bhigher\s+than|\bless\s+than|\bfewer\s+than|\blower\s+than|\bbelow|\bunder|\bat\s+least|\bbeyond|"
    r"\bminimum\s+(?:of\s+)?|\bthan|\bwithin|\bfrom|>|<|≥|≤|±|\+/-|\+|/|\bx|×|"
    r"\b(?:levels?|concentrations?)(?:\s+(?:of|above|below|around))?)\s*$",
    re.I,
)
_AFTER_NOT_A_DOSE = re.compile(
    r"^\s*(?:(?:to|-|–)\s+(?:several|many|a\s+few|higher|more|larger)\b|"
    r"(?:\(|-|–)?\s*(?:%|percent|increments?|steps?|reductions?|decreases?|increases?|or\s+(?:more|less|higher|"
    r"lower|greater|above|below)|and\s+(?:above|over|higher|more)|\+|higher|lower|more|less|"
    r"tablets?|capsules?|vials?|ampoules?|ampules?|patch(?:es)?|sachets?|strength|formulations?|"
    r"suppositor\w*|pre-?filled|pens?|syringes?|cartridges?|bottles?|packs?|"
    r"solution|suspension|syrup|cream|gel|ointment|/\s*\d|per\s+(?:tablet|capsule|ml|vial|unit)|"
    r"(?:normal\s+)?saline|water|dextrose|glucose|sodium\s+chloride|diluent|flush)\b)",
    re.I,
)
# "X mg daily", "X mg per day": the amount is the day's total.
_DAILY_AFTER = re.compile(
    r"^\s*(?:\([^)]*\)\s*)?(?:of\s+[a-z][\w\s-]{0,30}?\s+)?(?:daily|every\s+day|per\s+day|a\s+day|/\s*day|per\s+night|a\s+night|each\s+night)\b",
    re.I,
)
_STANDALONE_DAILY = re.compile(r"(?<!times\s)(?<!time\s)\b(?:daily|every\s+day|per\s+day|a\s+day)\b", re.I)
_DIVIDED = re.compile(
    rf"\b(?:divided|split|given|administered)\s+(?:into|in|as)\s+(?P<n>{q._WNUM})(?:\s*(?:-|–|to|or)\s*(?P<m>{q._WNUM}))?"
    rf"\s+(?:equal\s+|separate\s+|divided\s+)?(?:doses|administrations|portions|parts)"
    rf"|\bin\s+(?P<n2>{q._WNUM})(?:\s*(?:-|–|to|or)\s*(?P<m2>{q._WNUM}))?\s+(?:equally\s+)?divided\s+doses"
    rf"|\b(?:in|as)\s+(?:equally\s+)?divided\s+doses|\bdivided\s+(?:doses|daily)"
    rf"|\b(?:divided|split)\s+(?:into|in|over)\s+(?:multiple|several|two\s+or\s+more)\s+(?:doses|administrations)"
    rf"|\b(?:divided|split)\s+(?:into|in)\s+up\s+to\s+(?P<upto>{q._WNUM})\s+(?:equal\s+|separate\s+|divided\s+)?doses",
    re.I,
)
_MAX = re.compile(
    r"(?:max(?:imum|\.)?|not\s+(?:to\s+)?exceed(?:ing)?|no\s+more\s+than|should\s+not\s+exceed|must\s+not\s+exceed|"
    r"do\s+not\s+exceed|ceiling|up\s+to\s+a\s+max\w*\s+of)",
    re.I,
)
_MAX_PER_DAY = re.compile(
    r"\b(?:daily|per\s+day|a\s+day|/\s*day|each\s+day|in\s+(?:any\s+|a\s+)?24\s*(?:hours?|hrs?|h)|per\s+24\s*(?:hours?|h)|"
    r"within\s+24\s*(?:hours?|h)|24-hour|total\s+daily|day)\b",
    re.I,
)
_MAX_PER_DOSE = re.compile(
    r"\b(?:per\s+dose|single\s+dose|each\s+dose|per\s+administration|at\s+a\s+time|per\s+injection|per\s+infusion)\b",
    re.I,
)
_CLAUSE_STOP = re.compile(r";|\.\s|\bthen\b|\bfollowed\s+by\b|\bafter\s+which\b", re.I)


_OF_WHAT = re.compile(r"^\s*(?:of\s+)(?:the\s+)?(?P<what>[A-Za-z][\w-]*)", re.I)
# words after "of" that still speak of the product itself ("of body weight", "of elemental zinc")
_GENERIC_OF = frozenset(
    "body elemental solution suspension drug medication medicine active combined a an each this it product "
    "base salt powder tablet tablets capsule capsules extract standardized weight total injection infusion "
    "gel cream".split()
)
_NOT_A_DRUG = frozenset("a an the doses dose up food meals water approximately about".split())
_DAILY_DOSE_BEFORE = re.compile(
    r"\b(?:total\s+)?(?:daily|day's|per\s+day)\s+(?:dose|dosage|amount|intake)\b[^.;]*$", re.I
)
_CHANGE_AS_NEEDED = re.compile(
    r"\b(?:increas|decreas|adjust|titrat|escalat|rais|lower)\w*(?:\s+\w+){0,2}\s+(?:as\s+needed|if\s+needed|as\s+required)",
    re.I,
)


def _is_own(word: str, components: list[str]) -> bool:
    """ "of amoxicillin", "of body weight", "of elemental zinc" speak of the product itself."""
    w = word.lower()
    if w in _GENERIC_OF:
        return True
    return any(w in re.findall(r"[a-z0-9-]+", c.lower()) for c in components)


def per_day_marked(dose, clause: str) -> bool:
    return dose.per_day or bool(_DAILY_AFTER.match(clause))


def _component_named(word: str, components: list[str]) -> str | None:
    w = word.lower()
    return next((c for c in components if w in re.findall(r"[a-z0-9-]+", c.lower())), None)


@dataclass
class Reading:
    """One amount of a sentence read as a regimen: all fields the clause states without doubt."""

    start: int
    end: int
    low: float
    high: float
    unit: str  # mg, mg/kg, mg/m2, mL, tablet ... never per day: `per_day` says that
    per_day: bool
    frequency: Frequency | None
    max_daily: Amount | None
    max_dose: Amount | None
    duration: tuple[str, float, str] | None
    clause: str
    before: str = ""  # the words since the previous amount: population and route of this one
    component: str | None = None  # "500 mg of amoxicillin" in a combination product


def _caps(sentence: str) -> list[tuple[int, int, Amount, str]]:
    """Every stated maximum: (span of its amount, the amount, 'day' | 'dose' | '?')."""
    out = []
    doses = q.find_doses(sentence)
    for m in _MAX.finditer(sentence):
        after = [d for d in doses if d.start >= m.end() and d.start - m.end() <= 40]
        if not after:
            continue
        dose = after[0]
        gap = sentence[m.end() : dose.start]
        if re.search(r"[.;]|\d", gap):
            continue
        tail = sentence[dose.end : dose.end + 30]
        lead = sentence[m.start() : dose.start]
        unit = dose.unit.removesuffix("/day")
        if (
            dose.per_day
            or _MAX_PER_DAY.search(lead)
            or _MAX_PER_DAY.match(tail.strip())
            or re.match(r"^\s*(?:in|per|within|over)\s+(?:any\s+|a\s+)?(?:24\s*(?:hours?|h)|day)", tail, re.I)
        ):
            kind = "day"
        elif _MAX_PER_DOSE.search(lead) or _MAX_PER_DOSE.match(tail.strip()):
            kind = "dose"
        elif (
            (t := q.find_frequency(tail)) is not None
            and t.frequency
            and (t.frequency > 1 or t.period_unit == "h")
        ):
            kind = "dose"  # "a maximum of 1000 mg four times daily" caps each administration
        else:
            kind = "?"
        if (
            kind == "day"
            and (t := q.find_frequency(tail)) is not None
            and t.frequency
            and (t.frequency > 1 or t.period_unit == "h")
        ):
            kind = "?"  # "the maximum daily dose is 1 mg BID": a daily cap or a cap per dose?
        if dose.low != dose.high:
            kind = "?"
        out.append(
            (dose.start, dose.end, Amount(dose.low, unit, sentence[m.start() : dose.end].strip()), kind)
        )
    return out


def read_sentence(
    sentence: str, combination: bool = False, components: list[str] | None = None
) -> list[Reading]:
    """The regimens a sentence states; [] when it states none unambiguously."""
    if _NOT_DOSING_SENTENCE.search(re.sub(r"\([^()]*\)", " ", sentence)):
        return []
    caps = _caps(sentence)
    cap_spans = [(s, e) for s, e, _, _ in caps]
    found = q.find_doses(sentence)
    if combination and _strengths_of_components(sentence, found, components or []):
        if _EACH_GIVEN.search(sentence) or _each_timed(sentence, found):
            return _component_doses(sentence, found, components or [])
        found = [d for d in found if d.unit in _COUNTED_UNITS]  # "two tablets of X 12.5 mg, Y 75 mg"
    doses, skipped = [], []
    for d in found:
        if any(s <= d.start < e for s, e in cap_spans):
            skipped.append(d)
        elif _restates(sentence, doses[-1] if doses else None, d):
            skipped.append(d)  # "240 mg (given as two 120 mg injections)": the same dose again
        elif _follows_a_cap(sentence, d, cap_spans):
            skipped.append(d)  # "a maximum of 110 mg for children under 3 and 275 mg for older ones"
        else:
            doses.append(d)
    out: list[Reading] = []
    rejected_end = -1
    for i, dose in enumerate(doses):
        prev_end = max([doses[i - 1].end if i else 0] + [d.end for d in skipped if d.end <= dose.start])
        next_start = doses[i + 1].start if i + 1 < len(doses) else len(sentence)
        before = sentence[prev_end : dose.start]
        cap_after = min(
            (m.start() for m in _MAX.finditer(sentence) if dose.end <= m.start() < next_start), default=None
        )
        clause = _blank_parentheses_of(sentence, dose, skipped)[dose.end : cap_after or next_start]
        stop = _CLAUSE_STOP.search(clause)
        own = clause[: stop.start()] if stop else clause
        shares_tail = (
            i + 1 < len(doses)
            and not stop
            and re.fullmatch(r"[\s,]*(?:and|or|,)?[\s,]*(?:of\s+[^,;.]+)?", own.strip())
        )
        reading = _read(sentence, dose, before, own, caps, components or [])
        if rejected_end >= 0 and re.fullmatch(
            r"[\s,]*(?:or|and|to|-|–)?\s*", sentence[rejected_end : dose.start]
        ):
            reading = None  # "in increments of 1.5 mg or 3 mg": the alternative is a step too
        if reading is None:
            rejected_end = dose.end
            continue
        if shares_tail and reading.frequency is None and not reading.per_day:
            continue  # "500 mg of X and 8-25 mg of Y per day": whether "per day" covers the first is unsaid
        if reading is not None:
            reading.before = before
            out.append(reading)
    return out


def _restates(sentence: str, previous, dose) -> bool:
    """An amount inside a parenthesis that opens right after another amount restates or composes it."""
    if previous is None:
        return False
    between = sentence[previous.end : dose.start]
    return bool(re.fullmatch(r"\s*\([^()]*", between))


def _follows_a_cap(sentence: str, dose, cap_spans) -> bool:
    earlier = [e for _, e in cap_spans if e <= dose.start]
    if not earlier:
        return False
    between = sentence[max(earlier) : dose.start]
    return bool(re.fullmatch(r"[^.;]*?\b(?:and|or)\s*", between)) and not re.search(
        r"\b(?:then|followed|dose\s+is|give|take|administer)\b", between, re.I
    )


def _blank_parentheses_of(sentence: str, dose, skipped) -> str:
    """The sentence with a restating parenthesis after `dose` blanked, so its timing is read through."""
    for d in skipped:
        if d.start > dose.end and re.fullmatch(r"\s*\([^()]*", sentence[dose.end : d.start]):
            close = sentence.find(")", d.end)
            if close != -1:
                return sentence[: dose.end] + " " * (close + 1 - dose.end) + sentence[close + 1 :]
    return sentence


def caps_in(sentence: str) -> tuple[Amount | None, Amount | None]:
    """A sentence that only states maxima ("Maximum daily dose: 60 mg."): (per day, per dose)."""
    caps = _caps(sentence)
    day = next((a for _, _, a, k in caps if k == "day"), None)
    dose = next((a for _, _, a, k in caps if k == "dose"), None)
    return day, dose


_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:mg|mcg|µg|g|ml|iu|units?)\b", re.I)


_EACH_GIVEN = re.compile(r"\beach\s+(?:administered|given|taken|dosed)\b", re.I)
_COUNTED_UNITS = {"tablet", "capsule", "puff", "drop", "spray"}


def _each_timed(sentence: str, found) -> bool:
    """ "Cefpodoxime 200mg twice daily and Azithromycin 500mg once daily": each amount its own timing."""
    ends = [d.start for d in found[1:]] + [len(sentence)]
    return len(found) > 1 and all(
        q.find_frequency(sentence[d.end : end]) for d, end in zip(found, ends, strict=True)
    )


def _component_doses(sentence: str, found, components: list[str]) -> list[Reading]:
    """ "Vonoprazan 20 mg + Amoxicillin 1000 mg + Clarithromycin 500 mg, each administered twice
    daily": one dose per named ingredient, with the timing they share (or each its own)."""
    tail = sentence[found[-1].end :] if found else ""
    if q.timings_disagree(tail):
        return []
    shared = q.find_frequency(tail)
    ends = [d.start for d in found[1:]] + [len(sentence)]
    out = []
    for dose, end in zip(found, ends, strict=True):
        frequency = q.find_frequency(sentence[dose.end : end]) or shared
        lead = sentence[max(0, dose.start - 30) : dose.start]
        named = next(
            (
                c
                for c in components
                if re.search(rf"\b{re.escape(c.split()[0])}\w*(?:\s+[a-z]+){{0,2}}\W*$", lead, re.I)
            ),
            None,
        )
        if named is None or dose.per_day or dose.unit == "%":
            return []  # an amount whose ingredient or meaning is unclear: the sentence stays text
        out.append(
            Reading(
                dose.start,
                dose.end,
                dose.low,
                dose.high,
                dose.unit.removesuffix("/day"),
                False,
                frequency,
                None,
                None,
                q.find_duration(tail),
                tail,
                before=lead,
                component=named,
            )
        )
    return out


def _strengths_of_components(sentence: str, doses, components: list[str]) -> bool:
    """ "Perindopril 3.5 mg + Amlodipine 2.5 mg", "Levodopa 50 mg/Benserazide 12.5 mg": the ingredient
    amounts of one unit, not product doses."""
    names = [c.lower().split()[0] for c in components if c]
    named = 0
    for m in _AMOUNT.finditer(sentence):
        lead = sentence[max(0, m.start() - 30) : m.start()].lower()
        if any(
            n and re.search(rf"\b{re.escape(n)}\w*(?:\s+[a-z]+){{0,2}}\s*(?:\([^()]*\)\s*)?[:=]?\s*$", lead)
            for n in names
        ):
            named += 1
    return named >= 2


def _read(sentence: str, dose, before: str, clause: str, caps, components: list[str]) -> Reading | None:
    if dose.unit == "%":
        return None
    other = _OF_WHAT.match(clause)
    if other and not _is_own(other.group("what"), components):
        return None  # "taken with 1 g of probenecid": another drug's amount
    if re.search(
        r"\(\s*(?:providing|containing|equivalent|equal|corresponding|i\.e\.|which is|approximately|approx\.?|about|~)"
        r"[^()]*$",
        before,
        re.I,
    ):
        return None  # "55 mL/m² (providing 5.5 g/m² of each component)": a restatement
    if re.search(
        r"\b(?:first|initial)\s+(?:infusion\s+|injection\s+)?(?:of\s+)?$", before, re.I
    ) and re.search(r"\bslowly\b", clause, re.I):
        return None  # "the initial 10-20 mL should be given slowly": a portion of an infusion, not a dose
    if re.search(r"\bthe\s*$", before, re.I) and re.match(r"\s*(?:dose|dosage|regimen)\b", clause, re.I):
        return None  # "if the 15 mg/m² dose is not tolerated" speaks of a dose, it does not give one
    if re.search(r"\btotal\b(?!\s+daily)[^.;]*$", before, re.I) and not per_day_marked(dose, clause):
        return None  # "a total volume of 15-25 mL": a course total, not an administration
    partner = re.search(
        r"\b(?:with|plus|and|boosted\s+(?:with|by))\s+(?P<name>[A-Za-z][\w-]*)\s*$", before, re.I
    )
    if (
        partner
        and not _is_own(partner.group("name"), components)
        and partner.group("name").lower() not in _NOT_A_DRUG
    ):
        return None  # "700 mg twice daily with ritonavir 100 mg twice daily": the partner drug's dose
    inside = re.search(r"(?P<name>[\w-]+)\s*\([^()]*$", sentence[: dose.start])
    if (
        inside
        and re.search(r"\d|^[A-Z]{2,}", inside.group("name"))
        and not _is_own(inside.group("name"), components)
    ):
        return None  # "IL-2 (16400 IU/kg or 1 µg/kg)": the amount of another drug
    component = (
        _component_named(other.group("what"), components)
        if other and len(components) > 1 and not re.match(r"\s*of\s+[\w-]+\s+\d", clause)
        else None
    )
    lead = before[-40:]
    since_stop = re.split(r"[;.]\s|\bthen\b|\band\b", before)[-1]
    if _CHANGE_TO.search(before[-100:]):
        pass  # "may be increased to 150 mg four times daily": the new dose is a dose
    elif _BEFORE_NOT_A_DOSE.search(lead) or _CHANGE.search(since_stop):
        return None
    if _AFTER_NOT_A_DOSE.match(clause) and dose.unit not in ("tablet", "capsule", "drop", "puff", "spray"):
        return None
    unit = dose.unit.removesuffix("/day")
    per_day = dose.per_day
    if not per_day and (_DAILY_AFTER.match(clause) or _DAILY_DOSE_BEFORE.search(before)):
        per_day = True
    divided = _DIVIDED.search(clause)
    timing_text = clause
    if divided:
        per_day = True
        timing_text = clause[: divided.start()] + " " + clause[divided.end() :]
    if q.timings_disagree(timing_text):
        return None
    limit = re.search(r"\b(?:not|no)\s+more\s+(?:often|frequently)\s+than\b.*", timing_text, re.I)
    if limit:  # "not more frequently than every two hours" bounds the interval, it does not set it
        timing_text = timing_text[: limit.start()]
    frequency = q.find_frequency(timing_text)
    if (
        frequency is not None
        and frequency.as_needed
        and (_CHANGE_TO.search(before[-100:]) or _CHANGE_AS_NEEDED.search(timing_text))
    ):
        frequency.as_needed = False  # "increase to 4 tablets if needed": the change is conditional
        if frequency.frequency is None:
            frequency = None
    if divided:
        n = divided.group("n") or divided.group("n2") or ("1" if divided.group("upto") else None)
        m = divided.group("m") or divided.group("m2") or divided.group("upto")
        split = q.frequency_for_divided(
            int(q.number(n)) if n else None, int(q.number(m)) if m else None, divided.group(0)
        )
        if frequency is not None and frequency.frequency and split.frequency:
            return None  # two timings for one amount: which one was meant is not ours to guess
        if frequency is None or not frequency.frequency:
            as_needed = frequency.as_needed if frequency else False
            frequency = split if split.frequency else (frequency if as_needed else None)
            if frequency is not None:
                frequency.as_needed = as_needed
    cycle = frequency is not None and (
        frequency.period_unit in ("wk", "mo", "a")
        or (frequency.period_unit == "d" and (frequency.period or 1) > 1)
    )
    if not per_day and _STANDALONE_DAILY.search(clause) and (frequency is None or cycle):
        per_day = True  # "10 mg orally daily": the day's amount, however it is split
    if per_day and cycle:
        frequency = (
            None  # "25 mg/m² daily for 5 days, repeated every 28 days": the cycle is not the day's timing
        )
    if per_day and frequency is None and re.search(r"\bsingle\b[^,;.]*$", before, re.I):
        per_day, frequency = False, q.Frequency("single daily dose", "QD", 1, 1, "d")
    if frequency is not None and frequency.frequency is None and not frequency.as_needed:
        frequency = None
    max_daily = max_dose = None
    for start, _end, amount, kind in caps:
        if start < dose.start:
            continue
        if kind == "day" and max_daily is None:
            max_daily = amount
        elif kind == "dose" and max_dose is None:
            max_dose = amount
    return Reading(
        start=dose.start,
        end=dose.end,
        low=dose.low,
        high=dose.high,
        unit=unit,
        per_day=per_day,
        frequency=frequency,
        max_daily=max_daily,
        max_dose=max_dose,
        duration=q.find_duration(clause),
        clause=clause,
        component=component,
    )
