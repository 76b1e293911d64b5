"""The gold evaluation (mappings/evaluation, `fhir-service eval`): the converter's scores on fixtures/gold
and fixtures/gold-holdout never fall below their scores.json, and the yardstick itself is right on tiny hand-built
resources and annotations (a correct value scores correct, a daily total as a per-dose amount is
dangerous, TID for "three or four times daily" is wrong, a must-not item is dangerous, ...).
"""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from mappings.evaluation import GoldError, compare, evaluate, load_baseline, load_page
from mappings.evaluation.extract import extract
from mappings.evaluation.match import states_item
from mappings.evaluation.score import score_page

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "fixtures" / "gold"
HOLDOUT = ROOT / "fixtures" / "gold-holdout"
CORPUS = ROOT.parent / "shared" / "monographs"
UCUM = "http://unitsofmeasure.org"


# --- the converter against the recorded scores ----------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared monograph corpus not found at {CORPUS}")
    return CORPUS


@pytest.mark.parametrize("gold_dir", [GOLD, HOLDOUT], ids=["gold", "gold-holdout"])
def test_scores_never_fall_below_the_baseline(corpus, gold_dir):
    evaluation = evaluate(gold_dir, corpus)
    assert not evaluation.gold_errors, [str(e) for e in evaluation.gold_errors]
    assert not evaluation.failures, [(r.page, r.error) for r in evaluation.failures]
    baseline = load_baseline(gold_dir / "scores.json")
    problems, held, not_held = compare(evaluation, baseline)
    if not_held:
        warnings.warn(
            f"{len(not_held)} gold pages are new or changed since scores.json was written and are not held "
            f"(`fhir-service eval {gold_dir.name} --write-baseline` records them): {', '.join(not_held[:10])}",
            stacklevel=1,
        )
    assert held, "no gold page of scores.json is unchanged: write the baseline again"
    assert not problems, "\n".join(problems)


def test_cli_prints_the_table_and_writes_json(corpus, tmp_path):
    from fhir_service.cli import main

    page = sorted(GOLD.glob("*/*.json"))[0]
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(
        main,
        ["eval", str(GOLD), "--corpus", str(corpus), "--page", str(page), "--json", str(out), "--verbose"],
    )
    assert result.exit_code == 0, result.output
    assert "Dosing values" in result.output and "Dangerous errors" in result.output
    data = json.loads(out.read_text())
    assert data["pages"] == 1 and "overall" in data["scores"]["dosing"]


def test_cli_refuses_a_missing_corpus(tmp_path):
    from fhir_service.cli import main

    result = CliRunner().invoke(main, ["eval", str(GOLD), "--corpus", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "corpus folder" in result.output


# --- tiny gold files and resources ----------------------------------------------------------------


def dose(quote: str, **fields) -> dict:
    out = {
        "quote": quote,
        "population": {
            "text": None,
            "age_min_years": None,
            "age_max_years": None,
            "weight_min_kg": None,
            "weight_max_kg": None,
            "condition": None,
        },
        "ingredient": None,
        "route": None,
        "dose_per_administration": None,
        "dose_per_day": None,
        "per_kg": False,
        "per_m2": False,
        "frequency_per_day": None,
        "interval_hours": None,
        "as_needed": False,
        "max_per_day": None,
        "max_per_administration": None,
        "duration": None,
        "not_a_regimen": False,
    }
    out.update(fields)
    return out


def gold_page(tmp_path: Path, doses=(), routes=("oral",), ingredients=("drugamine",), **lists):
    data = {
        "file": "x/page.md",
        "ingredients": list(ingredients),
        "routes": list(routes),
        "doses": list(doses),
        "indications": [],
        "contraindications": [],
        "interactions": [],
        "undesirable_effects": [],
        "warnings": [],
        "must_not": [],
    }
    data.update(lists)
    path = tmp_path / "x" / "page.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return load_page(path, tmp_path)


def q(value, code):
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def rng(low, high, code):
    return {"low": q(low, code), "high": q(high, code)}


def mk(*dosages, age=None) -> dict:
    guideline = {"dosage": [{"type": {"text": "Adults: Oral"}, "dosage": list(dosages)}]}
    if age is not None:
        guideline["patientCharacteristic"] = [
            {
                "type": {"coding": [{"system": "http://snomed.info/sct", "code": "424144002"}]},
                "valueRange": {"low": {"value": age[0], "unit": "years", "system": UCUM, "code": "a"}}
                if age[1] is None
                else {"low": q(age[0], "a"), "high": q(age[1], "a")},
            }
        ]
    return {
        "resourceType": "MedicationKnowledge",
        "id": "x-mk",
        "indicationGuideline": [{"dosingGuideline": [guideline]}],
    }


def timing(frequency=None, period=None, unit=None, code=None, frequency_max=None, period_max=None):
    out = {}
    repeat = {
        k: v
        for k, v in (
            ("frequency", frequency),
            ("frequencyMax", frequency_max),
            ("period", period),
            ("periodMax", period_max),
            ("periodUnit", unit),
        )
        if v is not None
    }
    if repeat:
        out["repeat"] = repeat
    if code:
        out["code"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": code}]
        }
    return out


ORAL = {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}], "text": "oral"}


