"""Judges every structured value of one converted page against its gold annotation and adds the pages
up. A Dosage is tied to the gold dose statement its text quotes (match.py) and each of its values —
amount per administration or per day, frequency, interval, timing code, route, maxima, as-needed — is
correct or wrong, wrong values that contradict the text being dangerous; each guideline's age band and
each product maximum is judged the same way. Each clinical-use item is correct, wrong (no gold item,
type confusion, an unsplit list) or dangerous (a must-not trap, the product's own ingredient). The
rules are written out in fixtures/gold/README.md ("Scoring").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import match
from .extract import Extracted, Guideline, Quantity, StructuredDosage, normalise_route
from .gold import CLINICAL_TYPES, GoldDose, GoldItem, GoldPage, Maximum
from .units import (
    CODE_MEANINGS,
    Pattern,
    Span,
    Unit,
    administrations_per_day,
    close,
    repeat_value,
    same_amount,
    same_span,
    with_equivalents,
)

# kinds of structured dosing values, in report order, with their labels
DOSING_KINDS = {
    "dose_per_administration": "amount per administration",
    "dose_per_day": "amount per day",
    "infusion_rate": "infusion rate (per hour/minute)",
    "frequency": "frequency",
    "interval": "interval",
    "code": "timing code",
    "route": "route",
    "maximum": "maximum",
    "as_needed": "as needed",
    "age": "age band",
}
AMOUNT_KINDS = ("dose_per_administration", "dose_per_day")
TIMING_KINDS = ("frequency", "interval", "code")
# wrong values of these kinds never count as dangerous; they are listed on their own
SEPARATE_KINDS = ("age", "as_needed")
SIDE_EFFECTS = "undesirable-effect"
OTHER_CLINICAL_TYPES = tuple(t for t in CLINICAL_TYPES if t != SIDE_EFFECTS)


@dataclass
class Judgement:
    page: str
    kind: str
    value: str  # the structured value as the resource states it
    gold: str  # what the gold says about it
    correct: bool
    dangerous: bool
    reason: str
    source: str  # the sentence the value came from
    path: str
    gold_ref: str = ""  # doses[i] of the gold entry it was judged against

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ClinicalJudgement:
    page: str
    type: str
    item: str
    correct: bool
    dangerous: bool
    reason: str
    source: str
    path: str
    matched: list[str] = field(default_factory=list)  # the gold items it states, "text (label)"
    # side effects: the frequency code the resource states, and the gold's for the items it states
    frequency: str | None = None
    gold_frequencies: list[str | None] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class DosageMatch:
    path: str
    text: str
    gold_ref: str  # "" when no gold statement matches
    quote: str
    relation: str


@dataclass
class PageResult:
    page: str
    error: str | None = None
    dosing: list[Judgement] = field(default_factory=list)
    matches: list[DosageMatch] = field(default_factory=list)
    # every gold regimen dose: label, quote, structured correctly, by which Dosage
    stated: list[tuple[str, str, bool, str]] = field(default_factory=list)
    clinical: list[ClinicalJudgement] = field(default_factory=list)
    gold_items: dict[str, list[tuple[GoldItem, bool]]] = field(default_factory=dict)  # type → (item, found)

    def counts(self) -> dict:
        """The page's numbers as counts, so that pages add up (and a baseline can be re-summed)."""
        dosing = {kind: [0, 0] for kind in DOSING_KINDS}
        for j in self.dosing:
            dosing[j.kind][1] += 1
            dosing[j.kind][0] += j.correct
        clinical = {}
        for ctype in CLINICAL_TYPES:
            judged = [c for c in self.clinical if c.type == ctype]
            gold = self.gold_items.get(ctype, [])
            clinical[ctype] = {
                "correct": sum(c.correct for c in judged),
                "items": len(judged),
                "found": sum(found for _, found in gold),
                "gold": len(gold),
            }
        return {
            "dosing": {kind: {"correct": c, "total": n} for kind, (c, n) in dosing.items()},
            "stated_doses": {"correct": sum(s[2] for s in self.stated), "total": len(self.stated)},
            "dangerous": sum(j.dangerous for j in self.dosing) + sum(c.dangerous for c in self.clinical),
            "clinical": clinical,
        }


