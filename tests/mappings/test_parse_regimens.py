"""The clause reader: each family of misreadings the gold set found, one sentence in, readings out.

A reading is (low, high, unit, per_day, frequency, frequencyMax, period, periodMax, periodUnit, code);
an empty list means the sentence stays text."""

from __future__ import annotations

import pytest

from mappings.parse import parse_text
from mappings.parse.regimens import read_sentence


def readings(sentence: str, components: list[str] | None = None) -> list[tuple]:
    out = []
    for r in read_sentence(sentence, bool(components and len(components) > 1), components):
        f = r.frequency
        timing = (f.frequency, f.frequency_max, f.period, f.period_max, f.period_unit, f.code) if f else None
        out.append((r.low, r.high, r.unit, r.per_day, timing))
    return out


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # daily totals are daily totals, with the number of administrations they are divided into
        (
            "10-20 mg/kg/day in divided doses every 8-12 hours.",
            [(10, 20, "mg/kg", True, (1, None, 8, 12, "h", None))],
        ),
        (
            "0.9 to 2.4 grams daily, divided into 3 or 4 doses.",
            [(0.9, 2.4, "g", True, (3, 4, 1, None, "d", None))],
        ),
        ("6 to 9 g per night, divided into two doses.", [(6, 9, "g", True, (2, None, 1, None, "d", "BID"))]),
        (
            "150-450 mg daily is common, divided into three doses.",
            [(150, 450, "mg", True, (3, None, 1, None, "d", "TID"))],
        ),
        ("Usually 50 mg daily.", [(50, 50, "mg", True, None)]),
        (
            "A single dose of 0.5 grams daily is often sufficient.",
            [(0.5, 0.5, "g", False, (1, None, 1, None, "d", "QD"))],
        ),
        # both bounds of ranges and alternatives; a code only when it says exactly that
        ("500 mg every 8-12 hours.", [(500, 500, "mg", False, (1, None, 8, 12, "h", None))]),
        ("10 mg every 4-6 hours as needed.", [(10, 10, "mg", False, (1, None, 4, 6, "h", None))]),
        ("300 mg three or four times daily.", [(300, 300, "mg", False, (3, 4, 1, None, "d", None))]),
        ("1 tablet once or twice daily.", [(1, 1, "tablet", False, (1, 2, 1, None, "d", None))]),
        ("15-30 mg two to three times daily.", [(15, 30, "mg", False, (2, 3, 1, None, "d", None))]),
        ("1 gram twice or three times daily (BID or TID).", [(1, 1, "g", False, (2, 3, 1, None, "d", None))]),
        ("100 mg three times daily (TID).", [(100, 100, "mg", False, (3, None, 1, None, "d", "TID"))]),
        # numbers that are not doses
        ("The dose may be increased by 300 mg weekly.", []),
        ("Patients with renal failure need a 70-75% dose reduction.", []),
        ("Doses exceeding 180 mg/day suggest non-compliance.", []),
        ("The dose is then raised, increasing every three days by 125 mg.", []),
        ("Further adjustments may be made in increments of 1.5 mg or 3 mg, as needed.", []),
        (
            "Oral doses start at 7.5 mg once weekly, increasing gradually up to 30 mg weekly.",
            [(7.5, 7.5, "mg", False, (1, None, 1, None, "wk", "WK"))],
        ),
        ("A single 2.25 g oral dose is taken with 1 g of probenecid.", [(2.25, 2.25, "g", False, None)]),
        (
            "A common regimen is 700 mg twice daily with ritonavir 100 mg twice daily.",
            [(700, 700, "mg", False, (2, None, 1, None, "d", "BID"))],
        ),
        ("A loading dose of 240 mg (given as two 120 mg injections).", [(240, 240, "mg", False, None)]),
        ("Discontinue permanently if the 15 mg/m² dose is not tolerated.", []),
        ("Overdose: more than 10 g may be fatal.", []),
        ("It is prescribed in doses ranging from 30mcg to several milligrams daily.", []),
        # a target after a change is a dose
        (
            "In severe cases, the dose may be increased to 150 mg four times daily (QID).",
            [(150, 150, "mg", False, (4, None, 1, None, "d", "QID"))],
        ),
        # a cycle is not the day's timing
        (
            "25 mg/m² intravenously administered daily for 5 consecutive days, repeated every 28 days.",
            [(25, 25, "mg/m2", True, None)],
        ),
        # an ambiguous split stays text
        ("Initial dose is 0.05 mg/kg once daily (OD) or divided into two doses for five days.", []),
    ],
)
def test_clause_readings(sentence, expected):
    assert readings(sentence) == expected


