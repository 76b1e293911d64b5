"""Reads the structured values a conversion asserts out of its FHIR R5 resources: every Dosage under
MedicationKnowledge.indicationGuideline[].dosingGuideline[] with the age band of its guideline, the
maxima of AdministrableProductDefinition.routeOfAdministration[], and the item of every
ClinicalUseDefinition. Both representations of a daily total are read: a dose[x] in a per-day unit
(mg/d, mg/kg/d) and a rate[x] per day (rateQuantity/rateRange in a per-day unit, rateRatio over 1 d).
Values are only read and normalised here; whether they are right is decided in score.py.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace

from .units import AGE_YEARS, PERIOD_HOURS, Span, Unit, describe_amount, parse_unit

UCUM = "http://unitsofmeasure.org"
AGE_CODE = "424144002"  # SNOMED CT "Current chronological age"

# route words and SNOMED CT route codes → the gold format's route names
_ROUTE_WORDS = {
    "oral": ("oral", "orally", "by mouth", "po", "p.o.", "per os", "enteral"),
    "intravenous": (
        "intravenous",
        "intravenously",
        "iv",
        "i.v.",
        "intravenous infusion",
        "intravenous injection",
    ),
    "intramuscular": ("intramuscular", "intramuscularly", "im", "i.m.", "intramuscular injection"),
    "subcutaneous": (
        "subcutaneous",
        "subcutaneously",
        "sc",
        "s.c.",
        "subq",
        "sub-q",
        "sq",
        "subcutaneous injection",
    ),
    "topical": ("topical", "topically", "cutaneous", "skin", "dermal"),
    "ophthalmic": ("ophthalmic", "ocular", "eye", "conjunctival"),
    "otic": ("otic", "auricular", "ear"),
    "nasal": ("nasal", "intranasal"),
    "inhalation": ("inhalation", "inhaled", "respiratory tract", "by inhalation"),
    "rectal": ("rectal", "rectally"),
    "vaginal": ("vaginal", "vaginally"),
    "transdermal": ("transdermal",),
    "sublingual": ("sublingual",),
    "buccal": ("buccal",),
    "intrathecal": ("intrathecal",),
}
_ROUTE_CODES = {
    "26643006": "oral",
    "47625008": "intravenous",
    "78421000": "intramuscular",
    "34206005": "subcutaneous",
    "6064005": "topical",
    "54485002": "ophthalmic",
    "10547007": "otic",
    "46713006": "nasal",
    "447694001": "inhalation",
    "18679011000001101": "inhalation",
    "37161004": "rectal",
    "16857009": "vaginal",
    "45890007": "transdermal",
    "37839007": "sublingual",
    "54471007": "buccal",
    "72607000": "intrathecal",
}
_ROUTE_LOOKUP = {word: name for name, words in _ROUTE_WORDS.items() for word in words}


def normalise_route(text: str | None) -> str | None:
    """'Intravenous route', 'IV', 'intravenously' → 'intravenous'; an unknown word is kept, lower case."""
    if not text:
        return None
    s = " ".join(text.lower().replace("_", " ").split())
    s = re.sub(r"\s+(route|use|administration)$", "", s)
    return _ROUTE_LOOKUP.get(s, s)


@dataclass(frozen=True)
class Quantity:
    span: Span
    unit: Unit | None  # None when the unit cannot be read
    raw: str  # as written in the resource

    def __str__(self) -> str:
        return describe_amount(self.span, self.unit) if self.unit else self.raw


@dataclass
class AmountValue:
    element: str  # doseQuantity, doseRange, rateQuantity, rateRange, rateRatio
    quantity: Quantity


@dataclass
class PeriodMaximum:
    amount: Quantity
    per_hours: float | None  # the ratio's denominator in hours


@dataclass
class StructuredDosage:
    path: str
    text: str | None
    doses: list[AmountValue] = field(default_factory=list)
    rates: list[AmountValue] = field(default_factory=list)
    repeat: dict | None = None
    code: str | None = None  # a coded Timing.code (text-only codes assert nothing)
    as_needed: bool | None = None
    route: str | None = None
    route_raw: str | None = None
    max_per_period: list[PeriodMaximum] = field(default_factory=list)
    max_per_administration: Quantity | None = None

    @property
    def structured(self) -> bool:
        return bool(
            self.doses
            or self.rates
            or (self.repeat and self.repeat.get("period") is not None)
            or self.code
            or self.as_needed is not None
            or self.route
            or self.max_per_period
            or self.max_per_administration
        )


@dataclass
class Guideline:
    path: str
    age: Span | None  # years
    age_raw: str | None
    dosages: list[StructuredDosage]


@dataclass
class ProductMaximum:
    path: str
    kind: str  # "per_day" (maxDosePerDay) or "per_administration" (maxSingleDose)
    amount: Quantity


@dataclass
class ClinicalItem:
    resource_id: str
    path: str
    type: str
    texts: list[str]  # what the resource states the item is (an interaction CUD gives one per interactant)
    source: str  # the source sentence from the narrative, else the item text
    frequency: str | None = None  # undesirable effects: the frequencyOfOccurrence code


@dataclass
class Extracted:
    guidelines: list[Guideline] = field(default_factory=list)
    product_maxima: list[ProductMaximum] = field(default_factory=list)
    clinical: list[ClinicalItem] = field(default_factory=list)


def _unit_of(q: dict) -> tuple[Unit | None, str]:
    code = q.get("code") if q.get("system") in (UCUM, None) else None
    text = code or q.get("unit") or ""
    return parse_unit(text), text


def quantity(q: dict | None) -> Quantity | None:
    if not isinstance(q, dict) or q.get("value") is None:
        return None
    unit, text = _unit_of(q)
    value = float(q["value"])
    return Quantity(Span(value, value), unit, f"{q['value']:g} {text}".strip())


def range_quantity(r: dict | None) -> Quantity | None:
    if not isinstance(r, dict):
        return None
    low, high = r.get("low") or {}, r.get("high") or {}
    if low.get("value") is None and high.get("value") is None:
        return None
    unit, text = _unit_of(low if low.get("value") is not None else high)
    lo = float(low["value"]) if low.get("value") is not None else None
    hi = float(high["value"]) if high.get("value") is not None else None
    span = Span(lo, hi)
    return Quantity(span, unit, f"{span} {text}".strip())


def _denominator_hours(q: dict | None) -> float | None:
    if not isinstance(q, dict) or q.get("value") is None:
        return None
    code = q.get("code") or q.get("unit")
    hours = PERIOD_HOURS.get(code) or {"day": 24.0, "days": 24.0, "hour": 1.0, "hours": 1.0}.get(code or "")
    return float(q["value"]) * hours if hours else None


def ratio_per_time(ratio: dict | None) -> Quantity | None:
    """rateRatio 2 g / 1 d → a Quantity in g/d (the unit's per-time part is the denominator)."""
    if not isinstance(ratio, dict):
        return None
    numerator = quantity(ratio.get("numerator"))
    if numerator is None:
        return None
    hours = _denominator_hours(ratio.get("denominator"))
    if numerator.unit is None or not hours:
        return Quantity(numerator.span, None, f"{numerator.raw} per ?")
    return Quantity(
        numerator.span, replace(numerator.unit, per_hours=hours), f"{numerator.raw} per {hours:g} h"
    )


def _concept_texts(concept: dict | None) -> list[str]:
    """A CodeableConcept's text, else its codings' displays."""
    if not isinstance(concept, dict):
        return []
    if concept.get("text"):
        return [concept["text"]]
    return [c["display"] for c in concept.get("coding", []) if c.get("display")]


def _reference_concept_texts(crc: dict | None) -> list[str]:
    """CodeableReference: the concept, else the reference's display."""
    if not isinstance(crc, dict):
        return []
    texts = _concept_texts(crc.get("concept"))
    if not texts and isinstance(crc.get("reference"), dict) and crc["reference"].get("display"):
        texts = [crc["reference"]["display"]]
    return texts


def _source_sentence(resource: dict) -> str | None:
    div = (resource.get("text") or {}).get("div") or ""
    found = re.search(r"<p>\s*Source:\s*(.*?)</p>", div, re.S)
    if not found:
        return None
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() or None


def _route(concept: dict | None) -> tuple[str | None, str | None]:
    if not isinstance(concept, dict):
        return None, None
    raw = concept.get("text")
    if raw:
        return normalise_route(raw), raw
    for coding in concept.get("coding", []):
        if coding.get("code") in _ROUTE_CODES:
            return _ROUTE_CODES[coding["code"]], coding.get("display") or coding["code"]
        if coding.get("display"):
            return normalise_route(coding["display"]), coding["display"]
    return None, None


def _dosage(d: dict, path: str) -> StructuredDosage:
    out = StructuredDosage(path=path, text=d.get("text"))
    timing = d.get("timing") or {}
    out.repeat = timing.get("repeat")
    for coding in (timing.get("code") or {}).get("coding", []):
        if coding.get("code"):
            out.code = coding["code"].upper()
            break
    if "asNeeded" in d:
        out.as_needed = bool(d["asNeeded"])
    elif d.get("asNeededFor"):
        out.as_needed = True
    out.route, out.route_raw = _route(d.get("route"))
    for dr in d.get("doseAndRate", []) or []:
        dose = quantity(dr.get("doseQuantity")) or range_quantity(dr.get("doseRange"))
        if dose is not None:
            element = "doseQuantity" if "doseQuantity" in dr else "doseRange"
            out.doses.append(AmountValue(element, dose))
        rate = None
        element = None
        if "rateQuantity" in dr:
            rate, element = quantity(dr["rateQuantity"]), "rateQuantity"
        elif "rateRange" in dr:
            rate, element = range_quantity(dr["rateRange"]), "rateRange"
        elif "rateRatio" in dr:
            rate, element = ratio_per_time(dr["rateRatio"]), "rateRatio"
        if rate is not None:
            out.rates.append(AmountValue(element, rate))
    for ratio in d.get("maxDosePerPeriod", []) or []:
        amount = quantity(ratio.get("numerator"))
        if amount is not None:
            out.max_per_period.append(PeriodMaximum(amount, _denominator_hours(ratio.get("denominator"))))
    out.max_per_administration = quantity(d.get("maxDosePerAdministration"))
    return out


def _age(characteristics: list[dict]) -> tuple[Span | None, str | None]:
    for pc in characteristics or []:
        ctype = pc.get("type") or {}
        is_age = any(c.get("code") == AGE_CODE for c in ctype.get("coding", [])) or (
            (ctype.get("text") or "").strip().lower() == "age"
        )
        if not is_age:
            continue
        if isinstance(pc.get("valueRange"), dict):
            low, high = pc["valueRange"].get("low") or {}, pc["valueRange"].get("high") or {}
            lo = _years(low)
            hi = _years(high)
            if lo is None and hi is None:
                continue
            return Span(lo, hi), f"{Span(lo, hi)} years"
        if isinstance(pc.get("valueQuantity"), dict):
            q = pc["valueQuantity"]
            years = _years(q)
            if years is None:
                continue
            comparator = q.get("comparator")
            span = (
                Span(years, None)
                if comparator in (">", ">=")
                else Span(None, years)
                if comparator in ("<", "<=")
                else Span(years, years)
            )
            return span, f"{comparator or ''}{years:g} years"
    return None, None


def _years(q: dict) -> float | None:
    if q.get("value") is None:
        return None
    factor = AGE_YEARS.get(q.get("code") or "") or {"years": 1.0, "year": 1.0, "months": 1 / 12}.get(
        q.get("unit") or ""
    )
    return float(q["value"]) * factor if factor else None


def _medication_knowledge(mk: dict, out: Extracted) -> None:
    base = f"MedicationKnowledge/{mk.get('id')}"
    for i, ig in enumerate(mk.get("indicationGuideline", []) or []):
        for j, dg in enumerate(ig.get("dosingGuideline", []) or []):
            gpath = f"{base}.indicationGuideline[{i}].dosingGuideline[{j}]"
            age, age_raw = _age(dg.get("patientCharacteristic", []))
            dosages = []
            for k, group in enumerate(dg.get("dosage", []) or []):
                for m, d in enumerate(group.get("dosage", []) or []):
                    dosages.append(_dosage(d, f"{gpath}.dosage[{k}].dosage[{m}]"))
            out.guidelines.append(Guideline(gpath, age, age_raw, dosages))


def _administrable_product(apd: dict, out: Extracted) -> None:
    base = f"AdministrableProductDefinition/{apd.get('id')}"
    for i, roa in enumerate(apd.get("routeOfAdministration", []) or []):
        for element, kind in (("maxDosePerDay", "per_day"), ("maxSingleDose", "per_administration")):
            amount = quantity(roa.get(element))
            if amount is not None:
                out.product_maxima.append(
                    ProductMaximum(f"{base}.routeOfAdministration[{i}].{element}", kind, amount)
                )


def _clinical_use(cud: dict, out: Extracted) -> None:
    ctype = cud.get("type")
    rid = f"ClinicalUseDefinition/{cud.get('id')}"
    source = _source_sentence(cud)
    items: list[tuple[str, list[str]]] = []
    frequency = None
    if ctype == "indication":
        items.append(
            (
                "indication.diseaseSymptomProcedure",
                _reference_concept_texts((cud.get("indication") or {}).get("diseaseSymptomProcedure")),
            )
        )
    elif ctype == "contraindication":
        items.append(
            (
                "contraindication.diseaseSymptomProcedure",
                _reference_concept_texts((cud.get("contraindication") or {}).get("diseaseSymptomProcedure")),
            )
        )
    elif ctype == "interaction":
        for i, interactant in enumerate((cud.get("interaction") or {}).get("interactant", []) or []):
            texts = _concept_texts(interactant.get("itemCodeableConcept"))
            ref = interactant.get("itemReference")
            if not texts and isinstance(ref, dict) and ref.get("display"):
                texts = [ref["display"]]
            items.append((f"interaction.interactant[{i}]", texts))
    elif ctype == "undesirable-effect":
        effect = cud.get("undesirableEffect") or {}
        items.append(
            (
                "undesirableEffect.symptomConditionEffect",
                _reference_concept_texts(effect.get("symptomConditionEffect")),
            )
        )
        for coding in (effect.get("frequencyOfOccurrence") or {}).get("coding", []):
            frequency = coding.get("code") or frequency
    elif ctype == "warning":
        warning = cud.get("warning") or {}
        texts = [warning["description"]] if warning.get("description") else []
        items.append(("warning", texts + _concept_texts(warning.get("code"))))
    else:
        return
    for element, texts in items:
        out.clinical.append(
            ClinicalItem(
                resource_id=rid,
                path=f"{rid}.{element}",
                type=ctype,
                texts=[t for t in texts if t and t.strip()],
                source=source or (texts[0] if texts else ""),
                frequency=frequency,
            )
        )


def extract(resources: list[dict]) -> Extracted:
    out = Extracted()
    for resource in resources:
        rtype = resource.get("resourceType")
        if rtype == "MedicationKnowledge":
            _medication_knowledge(resource, out)
        elif rtype == "AdministrableProductDefinition":
            _administrable_product(resource, out)
        elif rtype == "ClinicalUseDefinition":
            _clinical_use(resource, out)
    return out