# --- dosing -------------------------------------------------------------------------------------


def gold_pattern(g: GoldDose) -> Pattern | None:
    if g.frequency is None and g.interval is None:
        return None
    return with_equivalents(g.frequency, g.interval)


def _once_daily(span: Span | None) -> bool:
    return span is not None and close(span.low, 1) and close(span.high, 1)


def _gold_once_daily(g: GoldDose, per_day: Span | None) -> bool:
    """The text gives the dose once a day: it says so, or it states no timing and the Dosage's own timing
    is once a day (then the per-administration amount and the daily amount are one number)."""
    pattern = gold_pattern(g)
    if pattern is not None:
        return _once_daily(pattern.frequency)
    return _once_daily(per_day)


def _gold_amount_text(g: GoldDose) -> str:
    if g.per_administration is not None:
        if g.per_administration.unit.per_hours is not None:
            return f"{g.per_administration} (a rate)"
        return f"{g.per_administration} per administration"
    if g.per_day is not None:
        return f"{g.per_day} per day"
    return "not a dose (not_a_regimen)"


def _timing_text(g: GoldDose) -> str:
    pattern = gold_pattern(g)
    if pattern is None:
        return "no frequency or interval stated"
    parts = []
    if g.frequency is not None:
        parts.append(f"{g.frequency}×/d")
    if g.interval is not None:
        parts.append(f"every {g.interval} h")
    return ", ".join(parts)


