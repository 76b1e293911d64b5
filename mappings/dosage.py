"""One parsed DosageRegimen → one R5 Dosage, and its Population → patientCharacteristic.

An amount given each time is `doseAndRate.dose[x]`. A daily total ("5 mg/kg daily divided into
three doses") is `doseAndRate.rate[x]` in a per-day unit (mg/d, mg/kg/d), the R5 "amount of
medication per unit of time", never a dose[x]; the timing then says how many administrations it
is divided into. Timing keeps both bounds of ranges (frequencyMax, periodMax) and carries a code
only when the code names exactly what the text says. The source sentence is always Dosage.text.
"""

from __future__ import annotations

import re

from .model import Amount, DosageRegimen, Frequency, Population
from .terminology import AGE_CODE, UCUM, concept, lookup, number, quantity

TIME_UNITS = {"s", "min", "h", "d", "wk", "mo", "a"}  # Timing.repeat.periodUnit (required binding)
AGE_UNIT_NAMES = {"a": "years", "mo": "months", "wk": "weeks", "d": "days"}

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
    kind = "rate" if regimen.per_day_total else "dose"
    if unit and regimen.per_day_total:
        unit = per_day_unit(unit)
    if low is not None and high is not None and low != high:
        low, high = sorted((low, high))  # rng-2
        return [{f"{kind}Range": {"low": quantity(low, unit), "high": quantity(high, unit)}}]
    return [{f"{kind}Quantity": quantity(low if low is not None else high, unit)}]


def timing(regimen: DosageRegimen) -> dict | None:
    freq: Frequency | None = regimen.frequency
    repeat: dict = {}
    if regimen.duration_value and regimen.duration_unit in TIME_UNITS:
        repeat["boundsDuration"] = time_quantity(regimen.duration_value, regimen.duration_unit)
    if freq:
        if freq.frequency and freq.frequency > 0:
            repeat["frequency"] = freq.frequency
            if freq.frequency_max and freq.frequency_max > freq.frequency:
                repeat["frequencyMax"] = freq.frequency_max
        if freq.period and freq.period > 0 and freq.period_unit in TIME_UNITS:
            repeat["period"] = number(freq.period)
            if freq.period_max and freq.period_max > freq.period:
                repeat["periodMax"] = number(freq.period_max)
            repeat["periodUnit"] = freq.period_unit
    out: dict = {}
    if repeat:
        out["repeat"] = repeat
    if freq and (freq.text or freq.code):
        coding = lookup("frequencies", freq.code) if freq.code else None
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


def max_per_administration(amount: Amount | None) -> dict | None:
    if amount is None or amount.value is None or amount.value <= 0:
        return None
    return quantity(amount.value, without_per_day(amount.unit) if amount.unit else None)


def max_per_period(amount: Amount | None) -> list[dict]:
    if amount is None or amount.value is None or amount.value <= 0:
        return []
    numerator = quantity(amount.value, without_per_day(amount.unit) if amount.unit else None)
    return [{"numerator": numerator, "denominator": time_quantity(1, "d")}]


def dosage(regimen: DosageRegimen) -> dict:
    """R5 Dosage in element order: text, additionalInstruction, timing, asNeeded, route, method,
    doseAndRate, maxDosePerPeriod, maxDosePerAdministration."""
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
    mda = max_per_administration(regimen.max_per_administration)
    if mda:
        out["maxDosePerAdministration"] = mda
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
    if population.condition:
        out.append({"type": {"text": "Condition"}, "valueCodeableConcept": {"text": population.condition}})
    if not out and population.kind != "any" and population.text:
        out.append({"type": {"text": "Population"}, "valueCodeableConcept": {"text": population.text}})
    return out


def _amount(low: float | None, high: float | None, unit: str | None) -> str:
    low = low if low is not None else high
    value = f"{number(low)}" if low == high or high is None else f"{number(low)}–{number(high)}"
    return f"{value} {unit}" if unit else value


def _timing_words(freq: Frequency | None, divided: bool) -> str | None:
    if freq is None:
        return None
    unit = {"h": "hours", "d": "days", "wk": "weeks", "mo": "months", "min": "minutes"}.get(
        freq.period_unit or ""
    )
    if freq.frequency and freq.period == 1 and freq.period_unit in ("d", "wk", "mo") and not freq.period_max:
        per = {"d": "day", "wk": "week", "mo": "month"}[freq.period_unit]
        n = f"{freq.frequency}" + (f"–{freq.frequency_max}" if freq.frequency_max else "")
        if divided and per == "day":
            return f"divided into {n} administrations"
        words = {"1": "once", "2": "twice"}
        return f"{words[n]} per {per}" if n in words else f"{n} times per {per}"
    if freq.frequency == 1 and freq.period and unit:
        every = f"{number(freq.period)}" + (f"–{number(freq.period_max)}" if freq.period_max else "")
        return f"every {every} {unit}"
    return None


def describe(regimen: DosageRegimen) -> str:
    """What the structured Dosage says, in words: the narrative must say what the data says."""
    if regimen.dose_low is None and regimen.dose_high is None:
        return regimen.source
    unit = without_per_day(regimen.dose_unit) if regimen.dose_unit else None
    amount = _amount(regimen.dose_low, regimen.dose_high, unit)
    parts = [f"{amount} per day in total" if regimen.per_day_total else f"{amount} per administration"]
    timing_text = _timing_words(regimen.frequency, regimen.per_day_total)
    if timing_text:
        parts.append(timing_text)
    if regimen.frequency and regimen.frequency.as_needed:
        parts.append("as needed")
    if regimen.route:
        parts.append(regimen.route)
    if regimen.max_daily_dose:
        parts.append(
            f"maximum {_amount(regimen.max_daily_dose.value, None, without_per_day(regimen.max_daily_dose.unit))} per day"
        )
    if regimen.max_per_administration:
        cap = regimen.max_per_administration
        parts.append(f"maximum {_amount(cap.value, None, without_per_day(cap.unit))} per administration")
    if regimen.component:
        parts.append(f"for {regimen.component}")
    return f"{', '.join(parts)} — “{regimen.source}”"
