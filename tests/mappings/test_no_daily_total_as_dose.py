"""No Dosage states a per-day amount as its per-administration dose, in any Bundle the project ships
or converts: a dose[x] never carries a per-day unit, and its amount is never written in its own
source sentence as a daily amount ("150-450 mg daily", "5 mg/kg/day", "2 g per day"). The check reads
the sentence with its own small pattern, not the converter's, so the converter cannot agree with
itself by construction. The shared corpus part is skipped when the corpus is absent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bundles"
PER_DAY_CODE = re.compile(r"/(?:d|24\.h)\b")
DAILY_AFTER = r"\s*(?:/\s*(?:day|d)\b|per\s+day|a\s+day|daily(?!\s+(?:for|in\s+the))|/24\s*h)"
UNIT = r"\s*(?:-\s*)?[a-zµμ%\[\]]+(?:/(?:kg|m2|m²))?(?:\s+of\s+body\s*weight)?"


def _dosages(resource: dict):
    for guideline in resource.get("indicationGuideline", []):
        for dosing in guideline.get("dosingGuideline", []):
            for entry in dosing.get("dosage", []):
                yield from entry.get("dosage", [])


def _dose_values(dosage: dict):
    for dr in dosage.get("doseAndRate", []):
        if "doseQuantity" in dr:
            yield dr["doseQuantity"]
        yield from dr.get("doseRange", {}).values()


def _number_pattern(value) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return rf"(?<![\d.,]){re.escape(text)}(?![\d])"


def _only_daily(value, text: str) -> bool:
    """Every mention of the amount in the sentence is a daily amount."""
    mentions = [m.end() for m in re.finditer(_number_pattern(value) + UNIT, text, re.I)]
    return bool(mentions) and all(re.match(DAILY_AFTER, text[end:], re.I) for end in mentions)


def _once_a_day(dosage: dict) -> bool:
    """Given once a day, a dose is the day's amount: no contradiction."""
    repeat = dosage.get("timing", {}).get("repeat", {})
    return (
        repeat.get("frequency"),
        repeat.get("period"),
        repeat.get("periodUnit"),
        repeat.get("frequencyMax"),
    ) == (
        1,
        1,
        "d",
        None,
    )


def violations(resources: list[dict]) -> list[str]:
    found = []
    for resource in resources:
        if resource.get("resourceType") != "MedicationKnowledge":
            continue
        for dosage in _dosages(resource):
            text = dosage.get("text", "")
            for q in _dose_values(dosage):
                if PER_DAY_CODE.search(q.get("code", "") or q.get("unit", "")):
                    found.append(f"per-day unit in a dose: {q} — {text}")
                elif _only_daily(q["value"], text) and not _once_a_day(dosage):
                    found.append(f"{q['value']} {q.get('unit', '')} is a daily amount in: {text}")
    return found


def _bundle_resources(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", []) if "resource" in e]


def test_the_check_sees_a_daily_total_stated_as_a_dose():
    mk = {
        "resourceType": "MedicationKnowledge",
        "indicationGuideline": [
            {
                "dosingGuideline": [
                    {
                        "dosage": [
                            {
                                "dosage": [
                                    {
                                        "text": "150-450 mg daily, divided into three doses.",
                                        "doseAndRate": [
                                            {"doseRange": {"low": {"value": 150}, "high": {"value": 450}}}
                                        ],
                                    },
                                    {
                                        "text": "5 mg/kg of body weight daily divided into three doses.",
                                        "doseAndRate": [{"doseQuantity": {"value": 5, "code": "mg/kg/d"}}],
                                    },
                                    {
                                        "text": "100 mg twice daily.",
                                        "doseAndRate": [{"doseQuantity": {"value": 100, "code": "mg"}}],
                                    },
                                ]
                            }
                        ]
                    }
                ]
            }
        ],
    }
    assert len(violations([mk])) == 2


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.json")), ids=lambda p: p.name)
def test_shipped_bundles(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    resources = _bundle_resources(data) if data.get("resourceType") == "Bundle" else [data]
    assert violations(resources) == []


@pytest.mark.slow
def test_the_whole_shared_corpus(corpus_conversions):
    found = {}
    for path, conversion in corpus_conversions.items():
        problems = violations(conversion.resources)
        if problems:
            found[path.name] = problems
    assert not found, found
