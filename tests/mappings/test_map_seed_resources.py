"""The seed's resources from a hand-built Monograph: the issue's done-when counts and codes."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter

import pytest

from fhir_service.validation import has_errors, validate_resource
from mappings.convert import convert_monograph, convert_with_coverage, dumps
from mappings.model import (
    DosageRegimen,
    Faq,
    Frequency,
    Indication,
    Interaction,
    Monograph,
    Population,
    Section,
    SideEffect,
    Statement,
    Warning,
)

SCT = "http://snomed.info/sct"

# --- a hand-built Monograph for the seed, so these tests do not depend on the parser ---

ADULT = Population(kind="adult", text="Adults")
TID = Frequency(text="three times daily (TID)", code="TID", frequency=3, period=1, period_unit="d")


def _indications() -> list[Indication]:
    rows = [
        ("post-stroke spasticity", "Post-stroke spasticity"),
        ("multiple sclerosis", "Muscle spasms and hypertonicity in neurological disorders"),
        ("cerebral palsy", "Muscle spasms and hypertonicity in neurological disorders"),
        ("spinal cord injury", "Muscle spasms and hypertonicity in neurological disorders"),
        ("spondylosis", "Locomotor diseases"),
        ("spondylarthrosis", "Locomotor diseases"),
        ("arthrosis of large joints", "Locomotor diseases"),
        ("post-operative rehabilitation", "Rehabilitation after surgery"),
        ("acrocyanosis", "Obliterative vascular diseases"),
        ("intermittent claudication", "Obliterative vascular diseases"),
    ]
    return [Indication(condition=c, source=f"{g}: ...", group=g) for c, g in rows]


def _regimens() -> list[DosageRegimen]:
    oral = "For spasticity (post-stroke), the typical dose is 100-150 mg three times daily (TID)."
    child = Frequency(text="divided into three doses", frequency=3, period=1, period_unit="d")
    return [
        DosageRegimen(oral, ADULT, "oral", 100, 150, "mg", TID, indication="spasticity (post-stroke)"),
        DosageRegimen(
            "In severe cases, the dose may be increased to 150 mg four times daily (QID).",
            ADULT,
            "oral",
            150,
            150,
            "mg",
            Frequency(text="four times daily (QID)", code="QID", frequency=4, period=1, period_unit="d"),
            indication="spasticity (post-stroke)",
        ),
        DosageRegimen(
            "For other conditions,  150-450 mg daily is common, divided into three doses.",
            ADULT,
            "oral",
            150,
            450,
            "mg",
            child,
            per_day_total=True,
            indication="other conditions",
        ),
        DosageRegimen(
            "100 mg twice daily (BID) is a typical dose.",
            ADULT,
            "intramuscular",
            100,
            100,
            "mg",
            Frequency(text="twice daily (BID)", code="BID", frequency=2, period=1, period_unit="d"),
        ),
        DosageRegimen(
            "100 mg once daily (OD) administered via slow intravenous injection.",
            ADULT,
            "intravenous",
            100,
            100,
            "mg",
            Frequency(text="once daily (OD)", code="QD", frequency=1, period=1, period_unit="d"),
            method="slow intravenous injection",
        ),
        DosageRegimen(
            "Children under 6 years: 5 mg/kg of body weight daily divided into three doses.",
            Population(kind="child", text="Children under 6 years", age_high=6),
            "oral",
            5,
            5,
            "mg/kg",
            child,
            per_day_total=True,
        ),
        DosageRegimen(
            "Children 6-14 years: 2-4 mg/kg of body weight daily divided into three doses.",
            Population(kind="child", text="Children 6-14 years", age_low=6, age_high=14),
            "oral",
            2,
            4,
            "mg/kg",
            child,
            per_day_total=True,
        ),
    ]


def _side_effects() -> list[SideEffect]:
    common = "Common side effects (occurring in 1-10% of patients) include:"
    terms = [
        "Dizziness",
        "Drowsiness",
        "Headache",
        "Nausea",
        "Vomiting",
        "Constipation",
        "Diarrhea",
        "Weakness",
        "Tremor",
        "Hypotension",
        "Palpitations",
        "Skin rash",
    ]
    out = [
        SideEffect(
            term=t,
            source=f"* {t}",
            frequency="common",
            frequency_text="occurring in 1-10% of patients",
            group=common,
            detail="(low blood pressure)" if t == "Hypotension" else None,
        )
        for t in terms
    ]
    serious = "Less common, but potentially serious side effects include:"
    for t, detail in [
        ("Allergic reactions", "(angioedema, anaphylaxis)"),
        ("Decreased blood pressure", "(hypotension)"),
        ("Liver problems", None),
        ("Confusion", None),
        ("Fatigue", None),
    ]:
        out.append(
            SideEffect(
                term=t,
                source=f"* {t}",
                detail=detail,
                frequency_text="less common",
                serious=True,
                group=serious,
            )
        )
    return out


def seed_monograph(path) -> Monograph:
    data = path.read_bytes()
    return Monograph(
        source_path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        title="Tolperisone",
        generic_name="Tolperisone",
        components=["Tolperisone"],
        front_matter={"layout": "minimal-medicine", "title": "Tolperisone"},
        sections=[
            Section("Usage", "usage", "..."),
            Section("Dosage", "dosage", "..."),
            Section("FAQs", "faqs", "..."),
            Section("Disclaimer", "disclaimer", "..."),
        ],
        indications=_indications(),
        usage_text="Tolperisone is a centrally acting muscle relaxant primarily used to treat muscle stiffness and spasms.",
        dosage_regimens=_regimens(),
        dosage_notes=[
            "For patients with mild to moderate hepatic or renal impairment, dosage adjustments might be necessary."
        ],
        side_effects=_side_effects(),
        mechanism="Tolperisone is a centrally acting muscle relaxant. It works in the central nervous system.",
        contraindications=[
            Statement("hypersensitivity to the drug", "Contraindications: ..."),
            Statement("myasthenia gravis", "Contraindications: ..."),
            Statement(
                "intramuscular injections in children",
                "The use of intramuscular injections is contraindicated in children.",
            ),
        ],
        interactions=[
            Interaction(
                "other centrally acting muscle relaxants",
                "Interactions: ...",
                "potentially increasing their effects",
            ),
            Interaction(
                "nonsteroidal anti-inflammatory drugs (NSAIDs)",
                "Interactions: ...",
                "potentially increasing their effects",
            ),
            Interaction(
                "alcohol",
                "Q: Can I take Tolperisone with alcohol?",
                "increase the risk of drowsiness",
                kind="alcohol",
            ),
        ],
        warnings=[
            Warning(
                "pregnancy-breastfeeding",
                "Pregnancy and breastfeeding",
                "It should be avoided during the first trimester.",
                "...",
            ),
            Warning("epilepsy", "Epilepsy", "Use with caution in patients with epilepsy.", "..."),
            Warning(
                "hepatic-renal",
                "Hepatic and renal impairment",
                "Use with caution in patients with liver or kidney problems.",
                "...",
            ),
            Warning(
                "driving",
                "Driving and operating machinery",
                "Tolperisone can cause drowsiness; avoid driving.",
                "...",
            ),
        ],
        faqs=[
            Faq("Can I take Tolperisone with alcohol?", "Combining ... not advised."),
            Faq("What should I do if I miss a dose?", "Take it as soon as you remember."),
        ],
        storage=["Store Tolperisone in a cool, dry place, away from direct sunlight and moisture."],
        disclaimer="This information is for general knowledge and does not constitute medical advice.",
    )


# --- tests ---
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@pytest.fixture(scope="module")
def resources(seed_path):
    return convert_monograph(seed_monograph(seed_path))


def of(resources, rtype, cud_type=None):
    return [
        r for r in resources if r["resourceType"] == rtype and (cud_type is None or r.get("type") == cud_type)
    ]


def codes(cc: dict) -> set[str]:
    return {c["code"] for c in cc.get("coding", [])}


def test_counts_meet_the_done_when(resources):
    counts = Counter(r["resourceType"] for r in resources)
    assert counts["MedicationKnowledge"] == 1 and counts["MedicinalProductDefinition"] == 1
    assert len(of(resources, "ClinicalUseDefinition", "indication")) >= 5
    assert len(of(resources, "ClinicalUseDefinition", "contraindication")) >= 2
    assert len(of(resources, "ClinicalUseDefinition", "interaction")) >= 2
    assert len(of(resources, "ClinicalUseDefinition", "undesirable-effect")) >= 15
    assert len(of(resources, "ClinicalUseDefinition", "warning")) >= 4
    assert counts["AdministrableProductDefinition"] >= 2
    assert counts["DocumentReference"] == 1 and counts["Provenance"] == 1


def test_every_resource_is_valid_r5(resources):
    for resource in resources:
        issues = validate_resource(resource)
        assert not has_errors(issues), (resource["id"], issues)


def test_one_block_per_cud_and_subject_is_the_mpd(resources):
    mpd = of(resources, "MedicinalProductDefinition")[0]
    blocks = ("indication", "contraindication", "interaction", "undesirableEffect", "warning")
    for cud in of(resources, "ClinicalUseDefinition"):
        assert sum(b in cud for b in blocks) == 1  # cud-1
        assert cud["subject"] == [{"reference": f"MedicinalProductDefinition/{mpd['id']}"}]
        assert codes(cud["status"]) == {"active"}
    assert "route" not in mpd  # apd-1
    assert mpd["name"][0]["productName"] == "Tolperisone"


def test_myasthenia_gravis_contraindication_is_coded(resources):
    found = [
        codes(c["contraindication"]["diseaseSymptomProcedure"]["concept"])
        for c in of(resources, "ClinicalUseDefinition", "contraindication")
    ]
    assert {"91637004"} in found


def test_common_side_effects_carry_frequency_common(resources):
    effects = of(resources, "ClinicalUseDefinition", "undesirable-effect")
    common = [
        e for e in effects if codes(e["undesirableEffect"].get("frequencyOfOccurrence", {})) == {"Common"}
    ]
    assert len(common) == 12
    serious = [
        e for e in effects if e["undesirableEffect"].get("classification", {}).get("text") == "serious"
    ]
    assert len(serious) == 5
    assert all("coding" not in e["undesirableEffect"].get("frequencyOfOccurrence", {}) for e in serious)


def test_warning_categories_and_populations(resources):
    warnings = of(resources, "ClinicalUseDefinition", "warning")
    categories = Counter(c["code"] for w in warnings for cat in w.get("category", []) for c in cat["coding"])
    assert categories == {"Pregnancy": 1, "DriveAndMachines": 1}
    groups = {g["id"]: g for g in of(resources, "Group")}
    for cud in of(resources, "ClinicalUseDefinition"):
        for ref in cud.get("population", []):
            assert ref["reference"].removeprefix("Group/") in groups
    for g in groups.values():
        assert g["membership"] == "definitional" and g["type"] == "person"
        assert g["characteristic"][0]["exclude"] is False


def test_apds_cover_oral_im_iv(resources):
    apds = of(resources, "AdministrableProductDefinition")
    routes = {c for a in apds for r in a["routeOfAdministration"] for c in codes(r["code"])}
    assert routes == {"26643006", "78421000", "47625008"}
    mpd_id = of(resources, "MedicinalProductDefinition")[0]["id"]
    assert all(
        a["formOf"] == [{"reference": f"MedicinalProductDefinition/{mpd_id}"}] and a["status"] == "active"
        for a in apds
    )


def _dosages(mk):
    for guideline in mk["indicationGuideline"]:
        for dosing in guideline["dosingGuideline"]:
            for entry in dosing["dosage"]:
                for d in entry["dosage"]:
                    yield dosing, d


def _dose(d):
    """(low, high, UCUM code) of a per-administration dose or a daily-total rate."""
    dr = d["doseAndRate"][0]
    for kind in ("dose", "rate"):
        if f"{kind}Quantity" in dr:
            q = dr[f"{kind}Quantity"]
            return (q["value"], q["value"], q["code"])
        if f"{kind}Range" in dr:
            rng = dr[f"{kind}Range"]
            return (rng["low"]["value"], rng["high"]["value"], rng["low"]["code"])
    raise AssertionError(dr)


def test_structured_adult_dosing(resources):
    mk = of(resources, "MedicationKnowledge")[0]
    rows = {
        (next(iter(codes(d["route"]))), _dose(d), d["timing"]["code"]["coding"][0]["code"])
        for _, d in _dosages(mk)
        if "doseAndRate" in d and "timing" in d and "coding" in d["timing"].get("code", {})
    }
    assert ("26643006", (100, 150, "mg"), "TID") in rows
    assert ("78421000", (100, 100, "mg"), "BID") in rows
    assert ("47625008", (100, 100, "mg"), "QD") in rows
    for _, d in _dosages(mk):
        repeat = d.get("timing", {}).get("repeat", {})
        assert ("period" in repeat) == ("periodUnit" in repeat)  # tim-2


def test_child_dosing_in_mg_per_kg_per_day_by_age_band(resources):
    mk = of(resources, "MedicationKnowledge")[0]
    bands = {}
    for dosing, d in _dosages(mk):
        for pc in dosing.get("patientCharacteristic", []):
            if codes(pc["type"]) == {"424144002"} and "high" in pc["valueRange"] and "doseAndRate" in d:
                age = pc["valueRange"]
                bands[(age.get("low", {}).get("value"), age["high"]["value"])] = _dose(d)
                assert age["high"]["code"] == "a" and age["high"]["system"] == "http://unitsofmeasure.org"
    assert bands == {(None, 6): (5, 5, "mg/kg/d"), (6, 14): (2, 4, "mg/kg/d")}
    for _, d in _dosages(mk):  # a daily total is never a per-administration dose
        for dr in d.get("doseAndRate", []):
            for q in [dr.get("doseQuantity")] + list(dr.get("doseRange", {}).values()):
                assert not q or not q.get("code", "").endswith("/d"), d["text"]


def test_every_dosage_keeps_its_source_sentence(resources, seed_path):
    mk = of(resources, "MedicationKnowledge")[0]
    texts = [d["text"] for _, d in _dosages(mk)]
    assert "For spasticity (post-stroke), the typical dose is 100-150 mg three times daily (TID)." in texts


def test_document_reference_holds_the_seed_byte_for_byte(resources, seed_path):
    doc = of(resources, "DocumentReference")[0]
    attachment = doc["content"][0]["attachment"]
    assert base64.b64decode(attachment["data"]) == seed_path.read_bytes()
    assert attachment["contentType"] == "text/markdown; charset=utf-8"
    mk = of(resources, "MedicationKnowledge")[0]
    assert mk["monograph"][0]["source"] == {"reference": f"DocumentReference/{doc['id']}"}


def test_provenance_targets_everything_and_names_file_and_sha256(resources, seed_path):
    prov = of(resources, "Provenance")[0]
    others = {f"{r['resourceType']}/{r['id']}" for r in resources if r is not prov}
    assert {t["reference"] for t in prov["target"]} == others
    sha = hashlib.sha256(seed_path.read_bytes()).hexdigest()
    what = prov["entity"][0]["what"]
    assert "tolperisone.md" in what["display"] and sha in what["display"]
    assert prov["recorded"] == "2026-11-26T00:00:00Z"  # no front-matter date: the mapping rules' date


def test_narrative_ids_and_determinism(resources, seed_path):
    for r in resources:
        assert r["text"]["status"] == "generated"
        assert r["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
        assert ID.match(r["id"]), r["id"]
    assert len({(r["resourceType"], r["id"]) for r in resources}) == len(resources)
    again = convert_monograph(seed_monograph(seed_path))
    assert [dumps(r) for r in again] == [dumps(r) for r in resources]


def test_coverage_places_every_statement(seed_path):
    m = seed_monograph(seed_path)
    _, coverage = convert_with_coverage(m)
    placed = {e.statement for e in coverage.entries}
    for regimen in m.dosage_regimens:
        assert " ".join(regimen.source.split()) in placed
    targets = [e.target for e in coverage.entries]
    assert any(t.endswith(".definitional.drugCharacteristic[0].valueString") for t in targets)
    assert coverage.sections["dosage"] == "structured" and coverage.sections["disclaimer"] == "text"
    assert coverage.document_only == 3  # two FAQs and the disclaimer


def test_no_clinical_content_yields_nothing(seed_path):
    m = seed_monograph(seed_path)
    m.has_clinical_content = False
    assert convert_monograph(m) == []