def judged(page, *resources):
    result = score_page(page, extract(list(resources)))
    return result, {j.kind: j for j in result.dosing}


def test_a_correct_dose_scores_correct_in_every_value(tmp_path):
    page = gold_page(
        tmp_path,
        [
            dose(
                "500 mg every 8 hours",
                route="oral",
                dose_per_administration={"low": 500, "high": 500, "unit": "mg"},
                interval_hours={"low": 8, "high": 8},
            )
        ],
    )
    result, by_kind = judged(
        page,
        mk(
            {
                "text": "Adults: 500 mg every 8 hours.",
                "timing": timing(1, 8, "h", "Q8H"),
                "route": ORAL,
                "doseAndRate": [{"doseQuantity": q(0.5, "g")}],
            }
        ),
    )
    assert set(by_kind) == {"dose_per_administration", "interval", "code", "route"}
    assert all(j.correct and not j.dangerous for j in result.dosing)
    assert result.counts()["stated_doses"] == {"correct": 1, "total": 1}


def test_a_daily_total_stated_as_per_dose_is_dangerous(tmp_path):
    gold = dose(
        "150-450 mg daily, divided into three doses",
        dose_per_day={"low": 150, "high": 450, "unit": "mg"},
        frequency_per_day={"low": 3, "high": 3},
    )
    text = "150-450 mg daily, divided into three doses."
    # the per-day unit as dose[x] with three administrations a day
    _, by_kind = judged(
        gold_page(tmp_path, [gold]),
        mk(
            {
                "text": text,
                "timing": timing(3, 1, "d", "TID"),
                "doseAndRate": [{"doseRange": rng(150, 450, "mg/d")}],
            }
        ),
    )
    assert by_kind["dose_per_day"].dangerous and "daily total" in by_kind["dose_per_day"].reason
    # the daily total in a plain unit, read as the amount of each of three doses
    _, by_kind = judged(
        gold_page(tmp_path, [gold]),
        mk({"text": text, "timing": timing(3, 1, "d"), "doseAndRate": [{"doseRange": rng(150, 450, "mg")}]}),
    )
    assert by_kind["dose_per_administration"].dangerous
    # the lead's representation: rate[x] per day, divided into three administrations
    result, by_kind = judged(
        gold_page(tmp_path, [gold]),
        mk(
            {"text": text, "timing": timing(3, 1, "d"), "doseAndRate": [{"rateRange": rng(150, 450, "mg/d")}]}
        ),
    )
    assert by_kind["dose_per_day"].correct and by_kind["frequency"].correct
    assert result.counts()["stated_doses"]["correct"] == 1
    # rateRatio over one day reads the same
    ratio = {"numerator": q(0.15, "g"), "denominator": q(1, "d")}
    _, by_kind = judged(
        gold_page(tmp_path, [dose("0.15 g daily", dose_per_day={"low": 150, "high": 150, "unit": "mg"})]),
        mk({"text": "0.15 g daily", "doseAndRate": [{"rateRatio": ratio}]}),
    )
    assert by_kind["dose_per_day"].correct