class _DosageJudge:
    """The judgements of one Dosage against one gold entry (or none)."""

    def __init__(
        self, page: GoldPage, dosage: StructuredDosage, g: GoldDose | None, candidates: list[GoldDose]
    ):
        self.page = page
        self.d = dosage
        self.g = g
        self.candidates = candidates
        self.per_day = administrations_per_day(dosage.repeat, dosage.code)
        self.out: list[Judgement] = []

    def add(self, kind, value, gold, correct, reason="", dangerous=None):
        if dangerous is None:
            dangerous = not correct and kind not in SEPARATE_KINDS
        self.out.append(
            Judgement(
                page=self.page.key,
                kind=kind,
                value=str(value),
                gold=gold,
                correct=correct,
                dangerous=bool(dangerous) and not correct,
                reason="" if correct else reason,
                source=self.d.text or "",
                path=self.d.path,
                gold_ref=self.g.label if self.g is not None else "",
            )
        )

    def run(self) -> list[Judgement]:
        for dose in self.d.doses:
            self.dose(dose.quantity)
        for rate in self.d.rates:
            self.rate(rate.quantity)
        self.timing()
        self.route()
        self.maxima()
        if self.d.as_needed is not None:
            self.as_needed()
        return self.out

    # amounts
    def _no_dose(self, kind: str, q: Quantity) -> bool:
        if self.g is None:
            self.add(
                kind,
                q,
                "no dose statement",
                False,
                "not a dose: no gold dose statement matches this sentence",
            )
            return True
        if self.g.not_a_regimen:
            self.add(
                kind,
                q,
                "not a dose (not_a_regimen)",
                False,
                "not a dose: the text's number is not a dose to give",
            )
            return True
        return False

    def dose(self, q: Quantity) -> None:
        unit = q.unit
        if unit is None:
            self.add("dose_per_administration", q, self._gold_amount(), False, "the unit cannot be read")
            return
        if unit.per_hours is None:
            self.per_administration(q)
        elif unit.per_day:
            if self.per_day is not None and self.per_day.high is not None and self.per_day.high > 1 + 1e-9:
                self.add(
                    "dose_per_day",
                    f"{q} as dose[x] with {self.per_day}×/d",
                    self._gold_amount(),
                    False,
                    "a daily total stated as the dose of each administration",
                )
            else:
                self.daily(q)
        else:
            self.infusion(q)

    def rate(self, q: Quantity) -> None:
        unit = q.unit
        if unit is None or unit.per_hours is None:
            self.add("dose_per_day", q, self._gold_amount(), False, "a rate without a readable per-time unit")
        elif unit.per_day:
            self.daily(q)
        else:
            self.infusion(q)

    def infusion(self, q: Quantity) -> None:
        kind = "infusion_rate"
        if self._no_dose(kind, q):
            return
        gold = self.g.per_administration
        if gold is not None and gold.unit.per_hours is not None:
            ok = same_amount(q.span, q.unit, gold.span, gold.unit)
            self.add(kind, q, _gold_amount_text(self.g), ok, "a different rate than the text states")
        else:
            self.add(kind, q, _gold_amount_text(self.g), False, "the text states no rate", False)

    def _gold_amount(self) -> str:
        return _gold_amount_text(self.g) if self.g is not None else "no dose statement"

    def per_administration(self, q: Quantity) -> None:
        kind = "dose_per_administration"
        if self._no_dose(kind, q):
            return
        g = self.g
        if g.per_administration is not None:
            ok = same_amount(q.span, q.unit, g.per_administration.span, g.per_administration.unit)
            self.add(kind, q, _gold_amount_text(g), ok, "a different amount than the text states")
            return
        once = _gold_once_daily(g, self.per_day)
        same = same_amount(q.span, q.unit, g.per_day.span, g.per_day.unit)
        if once and same:
            self.add(kind, q, f"{_gold_amount_text(g)}, once a day", True)
        elif same:
            self.add(
                kind,
                q,
                _gold_amount_text(g),
                False,
                "the text's daily total stated as a per-administration dose",
            )
        else:
            self.add(kind, q, _gold_amount_text(g), False, "a different amount than the text states")

    def daily(self, q: Quantity) -> None:
        kind = "dose_per_day"
        if self._no_dose(kind, q):
            return
        g = self.g
        if g.per_day is not None:
            ok = same_amount(q.span, q.unit, g.per_day.span, g.per_day.unit, ignore_time=True)
            self.add(kind, q, _gold_amount_text(g), ok, "a different daily amount than the text states")
            return
        same = same_amount(
            q.span, q.unit, g.per_administration.span, g.per_administration.unit, ignore_time=True
        )
        pattern = gold_pattern(g)
        if same and pattern is not None and _once_daily(pattern.frequency):
            self.add(kind, q, f"{_gold_amount_text(g)}, once a day", True)
        elif same:
            self.add(
                kind,
                q,
                _gold_amount_text(g),
                False,
                "the text's per-administration amount stated as a daily total",
            )
        else:
            self.add(kind, q, _gold_amount_text(g), False, "a different amount than the text states")

    # timing
    def _timing_value(self, kind: str, span: Span, shown: str, *, as_frequency: bool = False) -> None:
        g = self.g
        if g is None:
            self.add(
                kind, shown, "no dose statement", False, "no gold dose statement matches this sentence", False
            )
            return
        if g.not_a_regimen:
            self.add(
                kind, shown, "not a dose (not_a_regimen)", False, "the sentence states no regimen", False
            )
            return
        pattern = gold_pattern(g)
        if pattern is None:
            # "10-40 mg daily": a daily total whose number of doses the text leaves open; once a day follows
            benign = kind in ("frequency", "code") and _once_daily(span) and g.per_day is not None
            self.add(kind, shown, _timing_text(g), False, "not stated by the text", not benign)
            return
        target = pattern.frequency if kind == "frequency" or as_frequency else pattern.interval
        self.add(
            kind, shown, _timing_text(g), same_span(span, target), "a different timing than the text states"
        )

    def timing(self) -> None:
        if self.d.repeat:
            value = repeat_value(self.d.repeat)
            if value is not None:
                kind, span = value
                shown = f"{span}×/d" if kind == "frequency" else f"every {span} h"
                self._timing_value(kind, span, shown)
        code = self.d.code
        if code:
            meaning = CODE_MEANINGS.get(code)
            if meaning is None:
                self.add(
                    "code",
                    code,
                    self.g and _timing_text(self.g) or "",
                    False,
                    "a code with no fixed pattern",
                    False,
                )
                return
            what, number = meaning
            span = Span(number, number)
            if what == "interval":
                # judged as the frequency it implies, so Q8H meets "three times daily" only through 24/8
                pattern = with_equivalents(None, span)
                span = pattern.frequency
            shown = f"{code} ({f'{number:g}×/d' if what == 'frequency' else f'every {number:g} h'})"
            self._timing_value("code", span, shown, as_frequency=True)

    def route(self) -> None:
        if not self.d.route:
            return
        routes = [normalise_route(r) for r in self.page.routes]
        if self.g is not None and self.g.route:
            expected = normalise_route(self.g.route)
            self.add(
                "route",
                self.d.route_raw,
                expected,
                self.d.route == expected,
                "a different route than the text states",
            )
        elif routes:
            self.add(
                "route",
                self.d.route_raw,
                " or ".join(routes),
                self.d.route in routes,
                "a route the page does not state",
            )
        else:
            self.add("route", self.d.route_raw, "the page states no route", False, "not stated by the text")

    # maxima
    def _gold_maxima(self, attribute: str) -> list[Maximum]:
        found = [getattr(self.g, attribute)] if self.g is not None and getattr(self.g, attribute) else []
        if not found:
            found = [getattr(c, attribute) for c in self.candidates if getattr(c, attribute)]
        return found

    def _implied(self, q: Quantity, amount_attribute: str) -> bool:
        """A maximum equal to the upper end of the matched statement's own amount follows from the text."""
        if self.g is None or q.unit is None:
            return False
        amount = getattr(self.g, amount_attribute)
        if amount is None or amount.span.high is None:
            return False
        top = Span(amount.span.high, amount.span.high)
        return same_amount(q.span, _plain(q.unit), top, amount.unit)

    def maxima(self) -> None:
        for m in self.d.max_per_period:
            shown = f"{m.amount} per {m.per_hours:g} h" if m.per_hours else f"{m.amount} per ?"
            if m.per_hours is None or not close(m.per_hours, 24.0):
                self.add(
                    "maximum", shown, "maxima per day only", False, "a maximum over another period", False
                )
                continue
            self._maximum(m.amount, shown, "max_per_day", "per_day", "per day")
        if self.d.max_per_administration is not None:
            q = self.d.max_per_administration
            self._maximum(
                q,
                f"{q} per administration",
                "max_per_administration",
                "per_administration",
                "per administration",
            )

    def _maximum(self, q: Quantity, shown: str, attribute: str, amount_attribute: str, what: str) -> None:
        gold = self._gold_maxima(attribute)
        if not gold:
            implied = self._implied(q, amount_attribute)
            reason = (
                "not stated (the upper end of the stated amount)"
                if implied
                else "no maximum stated by the text"
            )
            self.add("maximum", shown, f"no maximum {what}", False, reason, not implied)
            return
        ok = q.unit is not None and any(_same_maximum(q, g) for g in gold)
        self.add(
            "maximum",
            shown,
            " or ".join(f"{g} {what}" for g in gold),
            ok,
            "a different maximum than the text states",
        )

    def as_needed(self) -> None:
        if self.g is None:
            self.add(
                "as_needed",
                self.d.as_needed,
                "no dose statement",
                False,
                "no gold dose statement matches this sentence",
            )
            return
        self.add(
            "as_needed",
            self.d.as_needed,
            str(self.g.as_needed),
            self.d.as_needed == self.g.as_needed,
            "as needed where the text says otherwise" if self.d.as_needed else "the text says as needed",
        )


