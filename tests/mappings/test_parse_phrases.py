"""Dose, frequency, population, route and frequency-band phrases, one case per spelling."""

from __future__ import annotations

import pytest

from mappings.parse.dosing import Context, regimens_in_sentence
from mappings.parse.populations import population_of, route_of
from mappings.parse.quantities import find_doses, find_frequency
from mappings.parse.regimens import caps_in
from mappings.parse.side_effects import band_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("once daily (OD)", ("QD", 1, 1, "d")),
        ("OD", ("QD", 1, 1, "d")),
        ("once a day", ("QD", 1, 1, "d")),
        ("twice daily", ("BID", 2, 1, "d")),
        ("b.i.d.", ("BID", 2, 1, "d")),
        ("three times a day", ("TID", 3, 1, "d")),
        ("TID", ("TID", 3, 1, "d")),
        ("four times daily (QID)", ("QID", 4, 1, "d")),
        ("every 8 hours", ("Q8H", 1, 8, "h")),
        ("q4h", ("Q4H", 1, 4, "h")),
        ("every 4-6 hours", (None, 1, 4, "h")),  # periodMax 6: no code names that
        ("every 12 hours", (None, 1, 12, "h")),
        ("every 24 hours", ("QD", 1, 1, "d")),
        ("every other day", ("QOD", 1, 2, "d")),
        ("once weekly", ("WK", 1, 1, "wk")),
        ("every two weeks", (None, 1, 2, "wk")),
        ("once a month", ("MO", 1, 1, "mo")),
        ("5 times a day", (None, 5, 1, "d")),
        ("at bedtime", ("BED", 1, 1, "d")),
    ],
)
def test_frequency(text, expected):
    f = find_frequency(text)
    assert (f.code, f.frequency, f.period, f.period_unit) == expected


def test_as_needed():
    assert find_frequency("as needed").as_needed
    f = find_frequency("every 6 hours PRN")
    assert f.as_needed and f.code == "Q6H"
    assert find_frequency("no timing here") is None


@pytest.mark.parametrize(
    ("text", "low", "high", "unit", "per_day"),
    [
        ("100-150 mg", 100, 150, "mg", False),
        ("0.25 mg to 1 mg", 0.25, 1, "mg", False),
        ("1,000 mg", 1000, 1000, "mg", False),
        ("500 µg", 500, 500, "mcg", False),
        ("500 μg", 500, 500, "mcg", False),
        ("2 grams", 2, 2, "g", False),
        ("10 mL", 10, 10, "mL", False),
        ("5000 IU", 5000, 5000, "IU", False),
        ("40 units", 40, 40, "units", False),
        ("5 mg/kg", 5, 5, "mg/kg", False),
        ("5 mg/kg of body weight daily", 5, 5, "mg/kg/day", True),
        ("20 mg/kg/day", 20, 20, "mg/kg/day", True),
        ("75 mg/m²", 75, 75, "mg/m2", False),
        ("75 mg/m2", 75, 75, "mg/m2", False),
        ("300 mg/day", 300, 300, "mg", True),
        ("1%", 1, 1, "%", False),
    ],
)
def test_dose(text, low, high, unit, per_day):
    (dose,) = find_doses(text)
    assert (dose.low, dose.high, dose.unit, dose.per_day) == (low, high, unit, per_day)


@pytest.mark.parametrize(
    "text", ["creatinine clearance < 30 mL/min", "glucose 100 mg/dL", "a 7.5 mg/mL solution"]
)
def test_rates_and_concentrations_are_not_doses(text):
    assert find_doses(text) == []


def test_max_daily_dose():
    amount, _ = caps_in("2.5 mg three times daily, with a maximum daily dose of 10 mg.")
    assert (amount.value, amount.unit) == (10, "mg")
    amount, _ = caps_in("not exceeding 4 grams per day")
    assert (amount.value, amount.unit) == (4, "g")


def test_regimens_in_one_sentence():
    first, second = regimens_in_sentence(
        "Initial dose of 10 mg/kg every two weeks for three doses, followed by 10 mg/kg every four weeks.",
        Context(),
    )
    assert (first.frequency.period, second.frequency.period) == (2, 4)
    (only,) = regimens_in_sentence("Take 2.5 mg TID, with a maximum daily dose of 10 mg.", Context())
    assert only.max_daily_dose.value == 10
    (dur,) = regimens_in_sentence("250 mg twice daily for 7-10 days.", Context())
    assert (dur.duration_value, dur.duration_unit, dur.duration) == (7, "d", "for 7-10 days")


@pytest.mark.parametrize(
    ("text", "kind", "low", "high", "unit"),
    [
        ("Adults", "adult", None, None, "a"),
        ("Children under 6 years", "child", None, 6, "a"),
        ("Children 6-14 years", "child", 6, 14, "a"),
        ("Pediatric Patients (≥5 years)", "child", 5, None, "a"),
        ("Ages 2 to under 6 years", "child", 2, 6, "a"),
        ("Infants 1-6 months", "child", 1, 6, "mo"),
        ("Elderly", "elderly", None, None, "a"),
        ("Adults 65 years and older", "adult", 65, None, "a"),
        ("Patients over 65 years", "elderly", 65, None, "a"),
    ],
)
def test_population(text, kind, low, high, unit):
    p = population_of(text)
    assert (p.kind, p.age_low, p.age_high, p.age_unit) == (kind, low, high, unit)


def test_weight_band_and_no_population():
    p = population_of("Patients weighing 40-60 kg")
    assert (p.kind, p.weight_low, p.weight_high) == ("weight", 40, 60)
    assert population_of("Oral") is None


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("Oral", "oral"),
        ("Intramuscular (IM)", "intramuscular"),
        ("IV", "intravenous"),
        ("SubQ", "subcutaneous"),
        ("SC injection", "subcutaneous"),
        ("given intravenously", "intravenous"),
        ("Topical", "topical"),
        ("eye drops", "ophthalmic"),
        ("im", None),
        ("Dosage", None),
    ],
)
def test_route(text, route):
    assert route_of(text) == route


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("Common side effects (occurring in 1-10% of patients) include", "common"),
        ("Common Side Effects (>10%)", "very-common"),
        ("Very common", "very-common"),
        ("Less common, but potentially serious side effects", "uncommon"),
        ("Uncommon (0.1-1%)", "uncommon"),
        ("Less Common Side Effects (1-10%)", "common"),
        ("Rare but Serious Side Effects (<1%, post-marketing reports)", "rare"),
        ("Side effects (<0.1%)", "rare"),
        ("Very rare", "very-rare"),
        ("Other side effects", None),
    ],
)
def test_side_effect_band(text, band):
    assert band_of(text) == band


def test_cap_sentence_applies_to_the_doses_before_it():
    from mappings.parse import parse_text

    m = parse_text(
        "# X\n### Dosage\n* **Oral:** 10-20 mg three times daily. Maximum daily dose: 60 mg.\n", "x.md"
    )
    (regimen,) = m.dosage_regimens
    assert (regimen.max_daily_dose.value, regimen.max_daily_dose.unit) == (60, "mg")
    assert regimen.instructions == "Maximum daily dose: 60 mg."
    (with_rate,) = regimens_in_sentence("15-20 mg/kg/day, with a maximum of 1 g/day.", Context())
    assert with_rate.per_day_total
    assert (with_rate.dose_unit, with_rate.max_daily_dose.value, with_rate.max_daily_dose.unit) == (
        "mg/kg",
        1,
        "g",
    )


def test_child_pugh_is_not_a_child():
    assert population_of("patients with Child-Pugh class B") is None