def test_maxima_cap_what_they_say():
    (per_dose,) = read_sentence("500 mg every 6 hours, up to a maximum of 1000 mg four times daily.")
    assert per_dose.max_dose.value == 1000 and per_dose.max_daily is None
    (per_day,) = read_sentence("10 mg every 4 to 6 hours, not to exceed 40 mg per day.")
    assert per_day.max_daily.value == 40 and per_day.max_dose is None
    (open_cap,) = read_sentence("2.5 mg twice daily; maximum 10 mg.")
    assert open_cap.max_daily is None and open_cap.max_dose is None  # a cap whose period is not said
    assert read_sentence("The maximum dose is 1.95 g/m²/day or 90 mg/kg/day.") == []


def test_combination_strengths_are_not_product_doses():
    components = ["Perindopril", "Amlodipine"]
    assert readings("Perindopril arginine 3.5 mg + Amlodipine 2.5 mg, once daily.", components) == []
    assert (
        readings("Levodopa 50 mg/Benserazide 12.5 mg several times a day.", ["Levodopa", "Benserazide"]) == []
    )
    each = read_sentence(
        "Vonoprazan 20 mg + Amoxicillin 1000 mg + Clarithromycin 500 mg, each administered twice daily.",
        True,
        ["Vonoprazan", "Amoxicillin", "Clarithromycin"],
    )
    assert [(r.component, r.low, r.frequency.code) for r in each] == [
        ("Vonoprazan", 20, "BID"),
        ("Amoxicillin", 1000, "BID"),
        ("Clarithromycin", 500, "BID"),
    ]


def test_routes_come_from_the_dose_its_label_or_its_section():
    m = parse_text(
        "# X\n### Dosage\n"
        "* Dosage ranges from 250 mg every 12 hours orally, or 400 mg every 8-12 hours intravenously.\n"
        "* Dosages range from 250mg to 875mg, taken every 8 or 12 hours, or administered intravenously.\n"
        "* **Injection (IM, IV):** 15-30 mg twice daily.\n",
        "x.md",
    )
    rows = [(r.dose_low, r.route) for r in m.dosage_regimens]
    assert rows == [
        (250, "oral"),
        (400, "intravenous"),
        (250, None),
        (15, "intramuscular"),
        (15, "intravenous"),
    ]
    one = parse_text(
        "# X\n### Dosage\nOral administration is standard.\n\n* Adults: 10 mg once daily.\n", "x.md"
    )
    assert [r.route for r in one.dosage_regimens] == ["oral"]


def test_per_ingredient_doses_keep_their_ingredient():
    m = parse_text(
        "---\ntitle: Paracetamol + Codeine\n---\n# Paracetamol + Codeine\n### Dosage\n"
        "* **Paracetamol:** 325 mg to 1000 mg every 4-6 hours.\n* **Codeine:** 15-60 mg every 4 hours.\n",
        "paracetamol-codeine.md",
    )
    assert [(r.component, r.dose_low, r.dose_high) for r in m.dosage_regimens] == [
        ("Paracetamol", 325, 1000),
        ("Codeine", 15, 60),
    ]


def test_renal_bands_are_the_dose_population():
    m = parse_text(
        "# X\n### Dosage\n* For CrCl 15-29 mL/min, reduce the dose to 20 mg twice daily.\n", "x.md"
    )
    (r,) = m.dosage_regimens
    assert r.population.condition == "CrCl 15-29 mL/min" and r.dose_low == 20
