"""Concept maps: wording → code only where the reference notes confirm it; otherwise text only."""

from __future__ import annotations

import json

import pytest

from mappings import terminology as t

# Every SNOMED CT / ATC code the reference notes (§3) mark confirmed. A code outside this set in a
# concept map is an unbacked code and fails the test.
CONFIRMED = {
    t.SNOMED: {
        "26643006",
        "78421000",
        "47625008",  # routes
        "221360009",
        "230690007",
        "24700007",
        "128188000",
        "45352006",
        "8847002",
        "396275006",
        "63491006",
        "404640003",
        "271782001",
        "25064002",
        "422587007",
        "422400008",
        "14760008",
        "62315008",
        "13791008",
        "26079004",
        "45007003",
        "80313002",
        "271807003",
        "419076005",
        "41291007",
        "39579001",
        "235856003",
        "286933003",
        "84229001",  # side effects
        "91637004",
        "416098002",
        "84757009",
        "77386006",
        "413712001",
        "236423003",  # other
    },
    t.ATC: {"M03BX04", "M03B", "M01A"},
    "http://standardterms.edqm.eu": {"10219000", "10221000", "11201000"},
    t.GTS: {
        "BID",
        "TID",
        "QID",
        "AM",
        "PM",
        "QD",
        "QOD",
        "Q1H",
        "Q2H",
        "Q3H",
        "Q4H",
        "Q6H",
        "Q8H",
        "BED",
        "WK",
        "MO",
    },
}
MAPS = ["routes", "dose_forms", "frequencies", "units", "atc", "conditions", "effects"]


@pytest.mark.parametrize("name", MAPS)
def test_every_code_is_confirmed_and_documented(name):
    doc = json.loads((t.MAPS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert doc["description"]
    for entry in doc["entries"]:
        assert entry["display"] and entry["confirmation"] and entry["source"]
        if entry["system"] != t.UCUM:
            assert entry["code"] in CONFIRMED[entry["system"]], entry
    assert t.table(name)  # loads without a wording mapped twice


def test_lookup_normalises_and_drops_an_explanatory_parenthesis():
    assert t.lookup("conditions", "  Myasthenia   Gravis. ")["code"] == "91637004"
    assert t.lookup("conditions", "spondylosis (degenerative spine disease)")["code"] == "8847002"
    assert t.lookup("routes", "**Oral**")["code"] == "26643006"
    assert t.lookup("frequencies", "OD")["code"] == "QD"


def test_unconfirmed_wording_stays_text_only():
    for wording in ("spinal cord injury", "hepatic impairment", "acrocyanosis"):
        assert t.concept("conditions", wording) == {"text": wording}


def test_a_narrower_wording_takes_the_broader_confirmed_code_and_keeps_its_text():
    cc = t.concept("conditions", "Post-stroke spasticity")
    assert cc["text"] == "Post-stroke spasticity" and cc["coding"][0]["code"] == "221360009"
    assert t.concept("routes", "subcutaneous") == {"text": "subcutaneous"}


def test_quantity_is_ucum_coded_only_for_known_units():
    assert t.quantity(100.0, "mg") == {"value": 100, "unit": "mg", "system": t.UCUM, "code": "mg"}
    assert t.quantity(5, "mg/kg/day")["code"] == "mg/kg/d"
    assert t.quantity(2.5, "mcg")["code"] == "ug"
    assert t.quantity(10, "units") == {"value": 10, "unit": "units"}  # [U] would be the enzyme unit
    assert t.quantity(1.5, None) == {"value": 1.5}
