"""Dosage section → structured regimens (one per dose statement) and dosing notes.

Context comes from labels: a standalone "**Adults:**" paragraph, a bullet's "**Oral:**" label,
or a parent bullet ("**Non-Asian children:**" over "Ages 2 to under 6 years: 10 mg OD"). Each
sentence with a dose becomes one regimen per dose it states; sentences without a dose are
kept as notes, so nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..model import DosageRegimen, Frequency, Monograph, Population
from . import quantities as q
from .blocks import Item
from .document import RawSection
from .populations import (
    condition_of,
    is_route_label,
    merge,
    population_of,
    route_matches,
    route_of,
    routes_in,
    with_condition,
)
from .regimens import Reading, caps_in, read_sentence
from .sections import component_label
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
    component: str | None = None  # "**Paracetamol:**" over a combination's doses
    routes: tuple[str, ...] = ()  # "**Injection (IM, IV, SubQ):**": each of them, one regimen each
    components: tuple[str, ...] = ()  # the product's ingredients, to recognise such labels


def parse_dosage(section: RawSection, mono: Monograph) -> None:
    first = len(mono.dosage_regimens)
    base = Context(components=tuple(mono.components))
    para_context = base
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
                para_context = _with_label(base, item.label)
                pending_label, mark = item.text, len(mono.dosage_regimens) + len(mono.dosage_notes)
                continue
            if item.label and item.colon and (population_of(item.label) or is_route_label(item.label)):
                # "**Adults (asthma):** Take at bedtime." also governs the bullets after it
                flush()
                para_context, pending_label = _with_label(base, item.label), None
                _item(item, base, section, mono)
                continue
            _item(item, para_context, section, mono)
    flush()
    _section_route(section, mono.dosage_regimens[first:])


_NEGATED_ROUTE = re.compile(r"\b(?:not|never|no|avoid|without)\s+(?:\S+\s+){0,3}$", re.I)


def _section_route(section: RawSection, regimens: list[DosageRegimen]) -> None:
    """A Dosage section that names one route, and no other, states it for every dose in it."""
    text = " ".join(b.text for b in section.blocks if b.text)
    named = [
        route
        for route in routes_in(text)
        if any(
            not _NOT_THIS_ROUTE.search(text[: m.start()]) and not _NEGATED_ROUTE.search(text[: m.start()])
            for m in route_matches(text, route)
        )
    ]
    if len(routes_in(text)) == 1 and len(named) == 1:
        for regimen in regimens:
            if regimen.route is None:
                regimen.route = named[0]


def _with_label(context: Context, label: str) -> Context:
    new = replace(context, labels=list(context.labels), trail=[*context.trail, label])
    population = population_of(label)
    named = component_label(label, list(context.components)) if len(context.components) > 1 else None
    if named:
        new.component = named
    elif is_route_label(label):
        named_routes = routes_in(label)
        new.route, new.routes = (
            (named_routes[0], ()) if len(named_routes) == 1 else (None, tuple(named_routes))
        )
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
    found = _regimens(text, own, section.component, mono) if text else []
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


def _regimens(
    text: str, context: Context, component: str | None, mono: Monograph | None = None
) -> list[tuple[DosageRegimen, str]]:
    out: list[tuple[DosageRegimen, str]] = []
    for sentence in sentences(text):
        found = regimens_in_sentence(sentence, context, component, mono)
        out.extend((regimen, sentence) for regimen in found)
        if found or not out:
            continue
        per_day, per_dose = caps_in(sentence)
        conditional = re.match(r"\s*(?:when|if|in|for|during|with|after|before)\b", sentence, re.I)
        if (
            (per_day or per_dose)
            and not conditional
            and "whichever" not in sentence.lower()
            and not find_doses_outside_caps(sentence, (per_day, per_dose))
        ):
            # "10-20 mg TID. Maximum daily dose: 60 mg." — the cap belongs to the doses before it
            for regimen in {id(r): r for r, _ in out}.values():
                if per_day and regimen.max_daily_dose is None:
                    regimen.max_daily_dose = per_day
                if per_dose and regimen.max_per_administration is None:
                    regimen.max_per_administration = per_dose
                regimen.instructions = "; ".join(p for p in (regimen.instructions, sentence) if p)
            out.append((out[-1][0], sentence))
    return out


def find_doses_outside_caps(sentence: str, caps: tuple) -> bool:
    rest = sentence
    for cap in (a.text for a in caps if a):
        rest = rest.replace(cap, " ")
    return bool(q.find_doses(rest))


def regimens_in_sentence(
    sentence: str, context: Context, component: str | None = None, mono: Monograph | None = None
) -> list[DosageRegimen]:
    combination = bool(mono and mono.is_combination)
    readings = read_sentence(sentence, combination, mono.components if mono else None)
    out = []
    for reading in readings:
        before = sentence[: reading.start]
        regimen = _regimen(sentence, before, reading, context, component)
        if regimen.route is None and context.routes:
            out.extend(replace(regimen, route=route) for route in context.routes)
        else:
            out.append(regimen)
    return out


def _regimen(sentence: str, before: str, r: Reading, context: Context, component) -> DosageRegimen:
    own = population_of(r.before) if r.before.strip() else None  # "…, 50-100 kg (7.5 mg daily)"
    population = merge(context.population, own or population_of(_lead(before)))
    condition = condition_of(r.before) or condition_of(before) or condition_of(" ".join(context.trail))
    population = with_condition(population, condition) or Population("any", "")
    route = _stated_route(r, sentence) or context.route
    method = _METHOD.search(r.clause) or _METHOD.search(before)
    indication, instructions = _indication_and_instructions(before, context)
    duration = r.duration
    return DosageRegimen(
        source=sentence,
        population=population,
        route=route or (route_of(method.group("m")) if method else None),
        dose_low=r.low,
        dose_high=r.high,
        dose_unit=r.unit,
        frequency=r.frequency,
        max_daily_dose=r.max_daily,
        max_per_administration=r.max_dose,
        duration=duration[0] if duration else None,
        duration_value=duration[1] if duration else None,
        duration_unit=duration[2] if duration else None,
        per_day_total=r.per_day,
        indication=indication,
        method=method.group("m").strip() if method else None,
        instructions=instructions,
        component=component or context.component or r.component,
        labels=list(context.trail),
    )


# a route named as another option or a change ("…, or administered intravenously", "to IV administration")
_NOT_THIS_ROUTE = re.compile(
    r"\b(?:or|to|than|from|instead\s+of|versus|vs\.?|after|before|switch\w*)\s+(?:\S+\s+){0,2}$", re.I
)


def _stated_route(r: Reading, sentence: str) -> str | None:
    """The one route the amount's own words name ("IM: 3-4 mg/kg", "400 mg every 8-12 hours
    intravenously"), else the one route its sentence names; an alternative or a change is none."""
    tail = re.split(r"[,;]|\bor\b|\band\b", r.before)[-1]
    for text in (f"{tail} @ {r.clause}", sentence):
        kept = [route for route in routes_in(text) if _names_route(text, route)]
        if kept:
            return kept[0] if len(kept) == 1 else None
    return None


def _names_route(text: str, route: str) -> bool:
    return any(not _NOT_THIS_ROUTE.search(text[: m.start()]) for m in route_matches(text, route))


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