def _plain(unit: Unit) -> Unit:
    return Unit(unit.dimension, unit.factor, unit.per_kg, unit.per_m2, None)


def _same_maximum(q: Quantity, g: Maximum) -> bool:
    return q.unit is not None and same_amount(q.span, _plain(q.unit), Span(g.value, g.value), g.unit)


def judge_dosage(
    page: GoldPage, d: StructuredDosage, g: GoldDose | None, candidates: list[GoldDose]
) -> list[Judgement]:
    return _DosageJudge(page, d, g, candidates).run()


def judge_age(page: GoldPage, guideline: Guideline, chosen: list[GoldDose]) -> Judgement | None:
    if guideline.age is None:
        return None
    source = next((d.text for d in guideline.dosages if d.text), "")
    if not chosen:
        return Judgement(
            page.key,
            "age",
            guideline.age_raw,
            "no dose statement",
            False,
            False,
            "no gold dose statement matches this guideline's sentences",
            source,
            guideline.path,
        )
    stated = {(g.population.age_min, g.population.age_max) for g in chosen}
    ok = all(same_span(guideline.age, Span(lo, hi)) for lo, hi in stated)
    gold = "; ".join(
        "not stated" if lo is None and hi is None else f"{Span(lo, hi)} years"
        for lo, hi in sorted(stated, key=str)
    )
    reason = (
        "an age limit the text does not state"
        if all(s == (None, None) for s in stated)
        else "a different age band"
    )
    return Judgement(
        page.key,
        "age",
        guideline.age_raw,
        gold,
        ok,
        False,
        "" if ok else reason,
        source,
        guideline.path,
        ",".join(g.label for g in chosen),
    )