def test_once_daily_makes_per_administration_and_per_day_one_amount(tmp_path):
    gold = dose(
        "20 mg once daily",
        dose_per_administration={"low": 20, "high": 20, "unit": "mg"},
        frequency_per_day={"low": 1, "high": 1},
    )
    _, by_kind = judged(
        gold_page(tmp_path, [gold]),
        mk(
            {
                "text": "20 mg once daily.",
                "timing": timing(1, 1, "d"),
                "doseAndRate": [{"rateQuantity": q(20, "mg/d")}],
            }
        ),
    )
    assert by_kind["dose_per_day"].correct and by_kind["frequency"].correct


def test_a_code_must_say_exactly_what_the_text_says(tmp_path):
    gold = dose(
        "250 mg three or four times daily",
        dose_per_administration={"low": 250, "high": 250, "unit": "mg"},
        frequency_per_day={"low": 3, "high": 4},
    )
    _, by_kind = judged(
        gold_page(tmp_path, [gold]),
        mk(
            {
                "text": "250 mg three or four times daily",
                "timing": timing(3, 1, "d", "TID", frequency_max=4),
                "doseAndRate": [{"doseQuantity": q(250, "mg")}],
            }
        ),
    )
    assert by_kind["frequency"].correct
    assert not by_kind["code"].correct and by_kind["code"].dangerous
    gold = dose(
        "400 mg every 8-12 hours",
        dose_per_administration={"low": 400, "high": 400, "unit": "mg"},
        interval_hours={"low": 8, "high": 12},
    )
    _, by_kind = judged(
        gold_page(tmp_path, [gold]),
        mk(
            {
                "text": "400 mg every 8-12 hours",
                "timing": timing(1, 8, "h", "Q8H", period_max=12),
                "doseAndRate": [{"doseQuantity": q(400, "mg")}],
            }
        ),
    )
    assert by_kind["interval"].correct and by_kind["code"].dangerous
    # every 12 hours and twice daily are one pattern
    gold = dose(
        "1 g every 12 hours",
        dose_per_administration={"low": 1, "high": 1, "unit": "g"},
        interval_hours={"low": 12, "high": 12},
    )
    _, by_kind = judged(
        gold_page(tmp_path, [gold]),
        mk(
            {
                "text": "1 g every 12 hours",
                "timing": timing(2, 1, "d", "BID"),
                "doseAndRate": [{"doseQuantity": q(1000, "mg")}],
            }
        ),
    )
    assert by_kind["frequency"].correct and by_kind["code"].correct


def test_numbers_that_are_not_doses_and_unmatched_dosages_are_dangerous(tmp_path):
    page = gold_page(tmp_path, [dose("increase by 300 mg weekly", not_a_regimen=True)])
    _, by_kind = judged(
        page,
        mk(
            {
                "text": "Increase by 300 mg weekly.",
                "timing": timing(1, 1, "wk", "WK"),
                "doseAndRate": [{"doseQuantity": q(300, "mg")}],
            }
        ),
    )
    assert (
        by_kind["dose_per_administration"].dangerous
        and "not a dose" in by_kind["dose_per_administration"].reason
    )
    assert not by_kind["interval"].correct and not by_kind["interval"].dangerous
    _, by_kind = judged(
        page, mk({"text": "Something else entirely, 5 mg.", "doseAndRate": [{"doseQuantity": q(5, "mg")}]})
    )
    assert by_kind["dose_per_administration"].dangerous


