"""A combination product is one MedicationKnowledge / MPD with one active ingredient per component;
a minimal monograph yields only what it states."""

from __future__ import annotations

from mappings.convert import convert_monograph
from mappings.model import DosageRegimen, Monograph, Population, SideEffect

SOURCE = b"# Paracetamol + Codeine + Caffeine\n"


def combination() -> Monograph:
    return Monograph(
        source_path="monographs/p/paracetamol-codeine-caffeine.md",
        sha256="",
        title="Paracetamol + Codeine + Caffeine",
        generic_name="Paracetamol + Codeine + Caffeine",
        components=["Paracetamol", "Codeine", "Caffeine"],
        dosage_regimens=[
            DosageRegimen(
                "1-2 tablets every 6 hours.",
                Population(kind="any", text=""),
                route="oral",
                component="Codeine",
            )
        ],
        side_effects=[SideEffect(term="Somnolence", source="* Somnolence", frequency="very-common")],
    )


def test_one_mk_and_mpd_with_an_ingredient_per_component():
    resources = convert_monograph(combination(), source=SOURCE)
    [mk] = [r for r in resources if r["resourceType"] == "MedicationKnowledge"]
    [mpd] = [r for r in resources if r["resourceType"] == "MedicinalProductDefinition"]
    assert [i["item"]["concept"]["text"] for i in mk["definitional"]["ingredient"]] == [
        "Paracetamol",
        "Codeine",
        "Caffeine",
    ]
    assert all(i["type"]["coding"][0]["code"] == "ACTI" for i in mk["definitional"]["ingredient"])
    assert [i["text"] for i in mpd["ingredient"]] == ["Paracetamol", "Codeine", "Caffeine"]
    assert mk["id"] == "paracetamol-codeine-caffeine-mk"
    assert "medicineClassification" not in mk  # no confirmed ATC code for this product


def test_only_what_is_stated():
    resources = convert_monograph(combination(), source=SOURCE)
    types = sorted({r["resourceType"] for r in resources})
    assert types == [
        "AdministrableProductDefinition",
        "ClinicalUseDefinition",
        "DocumentReference",
        "MedicationKnowledge",
        "MedicinalProductDefinition",
        "Provenance",
    ]
    [ae] = [r for r in resources if r["resourceType"] == "ClinicalUseDefinition"]
    effect = ae["undesirableEffect"]
    assert effect["symptomConditionEffect"]["concept"] == {"text": "Somnolence"}  # not in the effects map
    assert effect["frequencyOfOccurrence"] == {"text": "very common"}  # no such code in R5
    [mk] = [r for r in resources if r["resourceType"] == "MedicationKnowledge"]
    [dosing] = mk["indicationGuideline"][0]["dosingGuideline"]
    assert "patientCharacteristic" not in dosing and "indication" not in mk["indicationGuideline"][0]
    assert "doseAndRate" not in dosing["dosage"][0]["dosage"][0]