def _age_agrees(guideline: Guideline, g: GoldDose) -> bool:
    if guideline.age is None:
        return g.population.age_min is None and g.population.age_max is None
    return same_span(guideline.age, Span(g.population.age_min, g.population.age_max))


_RELATION_RANK = {"quote in text": 2, "text in quote": 1, "overlap": 0}


def candidates_for(page: GoldPage, d: StructuredDosage) -> list[tuple[GoldDose, str]]:
    out = []
    for g in page.doses:
        relation = match.quote_relation(d.text, g.quote)
        if relation:
            out.append((g, relation))
    return out


def _stated_correctly(judgements: list[Judgement], g: GoldDose) -> bool:
    """Its amount as stated is right, its frequency/interval too when the text gives one, nothing dangerous."""
    if any(j.dangerous for j in judgements):
        return False
    if not any(j.correct for j in judgements if j.kind in AMOUNT_KINDS):
        return False
    if gold_pattern(g) is not None:
        timing = [j for j in judgements if j.kind in TIMING_KINDS]
        if not timing or not all(j.correct for j in timing):
            return False
    return True


def _best_entry(
    page: GoldPage,
    guideline: Guideline,
    d: StructuredDosage,
    found: list[tuple[GoldDose, str]],
    taken: set[int],
) -> tuple[GoldDose, str] | None:
    """The gold statement the Dosage's values agree with best (see the README for the order of ties)."""
    if not found:
        return None
    candidates = [g for g, _ in found]

    def key(item: tuple[GoldDose, str]):
        g, relation = item
        judged = judge_dosage(page, d, g, candidates)
        return (
            sum(j.correct for j in judged) + _age_agrees(guideline, g),
            -sum(j.dangerous for j in judged),
            not g.not_a_regimen,
            g.index not in taken,
            _RELATION_RANK[relation],
            -g.index,
        )

    return max(found, key=key)


def score_dosing(page: GoldPage, extracted: Extracted, result: PageResult) -> None:
    taken: set[int] = set()
    satisfied: dict[int, str] = {}
    for guideline in extracted.guidelines:
        chosen_here: list[GoldDose] = []
        for d in guideline.dosages:
            found = candidates_for(page, d)
            candidates = [g for g, _ in found]
            if d.structured:
                for g in candidates:
                    if not g.not_a_regimen and g.index not in satisfied:
                        if _stated_correctly(judge_dosage(page, d, g, candidates), g):
                            satisfied[g.index] = d.path
            best = _best_entry(page, guideline, d, found, taken)
            g = best[0] if best else None
            if g is not None:
                taken.add(g.index)
                chosen_here.append(g)
            if d.structured:
                relation = best[1] if best else ""
                result.matches.append(
                    DosageMatch(d.path, d.text or "", g.label if g else "", g.quote if g else "", relation)
                )
                result.dosing.extend(judge_dosage(page, d, g, candidates))
        age = judge_age(page, guideline, chosen_here)
        if age is not None:
            result.dosing.append(age)
    for g in page.doses:
        if not g.not_a_regimen:
            result.stated.append((g.label, g.quote, g.index in satisfied, satisfied.get(g.index, "")))


