"""Terminology as data: look wording up in the concept maps under concept_maps/*.json.

Each map file is `{"description": ..., "entries": [{"source": [wordings...], "system", "code",
"display", "confirmation"}]}`; a wording is matched after `normalise()`. Anything not in a map
gets no code: `concept()` then returns text only. A wrong code is worse than none.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

MAPS_DIR = Path(__file__).with_name("concept_maps")

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ATC = "http://www.whocc.no/atc"
GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
ROLE_CLASS = "http://terminology.hl7.org/CodeSystem/v3-RoleClass"
CUD_CATEGORY = "http://hl7.org/fhir/clinical-use-definition-category"
EFFECT_FREQUENCY = "http://hl7.org/fhir/undesirable-effect-frequency"
INTERACTION_TYPE = "http://hl7.org/fhir/interaction-type"
PUBLICATION_STATUS = "http://hl7.org/fhir/publication-status"
AGE_CODE = {"system": SNOMED, "code": "424144002", "display": "Current chronological age"}

_PAREN = re.compile(r"\s*\([^()]*\)")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower()
    text = re.sub(r"[*_`]", "", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .,:;!\t\n")


@cache
def table(name: str) -> dict[str, dict]:
    """wording → coding for one map; a wording listed twice is a data error."""
    doc = json.loads((MAPS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    out: dict[str, dict] = {}
    for entry in doc["entries"]:
        coding = {"system": entry["system"], "code": entry["code"], "display": entry["display"]}
        for wording in entry["source"]:
            key = normalise(wording)
            if key in out and out[key] != coding:
                raise ValueError(f"concept_maps/{name}.json maps '{wording}' twice")
            out[key] = coding
    return out


def codes(name: str) -> frozenset[str]:
    """Every code map `name` can give (e.g. the timing abbreviations the parser may assign)."""
    return frozenset(coding["code"] for coding in table(name).values())


def lookup(name: str, text: str | None) -> dict | None:
    """The coding for `text` in map `name`, trying again without an explanatory parenthesis."""
    if not text:
        return None
    codes = table(name)
    key = normalise(text)
    if key in codes:
        return dict(codes[key])
    bare = normalise(_PAREN.sub("", text))
    return dict(codes[bare]) if bare in codes else None


def concept(name: str, text: str | None) -> dict:
    """A CodeableConcept: the source wording as text, plus a coding when the map knows it."""
    cc: dict = {}
    coding = lookup(name, text)
    if coding:
        cc["coding"] = [coding]
    cc["text"] = text if text else "unspecified"
    return cc


def coded(system: str, code: str, display: str, text: str | None = None) -> dict:
    cc: dict = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        cc["text"] = text
    return cc


def number(value: float) -> int | float:
    """100.0 → 100, so decimals carry no precision the source never stated."""
    return int(value) if float(value).is_integer() else value


def quantity(value: float, unit: str | None) -> dict:
    """A (Simple)Quantity; UCUM-coded when the unit is in the units map, else the unit text only."""
    q: dict = {"value": number(value)}
    if not unit:
        return q
    coding = lookup("units", unit)
    if coding:
        q.update(unit=coding["display"], system=UCUM, code=coding["code"])
    else:
        q["unit"] = unit
    return q
