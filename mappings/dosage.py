"""One parsed DosageRegimen → one R5 Dosage, and its Population → patientCharacteristic.

Daily totals ("5 mg/kg daily divided into three doses") keep their per-day meaning in the unit
(mg/d, mg/kg/d) so the dose can never be read as a per-administration amount; the timing then
says how many administrations the total is divided into. The source sentence is always Dosage.text.
"""

from __future__ import annotations

import re

from .model import Amount, DosageRegimen, Frequency, Population
from .terminology import AGE_CODE, UCUM, concept, frequency_code, lookup, number, quantity

TIME_UNITS = {"s", "min", "h", "d", "wk", "mo", "a"}  # Timing.repeat.periodUnit (required binding)
AGE_UNIT_NAMES = {"a": "years", "mo": "months", "wk": "weeks", "d": "days"}
ADULT_MIN_AGE = 18  # "adults" without stated ages: ≥ 18 a (the usual regulatory definition)

_PER_DAY = re.compile(r"\s*(/|per\s+)(day|d)$", re.I)


def per_day_unit(unit: str) -> str:
    return unit if _PER_DAY.search(unit) else f"{unit}/day"


def without_per_day(unit: str) -> str:
    return _PER_DAY.sub("", unit)


def dose_and_rate(regimen: DosageRegimen) -> list[dict]:
    low, high = regimen.dose_low, regimen.dose_high
    if low is None and high is None:
        return []
    unit = regimen.dose_unit
    if unit and regimen.per_day_total:
        unit = per_day_unit(unit)
    if low is not None and high is not None and low != high:
        low, high = sorted((low, high))  # rng-2
        return [{"doseRange": {"low": quantity(low, unit), "high": quantity(high, unit)}}]
    return [{"doseQuantity": quantity(low if low is not None else high, unit)}]


def timing(regimen: DosageRegimen) -> dict | None:
    freq: Frequency | None = regimen.frequency
    repeat: dict = {}
    if regimen.duration_value and regimen.duration_unit in TIME_UNITS:
        repeat["boundsDuration"] = time_quantity(regimen.duration_value, regimen.duration_unit)
    if freq:
        if freq.frequency and freq.frequency > 0:
            repeat["frequency"] = freq.frequency
        if freq.period and freq.period > 0 and freq.period_unit in TIME_UNITS:
            repeat["period"] = number(freq.period)
            repeat["periodUnit"] = freq.period_unit
    out: dict = {}
    if repeat:
        out["repeat"] = repeat
    if freq and (freq.text or freq.code):
        coding = frequency_code(freq.code, freq.frequency, freq.period, freq.period_unit)
        code: dict = {"coding": [coding]} if coding else {}
        code["text"] = freq.text or freq.code
        out["code"] = code
    return out or None


def time_quantity(value: float, unit: str) -> dict:
    coding = lookup("units", unit)
    return {
        "value": number(value),
        "unit": coding["display"] if coding else unit,
        "system": UCUM,
        "code": unit,
    }


def max_per_period(amount: Amount | None) -> list[dict]:
    if amount is None or amount.value is None or amount.value <= 0:
        return []
    numerator = quantity(amount.value, without_per_day(amount.unit) if amount.unit else None)
    return [{"numerator": numerator, "denominator": time_quantity(1, "d")}]


def dosage(regimen: DosageRegimen) -> dict:
    """R5 Dosage in element order: text, additionalInstruction, timing, asNeeded, route, method,
    doseAndRate, maxDosePerPeriod."""
    out: dict = {"text": regimen.source}
    extra = [t for t in (_unstructured_duration(regimen), regimen.instructions) if t]
    if extra:
        out["additionalInstruction"] = [{"text": t} for t in extra]
    t = timing(regimen)
    if t:
        out["timing"] = t
    if regimen.frequency and regimen.frequency.as_needed:
        out["asNeeded"] = True
    if regimen.route:
        out["route"] = concept("routes", regimen.route)
    if regimen.method:
        out["method"] = {"text": regimen.method}
    dr = dose_and_rate(regimen)
    if dr:
        out["doseAndRate"] = dr
    mdp = max_per_period(regimen.max_daily_dose)
    if mdp:
        out["maxDosePerPeriod"] = mdp
    return out


def _unstructured_duration(regimen: DosageRegimen) -> str | None:
    structured = regimen.duration_value and regimen.duration_unit in TIME_UNITS
    return None if structured or not regimen.duration else regimen.duration


def _age(value: float, unit: str) -> dict:
    unit = unit if unit in AGE_UNIT_NAMES else "a"
    return {"value": number(value), "unit": AGE_UNIT_NAMES[unit], "system": UCUM, "code": unit}


def patient_characteristics(population: Population) -> list[dict]:
    """Age band (SNOMED 424144002 'Current chronological age', Range in UCUM time units) and/or
    weight band; a population named without numbers keeps its wording as a text-only concept."""
    out: list[dict] = []
    low = population.age_low if population.age_low and population.age_low > 0 else None
    high = population.age_high if population.age_high and population.age_high > 0 else None
    if low is None and high is None and population.kind == "adult":
        low = ADULT_MIN_AGE
    if low is not None and high is not None and low > high:
        low, high = high, low
    if low is not None or high is not None:
        age_range: dict = {}
        if low is not None:
            age_range["low"] = _age(low, population.age_unit)
        if high is not None:
            age_range["high"] = _age(high, population.age_unit)
        out.append({"type": {"coding": [dict(AGE_CODE)], "text": "Age"}, "valueRange": age_range})
    w_low, w_high = population.weight_low, population.weight_high
    if (w_low and w_low > 0) or (w_high and w_high > 0):
        weight: dict = {}
        if w_low and w_low > 0:
            weight["low"] = quantity(w_low, "kg")
        if w_high and w_high > 0:
            weight["high"] = quantity(w_high, "kg")
        if "low" in weight and "high" in weight and weight["low"]["value"] > weight["high"]["value"]:
            weight["low"], weight["high"] = weight["high"], weight["low"]
        out.append({"type": {"text": "Body weight"}, "valueRange": weight})
    if not out and population.kind not in ("any", "adult") and population.text:
        out.append({"type": {"text": "Population"}, "valueCodeableConcept": {"text": population.text}})
    return out
