"""Dosage section → structured regimens (one per dose statement) and dosing notes.

Context comes from labels: a standalone "**Adults:**" paragraph, a bullet's "**Oral:**" label,
or a parent bullet ("**Non-Asian children:**" over "Ages 2 to under 6 years: 10 mg OD"). Each
sentence with a dose becomes one regimen per dose it states; sentences without a dose are
kept as notes, so nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import Amount, DosageRegimen, Frequency, Monograph, Population
from . import quantities as q
from .blocks import Item
from .document import RawSection
from .populations import is_route_label, merge, population_of, route_of
from .text import sentences

_NOT_INDICATION = re.compile(
    r"adjust|administ|note|impair|renal|hepatic|kidney|liver|\bdos(?:e|es|age|ing)\b|maintenance|initial|loading|"
    r"missed|general|important|formulation|release|tablets?|capsules?|injection|infusion|solution|patients?|"
    r"tolerance|overdos|monitor|titration|duration|timing|weight|age|how to|instructions|special|other|"
    r"those|\bwith\b|clearance|gfr|crcl|egfr|switching|missed|example|instance",
    re.I,
)
_FOR_INDICATION = re.compile(
    r"^for\s+(?:the\s+)?(?:treatment\s+of\s+|management\s+of\s+|prevention\s+of\s+)?(?P<ind>[^,]{3,80}?),\s",
    re.I,
)
_QUALIFIER = re.compile(r"^(?P<q>(?:in|if|when|after|before|during|with|once|as)\s[^,]{3,60}?),\s", re.I)
_METHOD = re.compile(
    r"\b(?:via|by|as)\s+(?:an?\s+)?(?P<m>(?:(?:slow|rapid|continuous|deep|short|intermittent)\s+)?"
    r"(?:intravenous|IV|intramuscular|IM|subcutaneous|SC)?\s*(?:injection|infusion|bolus|push)"
    r"(?:\s+over\s+[^,.;]+)?)",
    re.I,
)


@dataclass
class Context:
    population: Population | None = None
    route: str | None = None
    indication: str | None = None
    labels: list[str] = field(default_factory=list)  # labels that are neither: kept as instructions
    trail: list[str] = field(default_factory=list)  # every label on the way down, as written


def parse_dosage(section: RawSection, mono: Monograph) -> None:
    para_context = Context()
    pending_label: str | None = None  # a "**Children:**" label not yet used by a regimen or note
    mark = 0

    def flush():
        if pending_label and len(mono.dosage_regimens) + len(mono.dosage_notes) == mark:
            mono.dosage_notes.append(pending_label)

    for block in section.blocks:
        if block.kind == "list":
            for item in block.items:
                _item(item, para_context, section, mono)
        elif block.item is not None:
            item = block.item
            if item.label and item.colon and not item.rest:  # "**Adults:**" governs what follows
                flush()
                para_context = _with_label(Context(), item.label)
                pending_label, mark = item.text, len(mono.dosage_regimens) + len(mono.dosage_notes)
                continue
            if item.label and item.colon and (population_of(item.label) or is_route_label(item.label)):
                # "**Adults (asthma):** Take at bedtime." also governs the bullets after it
                flush()
                para_context, pending_label = _with_label(Context(), item.label), None
                _item(item, Context(), section, mono)
                continue
            _item(item, para_context, section, mono)
    flush()


def _with_label(context: Context, label: str) -> Context:
    new = Context(
        context.population, context.route, context.indication, list(context.labels), [*context.trail, label]
    )
    population = population_of(label)
    if is_route_label(label):
        new.route = route_of(label)
        rest = re.sub(r"\b(?:oral|intravenous|intramuscular|subcutaneous)\b.*", "", label, flags=re.I)
        if population is not None and rest.strip():
            new.population = merge(new.population, population)
    elif population is not None:
        new.population = merge(new.population, population)
        if route := route_of(label):
            new.route = route
    elif not _NOT_INDICATION.search(re.sub(r"\([^)]*\)", "", label)) and new.indication is None:
        new.indication = label
    else:
        new.labels.append(label)
    return new


def _item(item: Item, context: Context, section: RawSection, mono: Monograph) -> None:
    own = _with_label(context, item.label) if item.label else context
    text = item.rest if item.label else item.text
    found = _regimens(text, own, section.component) if text else []
    for regimen in {id(r): r for r, _ in found}.values():  # once each, though a cap sentence repeats it
        mono.dosage_regimens.append(regimen)
    used = {s for _, s in found}
    leftover = [s for s in sentences(text) if s not in used] if text else []
    if leftover or (item.label and not found and not item.children):
        note = " ".join(leftover)
        prefix = item.label or _context_label(context)
        mono.dosage_notes.append(f"{prefix}: {note}".strip(": ") if prefix else note)
    for child in item.children:
        _item(child, own, section, mono)


def _context_label(context: Context) -> str | None:
    parts = [p for p in (context.population.text if context.population else None, context.indication) if p]
    return "; ".join(parts) or None


def _regimens(text: str, context: Context, component: str | None) -> list[tuple[DosageRegimen, str]]:
    out: list[tuple[DosageRegimen, str]] = []
    for sentence in sentences(text):
        found = regimens_in_sentence(sentence, context, component)
        out.extend((regimen, sentence) for regimen in found)
        if not found and out and (max_daily := q.find_max_daily(sentence)):
            # "10-20 mg TID. Maximum daily dose: 60 mg." — the cap belongs to the doses before it
            for regimen in {id(r): r for r, _ in out}.values():
                if regimen.max_daily_dose is None:
                    regimen.max_daily_dose = max_daily[0]
                regimen.instructions = "; ".join(p for p in (regimen.instructions, sentence) if p)
            out.append((out[-1][0], sentence))
    return out


def regimens_in_sentence(
    sentence: str, context: Context, component: str | None = None
) -> list[DosageRegimen]:
    max_daily = q.find_max_daily(sentence)
    doses = [d for d in q.find_doses(sentence) if not (max_daily and d.start <= max_daily[1][0] < d.end + 1)]
    if not doses:
        return []
    out = []
    for i, dose in enumerate(doses):
        clause_end = doses[i + 1].start if i + 1 < len(doses) else len(sentence)
        clause = sentence[dose.end : clause_end]
        before = sentence[: dose.start]
        out.append(_regimen(sentence, before, clause, dose, context, max_daily, component))
    return out


def _regimen(sentence, before, clause, dose, context: Context, max_daily, component) -> DosageRegimen:
    population = merge(context.population, population_of(_lead(before))) or Population("any", "")
    route = context.route or route_of(clause) or route_of(before)
    frequency = q.find_frequency(clause)
    per_day = dose.per_day
    divided = q.find_divided(clause)
    if divided:
        n, divided_text = divided
        per_day = True
        if frequency is None or frequency.code == "QD":
            frequency = q.frequency_for_divided(n, divided_text)
    if frequency is not None and frequency.code == "QD" and frequency.text.lower() == "daily" and per_day:
        frequency = None  # "mg/kg daily" is the daily total, not a once-daily dose
    if (
        frequency is not None
        and dose.per_day
        and not divided
        and (frequency.period_unit, frequency.period) != ("d", 1)
    ):
        frequency = None  # "75 mg/m² per day for 7 days, repeated every 28 days": a cycle, not the timing
    max_amount = max_daily[0] if max_daily else None
    if (
        max_amount is None
        and per_day
        and dose.high != dose.low
        and dose.unit in ("mg", "g", "mcg", "mL", "IU", "units")
    ):
        max_amount = Amount(dose.high, dose.unit, dose.text)
    duration = q.find_duration(clause)
    method = _METHOD.search(clause) or _METHOD.search(before)
    indication, instructions = _indication_and_instructions(before, context)
    return DosageRegimen(
        source=sentence,
        population=population,
        route=route or (route_of(method.group("m")) if method else None),
        dose_low=dose.low,
        dose_high=dose.high,
        dose_unit=dose.unit,
        frequency=frequency,
        max_daily_dose=max_amount,
        duration=duration[0] if duration else None,
        duration_value=duration[1] if duration else None,
        duration_unit=duration[2] if duration else None,
        per_day_total=per_day,
        indication=indication,
        method=method.group("m").strip() if method else None,
        instructions=instructions,
        component=component,
        labels=list(context.trail),
    )


def _lead(before: str) -> str:
    """Population words are only trusted at the start of a sentence ("For adults, ...")."""
    return before if len(before) < 80 else before[:80]


def _indication_and_instructions(before: str, context: Context) -> tuple[str | None, str]:
    indication = context.indication
    instructions = list(context.labels)
    m = _FOR_INDICATION.match(before.strip())
    if m:
        phrase = m.group("ind").strip()
        if population_of(phrase) is None and not _NOT_INDICATION.search(phrase):
            indication = phrase
        else:
            instructions.append(m.group(0).strip(" ,"))
    elif q_match := _QUALIFIER.match(before.strip()):
        instructions.append(q_match.group("q"))
    return indication, "; ".join(instructions)


__all__ = ["parse_dosage", "regimens_in_sentence", "Context", "Frequency"]