def score_product_maxima(page: GoldPage, extracted: Extracted, result: PageResult) -> None:
    for pm in extracted.product_maxima:
        attribute = "max_per_day" if pm.kind == "per_day" else "max_per_administration"
        amount_attribute = "per_day" if pm.kind == "per_day" else "per_administration"
        what = "per day" if pm.kind == "per_day" else "per administration"
        gold = [getattr(g, attribute) for g in page.doses if getattr(g, attribute)]
        shown = f"{pm.amount} {what} (product)"
        source = f"{pm.path}"
        if gold:
            ok = any(_same_maximum(pm.amount, m) for m in gold)
            result.dosing.append(
                Judgement(
                    page.key,
                    "maximum",
                    shown,
                    " or ".join(f"{m} {what}" for m in gold),
                    ok,
                    not ok,
                    "" if ok else "a different maximum than the text states",
                    source,
                    pm.path,
                )
            )
            continue
        implied = pm.amount.unit is not None and any(
            getattr(g, amount_attribute) is not None
            and getattr(g, amount_attribute).span.high is not None
            and same_amount(
                pm.amount.span,
                _plain(pm.amount.unit),
                Span(getattr(g, amount_attribute).span.high, getattr(g, amount_attribute).span.high),
                getattr(g, amount_attribute).unit,
            )
            for g in page.doses
        )
        reason = (
            "not stated (the upper end of a stated amount)" if implied else "no maximum stated by the text"
        )
        result.dosing.append(
            Judgement(
                page.key, "maximum", shown, f"no maximum {what}", False, not implied, reason, source, pm.path
            )
        )


# --- clinical use ---------------------------------------------------------------------------------


def _states(texts: list[str], gold: GoldItem, broad: bool, examples: bool = True) -> bool:
    if broad:
        return any(
            match.states_item(t, gold.item, extra_allowed=None) or match.contains_quote(t, gold.quote)
            for t in texts
        )
    return any(match.states_item(t, gold.item, examples=examples) for t in texts)


def score_clinical(page: GoldPage, extracted: Extracted, result: PageResult) -> None:
    found: dict[tuple[str, int], bool] = {}
    for c in extracted.clinical:
        broad = c.type == "warning"
        shown = " | ".join(c.texts) if c.texts else "(no item text)"
        judgement = ClinicalJudgement(
            page.key, c.type, shown, False, False, "", c.source, c.path, frequency=c.frequency
        )
        result.clinical.append(judgement)
        if not c.texts:
            judgement.reason = "no item text"
            continue
        if c.type in ("interaction", "contraindication") and any(
            match.is_own_ingredient(t, page.ingredients) for t in c.texts
        ):
            judgement.dangerous = True
            judgement.reason = "the product's own ingredient"
            continue
        texts = [match.name_product(t, page.ingredients) for t in c.texts]
        positives = [g for g in page.items.get(c.type, []) if _states(texts, g, broad)]
        distinct = {match.words(g.item) for g in positives}
        if positives and not broad and len(distinct) >= 2 and any(match.joins_list(t) for t in c.texts):
            judgement.reason = f"one item for {len(distinct)} gold items (a list not split)"
            judgement.matched = [f"{g.item} ({g.label})" for g in positives]
            continue
        if positives:
            judgement.correct = True
            judgement.matched = [f"{g.item} ({g.label})" for g in positives]
            judgement.gold_frequencies = [g.frequency for g in positives]
            for g in positives:  # one example of a grouped gold item is true, but does not find the group
                if _states(texts, g, broad, examples=False):
                    found[(g.type, g.index)] = True
            continue
        trap = next(
            (
                m
                for m in page.must_not
                if m.type == c.type and any(match.hits_must_not(t, m.item) for t in c.texts)
            ),
            None,
        )
        if trap is not None:
            judgement.dangerous = True
            judgement.reason = f"must not be a fact: {trap.item} ({trap.why})"
            judgement.matched = [f"{trap.item} (must_not[{trap.index}])"]
            continue
        other = [
            g
            for t in CLINICAL_TYPES
            if t != c.type
            for g in page.items.get(t, [])
            if _states(texts, g, broad)
        ]
        if other:
            judgement.reason = f"type confusion: the text states it as {other[0].type}"
            judgement.matched = [f"{g.item} ({g.label})" for g in other]
            continue
        judgement.reason = "no gold item states this"
    for ctype in CLINICAL_TYPES:
        result.gold_items[ctype] = [
            (g, found.get((ctype, g.index), False)) for g in page.items.get(ctype, [])
        ]