def test_maxima_routes_and_age_bands(tmp_path):
    gold = dose(
        "up to 1000 mg four times daily",
        route="oral",
        dose_per_administration={"low": 1000, "high": 1000, "unit": "mg"},
        frequency_per_day={"low": 4, "high": 4},
        max_per_administration={"value": 1000, "unit": "mg", "per_kg": False},
        population={
            "text": "adults",
            "age_min_years": None,
            "age_max_years": None,
            "weight_min_kg": None,
            "weight_max_kg": None,
            "condition": None,
        },
    )
    cap = {"numerator": q(1000, "mg"), "denominator": q(1, "d")}
    result, by_kind = judged(
        gold_page(tmp_path, [gold], routes=("oral", "intravenous")),
        mk(
            {
                "text": "Adults: up to 1000 mg four times daily.",
                "timing": timing(4, 1, "d"),
                "route": {"text": "intravenous"},
                "maxDosePerPeriod": [cap],
                "doseAndRate": [{"doseQuantity": q(1000, "mg")}],
            },
            age=(18, None),
        ),
    )
    assert by_kind["maximum"].dangerous  # a cap per administration read as a cap per day
    assert by_kind["route"].dangerous  # the dose's own route is oral
    age = by_kind["age"]
    assert not age.correct and not age.dangerous and "does not state" in age.reason  # "adults" as >= 18
    assert result.counts()["stated_doses"]["correct"] == 0


def test_gold_per_kg_and_ranges_compare_after_normalising(tmp_path):
    gold = dose(
        "40-50 mg/kg every 8 hours",
        dose_per_administration={"low": 40, "high": 50, "unit": "mg"},
        per_kg=True,
        interval_hours={"low": 8, "high": 8},
    )
    _, by_kind = judged(
        gold_page(tmp_path, [gold]),
        mk({"text": "40-50 mg/kg every 8 hours", "doseAndRate": [{"doseRange": rng(40, 50, "mg/kg")}]}),
    )
    assert by_kind["dose_per_administration"].correct
    _, by_kind = judged(
        gold_page(tmp_path, [gold]),
        mk({"text": "40-50 mg/kg every 8 hours", "doseAndRate": [{"doseQuantity": q(40, "mg/kg")}]}),
    )
    assert by_kind["dose_per_administration"].dangerous  # one bound of the range lost


_ids = itertools.count()


def cud(ctype: str, **element) -> dict:
    key = {
        "indication": "indication",
        "contraindication": "contraindication",
        "interaction": "interaction",
        "undesirable-effect": "undesirableEffect",
        "warning": "warning",
    }[ctype]
    return {"resourceType": "ClinicalUseDefinition", "id": f"c{next(_ids)}", "type": ctype, key: element}


def concept(text: str) -> dict:
    return {"concept": {"text": text}}


def test_clinical_use_items(tmp_path):
    page = gold_page(
        tmp_path,
        ingredients=("ketorolac", "tramadol"),
        contraindications=[
            {"item": "severe liver disease", "quote": "severe liver or kidney disease"},
            {"item": "severe kidney disease", "quote": "severe liver or kidney disease"},
        ],
        interactions=[{"item": "warfarin", "quote": "such as warfarin"}],
        warnings=[{"item": "pregnancy", "quote": "Avoid during pregnancy."}],
        undesirable_effects=[
            {"item": "nausea", "frequency": "Common"},
            {"item": "vomiting", "frequency": "Common"},
        ],
        must_not=[{"type": "interaction", "item": "other medications", "why": "placeholder"}],
    )
    resources = [
        cud("contraindication", diseaseSymptomProcedure=concept("severe kidney disease")),  # right
        cud("contraindication", diseaseSymptomProcedure=concept("liver")),  # the qualifier lost
        cud("contraindication", diseaseSymptomProcedure=concept("kidney disease")),  # the qualifier lost
        cud("interaction", interactant=[{"itemCodeableConcept": {"text": "Warfarin"}}]),  # right
        cud("interaction", interactant=[{"itemCodeableConcept": {"text": "other medications"}}]),  # must not
        cud(
            "interaction", interactant=[{"itemCodeableConcept": {"text": "Ketorolac/Tramadol"}}]
        ),  # own ingredients
        cud("contraindication", diseaseSymptomProcedure=concept("pregnancy")),  # a warning in the text
        cud("undesirable-effect", symptomConditionEffect=concept("Nausea and vomiting")),  # a list not split
        cud("warning", description="Avoid during pregnancy."),  # right, by its quote
    ]
    result = score_page(page, extract(resources))
    verdicts = [(c.item, c.correct, c.dangerous) for c in result.clinical]
    assert verdicts == [
        ("severe kidney disease", True, False),
        ("liver", False, False),
        ("kidney disease", False, False),
        ("Warfarin", True, False),
        ("other medications", False, True),
        ("Ketorolac/Tramadol", False, True),
        ("pregnancy", False, False),
        ("Nausea and vomiting", False, False),
        ("Avoid during pregnancy.", True, False),
    ]
    assert "type confusion" in result.clinical[6].reason
    counts = result.counts()["clinical"]
    assert counts["contraindication"] == {"correct": 1, "items": 4, "found": 1, "gold": 2}
    assert counts["undesirable-effect"] == {"correct": 0, "items": 1, "found": 0, "gold": 2}
    assert counts["warning"]["found"] == 1


def test_item_matching_rules():
    assert states_item("allergic reaction to aspirin", "allergic reaction to aspirin")
    assert states_item("recently used MAO inhibitors", "recent use of MAO inhibitors")
    assert states_item("Schizophrenia", "schizophrenia in adults")  # the population is not the concept
    assert states_item("hypersensitivity to omeprazole", "hypersensitivity to omeprazole or related PPIs")
    assert states_item("Itching (pruritus)", "itching")
    assert not states_item("kidney disease", "severe kidney disease")
    assert not states_item("severe liver", "severe liver or kidney disease")
    sentence = "Drugamine is a combination antibiotic used to treat serious bacterial infections"
    assert not states_item(sentence, "serious bacterial infections")


def test_a_malformed_gold_file_names_the_file_and_the_field(tmp_path):
    path = tmp_path / "x" / "page.json"
    path.parent.mkdir()
    bad = dose("10 mg", dose_per_administration={"low": "ten", "high": 10, "unit": "mg"})
    path.write_text(
        json.dumps(
            {
                "file": "x/page.md",
                "ingredients": [],
                "routes": [],
                "doses": [bad],
                "indications": [],
                "contraindications": [],
                "interactions": [],
                "undesirable_effects": [],
                "warnings": [],
                "must_not": [],
            }
        )
    )
    with pytest.raises(GoldError) as caught:
        load_page(path, tmp_path)
    assert str(path) in str(caught.value) and "doses[0].dose_per_administration.low" in str(caught.value)
    path.write_text('{"file": "x/page.md", ')
    with pytest.raises(GoldError, match="invalid JSON"):
        load_page(path, tmp_path)
    path.write_text(json.dumps({"file": "y/other.md"}))
    with pytest.raises(GoldError, match="does not match"):
        load_page(path, tmp_path)


def test_the_baseline_check_holds_only_unchanged_pages_and_catches_a_fall(tmp_path):
    from mappings.evaluation import Evaluation
    from mappings.evaluation.baseline import baseline_data

    gold = dose(
        "500 mg every 8 hours",
        dose_per_administration={"low": 500, "high": 500, "unit": "mg"},
        interval_hours={"low": 8, "high": 8},
    )
    page = gold_page(tmp_path, [gold])
    good = {
        "text": "500 mg every 8 hours",
        "timing": timing(1, 8, "h"),
        "doseAndRate": [{"doseQuantity": q(500, "mg")}],
    }
    bad = {**good, "timing": timing(1, 6, "h")}
    before = Evaluation(tmp_path, tmp_path, [page], [score_page(page, extract([mk(good)]))])
    baseline = baseline_data(before)
    assert compare(before, baseline) == ([], ["x/page"], [])
    after = Evaluation(tmp_path, tmp_path, [page], [score_page(page, extract([mk(bad)]))])
    problems, held, _ = compare(after, baseline)
    assert held == ["x/page"]
    assert any(p.startswith("dosing precision: interval") for p in problems)
    assert any(p.startswith("dangerous errors") for p in problems)
    # an annotation edited since the baseline is not held
    baseline["pages"]["x/page"]["gold_sha256"] = "0" * 64
    assert compare(after, baseline) == ([], [], ["x/page"])