def effect_frequencies(results: list[PageResult]) -> tuple[int, int]:
    """(agreeing, compared): correct side-effect items whose frequency code is the one the gold states."""
    agree = compared = 0
    for result in results:
        for c in result.clinical:
            if c.type == SIDE_EFFECTS and c.correct:
                compared += 1
                agree += c.frequency in c.gold_frequencies
    return agree, compared


def score_page(page: GoldPage, extracted: Extracted) -> PageResult:
    result = PageResult(page.key)
    score_dosing(page, extracted, result)
    score_product_maxima(page, extracted, result)
    score_clinical(page, extracted, result)
    return result


def failed_page(page: GoldPage, error: str) -> PageResult:
    """A page that did not convert: nothing structured, everything the gold states is missed."""
    result = PageResult(page.key, error=error)
    for g in page.doses:
        if not g.not_a_regimen:
            result.stated.append((g.label, g.quote, False, ""))
    for ctype in CLINICAL_TYPES:
        result.gold_items[ctype] = [(g, False) for g in page.items.get(ctype, [])]
    return result


# --- totals ---------------------------------------------------------------------------------------


def add_counts(counts: list[dict]) -> dict:
    total = {
        "dosing": {kind: {"correct": 0, "total": 0} for kind in DOSING_KINDS},
        "stated_doses": {"correct": 0, "total": 0},
        "dangerous": 0,
        "clinical": {t: {"correct": 0, "items": 0, "found": 0, "gold": 0} for t in CLINICAL_TYPES},
    }
    for c in counts:
        for kind, v in c["dosing"].items():
            total["dosing"].setdefault(kind, {"correct": 0, "total": 0})
            total["dosing"][kind]["correct"] += v["correct"]
            total["dosing"][kind]["total"] += v["total"]
        total["stated_doses"]["correct"] += c["stated_doses"]["correct"]
        total["stated_doses"]["total"] += c["stated_doses"]["total"]
        total["dangerous"] += c["dangerous"]
        for ctype, v in c["clinical"].items():
            for key in ("correct", "items", "found", "gold"):
                total["clinical"][ctype][key] += v[key]
    return total


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def metrics(total: dict) -> dict:
    """Counts → the reported shares (None where nothing was there to count)."""
    dosing = {}
    for kind, v in total["dosing"].items():
        dosing[kind] = {**v, "precision": ratio(v["correct"], v["total"])}
    amount = {
        "correct": sum(total["dosing"][k]["correct"] for k in AMOUNT_KINDS),
        "total": sum(total["dosing"][k]["total"] for k in AMOUNT_KINDS),
    }
    amount["precision"] = ratio(amount["correct"], amount["total"])
    overall = {
        "correct": sum(v["correct"] for v in total["dosing"].values()),
        "total": sum(v["total"] for v in total["dosing"].values()),
    }
    overall["precision"] = ratio(overall["correct"], overall["total"])
    clinical = {}
    for ctype, v in total["clinical"].items():
        clinical[ctype] = {
            **v,
            "precision": ratio(v["correct"], v["items"]),
            "recall": ratio(v["found"], v["gold"]),
        }
    pooled = {
        key: sum(total["clinical"][t][key] for t in OTHER_CLINICAL_TYPES)
        for key in ("correct", "items", "found", "gold")
    }
    pooled["precision"] = ratio(pooled["correct"], pooled["items"])
    pooled["recall"] = ratio(pooled["found"], pooled["gold"])
    stated = dict(total["stated_doses"])
    stated["share"] = ratio(stated["correct"], stated["total"])
    return {
        "dosing": {"kinds": dosing, "amount": amount, "overall": overall},
        "stated_doses": stated,
        "dangerous": total["dangerous"],
        "clinical_use": {**clinical, "other_than_side_effects": pooled},
    }
