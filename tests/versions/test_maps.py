"""Each map on small hand-built R5 resources: where elements land in R4 / R4B, what travels as a
cross-version extension, that the view validates against its version, and the exact way back."""

from __future__ import annotations

import copy

import pytest

from fhir_service import definitions
from fhir_service.validation import validate_resource
from fhir_service.versions import (
    BASES,
    VERSIONS,
    from_version,
    r5_type,
    to_version,
    view_type,
    view_types,
)

XV = "http://hl7.org/fhir/5.0/StructureDefinition/extension-"


def roundtrip(resource: dict, version: str, resolve=None) -> dict:
    """The view, after checking it validates in its version and converts back exactly."""
    assert [i for i in validate_resource(resource) if i.severity in ("error", "fatal")] == []  # valid R5
    before = copy.deepcopy(resource)
    view = to_version(resource, version, resolve=resolve)
    assert resource == before  # the argument is not changed
    with definitions.fhir_version(version):
        errors = [i for i in validate_resource(view) if i.severity in ("error", "fatal")]
    assert errors == []
    assert from_version(view, version) == resource
    return view


def extensions(node: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for ext in node.get("extension", []):
        found.setdefault(ext["url"].removeprefix(XV), []).append(ext)
    return found


NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div>'}
STORE = {
    "ClinicalUseDefinition/ind": {"resourceType": "ClinicalUseDefinition", "id": "ind", "type": "indication"},
    "ClinicalUseDefinition/warn": {"resourceType": "ClinicalUseDefinition", "id": "warn", "type": "warning"},
}


def medication_knowledge(**extra) -> dict:
    return {
        "resourceType": "MedicationKnowledge",
        "id": "mk",
        "text": NARRATIVE,
        "status": "active",
        "name": ["Tolperisone"],
        "clinicalUseIssue": [{"reference": "ClinicalUseDefinition/ind"}],
        "definitional": {
            "definition": [{"reference": "MedicinalProductDefinition/mpd"}],
            "ingredient": [{"item": {"concept": {"text": "Tolperisone"}}, "type": {"text": "active"}}],
            "intendedRoute": [{"text": "oral"}],
            "drugCharacteristic": [{"type": {"text": "Mechanism"}, "valueString": "relaxes"}],
        },
        "indicationGuideline": [
            {
                "indication": [{"reference": {"reference": "ClinicalUseDefinition/ind"}}],
                "dosingGuideline": [
                    {
                        "dosage": [{"type": {"text": "Adults"}, "dosage": [{"text": "150 mg tid"}]}],
                        "patientCharacteristic": [
                            {
                                "type": {"text": "Age"},
                                "valueRange": {"low": {"value": 18, "unit": "a"}},
                            }
                        ],
                    }
                ],
            }
        ],
        **extra,
    }


# ---- MedicationKnowledge (R4 and R4B share R4's shape) ---------------------------------------------


@pytest.mark.parametrize("version", ["4.0", "4.3"])
def test_medication_knowledge_definitional_is_the_r4_root(version):
    view = roundtrip(medication_knowledge(), version, STORE.get)
    assert view["synonym"] == ["Tolperisone"]
    assert view["ingredient"][0]["itemCodeableConcept"] == {"text": "Tolperisone"}
    assert extensions(view["ingredient"][0])["MedicationKnowledge.definitional.ingredient.type"][0] == {
        "url": XV + "MedicationKnowledge.definitional.ingredient.type",
        "valueCodeableConcept": {"text": "active"},
    }
    assert view["intendedRoute"] == [{"text": "oral"}]
    assert view["drugCharacteristic"] == [{"type": {"text": "Mechanism"}, "valueString": "relaxes"}]
    assert "definitional" not in view and "name" not in view


def test_medication_knowledge_r4_references_name_the_r4_types():
    view = roundtrip(medication_knowledge(), "4.0", STORE.get)
    found = extensions(view)
    assert found["MedicationKnowledge.clinicalUseIssue"][0]["valueReference"] == {
        "reference": "MedicinalProductIndication/ind"
    }
    assert found["MedicationKnowledge.definitional.definition"][0]["valueReference"] == {
        "reference": "MedicinalProduct/mpd"
    }


def test_an_unresolved_clinical_use_reference_keeps_its_r5_form():
    view = roundtrip(medication_knowledge(), "4.0")
    assert extensions(view)["MedicationKnowledge.clinicalUseIssue"][0]["valueReference"] == {
        "reference": "ClinicalUseDefinition/ind"
    }


@pytest.mark.parametrize("version", ["4.0", "4.3"])
def test_an_indication_guideline_with_one_dosing_guideline_is_an_administration_guideline(version):
    guideline = roundtrip(medication_knowledge(), version, STORE.get)["administrationGuidelines"][0]
    assert guideline["dosage"] == [{"type": {"text": "Adults"}, "dosage": [{"text": "150 mg tid"}]}]
    characteristic = guideline["patientCharacteristics"][0]
    assert characteristic["characteristicCodeableConcept"] == {"text": "Age"}
    value = extensions(characteristic)[
        "MedicationKnowledge.indicationGuideline.dosingGuideline.patientCharacteristic.value"
    ]
    assert value[0]["valueRange"] == {"low": {"value": 18, "unit": "a"}}
    # indicationReference may only name an ObservationDefinition: the CodeableReference travels,
    # as itself where the version has the type (R4B), else as a complex extension (R4)
    indication = extensions(guideline)["MedicationKnowledge.indicationGuideline.indication"][0]
    if version == "4.3":
        assert indication["valueCodeableReference"] == {
            "reference": {"reference": "ClinicalUseDefinition/ind"}
        }
    else:
        assert indication["extension"] == [
            {"url": "reference", "valueReference": {"reference": "MedicinalProductIndication/ind"}}
        ]
    assert "indicationReference" not in guideline


def test_an_indication_concept_is_the_r4_indication_codeable_concept():
    mk = medication_knowledge()
    mk["indicationGuideline"][0]["indication"] = [{"concept": {"text": "spasticity"}}]
    view = roundtrip(mk, "4.0", STORE.get)
    assert view["administrationGuidelines"][0]["indicationCodeableConcept"] == {"text": "spasticity"}


def test_several_dosing_guidelines_travel_as_complex_extensions():
    mk = medication_knowledge()
    mk["indicationGuideline"][0]["dosingGuideline"].append(
        {
            "treatmentIntent": {"text": "maintenance"},
            "dosage": [{"type": {"text": "Children"}, "dosage": [{"text": "1 mg/kg"}]}],
        }
    )
    guideline = roundtrip(mk, "4.0", STORE.get)["administrationGuidelines"][0]
    assert "dosage" not in guideline
    dosing = extensions(guideline)["MedicationKnowledge.indicationGuideline.dosingGuideline"]
    assert len(dosing) == 2
    second = {e["url"]: e for e in dosing[1]["extension"]}
    assert second["treatmentIntent"] == {
        "url": "treatmentIntent",
        "valueCodeableConcept": {"text": "maintenance"},
    }
    assert [e["url"] for e in second["dosage"]["extension"]] == ["type", "dosage"]


def test_r5_only_elements_of_medication_knowledge_travel():
    mk = medication_knowledge(
        storageGuideline=[
            {
                "reference": "http://example.org/storage",
                "stabilityDuration": {
                    "value": 2,
                    "unit": "h",
                    "system": "http://unitsofmeasure.org",
                    "code": "h",
                },
            }
        ]
    )
    view = roundtrip(mk, "4.3", STORE.get)
    storage = extensions(view)["MedicationKnowledge.storageGuideline"][0]
    assert {e["url"] for e in storage["extension"]} == {"reference", "stabilityDuration"}


# ---- ClinicalUseDefinition ------------------------------------------------------------------------


def clinical_use(cud_type: str, **parts) -> dict:
    return {
        "resourceType": "ClinicalUseDefinition",
        "id": "cud",
        "text": NARRATIVE,
        "type": cud_type,
        "status": {"coding": [{"system": "http://hl7.org/fhir/publication-status", "code": "active"}]},
        "subject": [{"reference": "MedicinalProductDefinition/mpd"}],
        **parts,
    }


R4_CASES = [
    ("indication", {"indication": {"diseaseSymptomProcedure": {"concept": {"text": "spasticity"}}}},
     "MedicinalProductIndication", {"diseaseSymptomProcedure": {"text": "spasticity"}}),
    ("contraindication", {"contraindication": {"diseaseSymptomProcedure": {"concept": {"text": "myasthenia"}},
                                               "indication": [{"reference": "ClinicalUseDefinition/ind"}]}},
     "MedicinalProductContraindication", {"disease": {"text": "myasthenia"},
                                          "therapeuticIndication": [{"reference": "MedicinalProductIndication/ind"}]}),
    ("interaction", {"interaction": {"interactant": [{"itemCodeableConcept": {"text": "alcohol"}}],
                                     "effect": {"concept": {"text": "sedation"}}, "management": [{"text": "avoid"}]}},
     "MedicinalProductInteraction", {"interactant": [{"itemCodeableConcept": {"text": "alcohol"}}],
                                     "effect": {"text": "sedation"}, "management": {"text": "avoid"}}),
    ("undesirable-effect", {"undesirableEffect": {"symptomConditionEffect": {"concept": {"text": "dizziness"}},
                                                  "frequencyOfOccurrence": {"text": "common"}}},
     "MedicinalProductUndesirableEffect", {"symptomConditionEffect": {"text": "dizziness"},
                                           "frequencyOfOccurrence": {"text": "common"}}),
]  # fmt: skip


@pytest.mark.parametrize(("cud_type", "parts", "r4_type", "expected"), R4_CASES)
def test_r4_serves_each_clinical_use_as_its_predecessor(cud_type, parts, r4_type, expected):
    cud = clinical_use(cud_type, **parts)
    view = roundtrip(cud, "4.0", STORE.get)
    assert view["resourceType"] == r4_type == view_type("ClinicalUseDefinition", "4.0", cud)
    assert r5_type(r4_type, "4.0") == ("ClinicalUseDefinition", {"type": cud_type})
    assert {k: view[k] for k in expected} == expected
    assert view["subject"] == [{"reference": "MedicinalProduct/mpd"}]
    assert "type" not in view  # said by the resource type
    assert extensions(view)["ClinicalUseDefinition.status"][0]["valueCodeableConcept"] == cud["status"]


def test_r4_serves_a_warning_as_basic():
    cud = clinical_use("warning", warning={"description": "Take care when driving."})
    view = roundtrip(cud, "4.0", STORE.get)
    assert view["resourceType"] == "Basic"
    assert view["code"] == {
        "coding": [{"system": "http://hl7.org/fhir/fhir-types", "code": "ClinicalUseDefinition"}]
    }
    assert view["subject"] == {"reference": "MedicinalProduct/mpd"}  # one subject: R4's 0..1 holds it
    warning = extensions(view)["ClinicalUseDefinition.warning"][0]
    assert warning["extension"] == [{"url": "description", "valueMarkdown": "Take care when driving."}]
    assert r5_type("Basic", "4.0") == ("ClinicalUseDefinition", {"type": "warning"})


def test_an_indication_element_without_an_r4_home_travels():
    cud = clinical_use(
        "indication",
        indication={"diseaseStatus": {"concept": {"text": "chronic"}}, "durationString": "six weeks"},
        population=[{"reference": "Group/adults"}],
    )
    view = roundtrip(cud, "4.0", STORE.get)
    assert view["diseaseStatus"] == {"text": "chronic"}
    found = extensions(view)
    assert found["ClinicalUseDefinition.indication.duration"][0]["valueString"] == "six weeks"
    # R4 population is a datatype describing the population, not a reference to a Group
    assert found["ClinicalUseDefinition.population"][0]["valueReference"] == {"reference": "Group/adults"}


def test_r4b_clinical_use_is_native():
    cud = clinical_use(
        "warning", warning={"description": "Take care."}, population=[{"reference": "Group/g"}]
    )
    view = roundtrip(cud, "4.3", STORE.get)
    assert view == cud


def test_r4b_clinical_use_r5_only_elements_travel():
    applicability = {"language": "text/fhirpath", "expression": "%patient.gender = 'female'"}
    cud = clinical_use("contraindication", contraindication={"applicability": applicability})
    view = roundtrip(cud, "4.3", STORE.get)
    assert extensions(view["contraindication"])["ClinicalUseDefinition.contraindication.applicability"] == [
        {"url": XV + "ClinicalUseDefinition.contraindication.applicability", "valueExpression": applicability}
    ]


# ---- products -------------------------------------------------------------------------------------


def test_r4_medicinal_product():
    mpd = {
        "resourceType": "MedicinalProductDefinition",
        "id": "mpd",
        "text": NARRATIVE,
        "status": {"text": "active"},
        "description": "A muscle relaxant.",
        "classification": [{"text": "M03BX04"}],
        "attachedDocument": [{"reference": "DocumentReference/doc"}],
        "name": [{"productName": "Tolperisone"}],
    }
    view = roundtrip(mpd, "4.0")
    assert view["resourceType"] == "MedicinalProduct"
    assert view["productClassification"] == [{"text": "M03BX04"}]
    assert view["attachedDocument"] == [{"reference": "DocumentReference/doc"}]
    assert set(extensions(view)) == {
        "MedicinalProductDefinition.status",
        "MedicinalProductDefinition.description",
    }
    assert roundtrip(mpd, "4.3") == mpd


def test_r4_pharmaceutical_product_says_its_dose_form_is_absent():
    apd = {
        "resourceType": "AdministrableProductDefinition",
        "id": "apd",
        "text": NARRATIVE,
        "status": "active",
        "formOf": [{"reference": "MedicinalProductDefinition/mpd"}],
        "routeOfAdministration": [{"code": {"text": "oral"}}],
    }
    view = roundtrip(apd, "4.0")
    assert view["resourceType"] == "MedicinalProductPharmaceutical"
    assert view["administrableDoseForm"]["extension"][0]["valueCode"] == "unknown"
    assert extensions(view)["AdministrableProductDefinition.formOf"][0]["valueReference"] == {
        "reference": "MedicinalProduct/mpd"
    }
    apd["administrableDoseForm"] = {"text": "tablet"}
    assert roundtrip(apd, "4.0")["administrableDoseForm"] == {"text": "tablet"}


# ---- Group, DocumentReference, Provenance, Bundle -------------------------------------------------


@pytest.mark.parametrize("version", ["4.0", "4.3"])
@pytest.mark.parametrize(("membership", "actual"), [("definitional", False), ("enumerated", True)])
def test_group_membership_is_actual(version, membership, actual):
    group = {
        "resourceType": "Group",
        "id": "g",
        "text": NARRATIVE,
        "type": "person",
        "membership": membership,
    }
    assert roundtrip(group, version)["actual"] is actual


@pytest.mark.parametrize("version", ["4.0", "4.3"])
def test_document_reference_subject_outside_the_r4_targets_travels(version):
    doc = {
        "resourceType": "DocumentReference",
        "id": "doc",
        "text": NARRATIVE,
        "status": "current",
        "subject": {"reference": "MedicinalProductDefinition/mpd"},
        "content": [{"attachment": {"contentType": "text/markdown", "title": "x.md"}}],
    }
    view = roundtrip(doc, version)
    assert "subject" not in view
    assert extensions(view)["DocumentReference.subject"][0]["valueReference"]["reference"] == (
        "MedicinalProduct/mpd" if version == "4.0" else "MedicinalProductDefinition/mpd"
    )


def test_provenance_targets_name_the_r4_types():
    prov = {
        "resourceType": "Provenance",
        "id": "p",
        "text": NARRATIVE,
        "recorded": "2024-01-01T00:00:00Z",
        "target": [
            {"reference": "ClinicalUseDefinition/warn"},
            {"reference": "AdministrableProductDefinition/a"},
        ],
        "agent": [{"who": {"display": "converter"}}],
    }
    view = roundtrip(prov, "4.0", STORE.get)
    assert view["target"] == [{"reference": "Basic/warn"}, {"reference": "MedicinalProductPharmaceutical/a"}]


@pytest.mark.parametrize("version", ["4.0", "4.3"])
def test_bundle_entries_and_their_urls(version):
    cud = clinical_use("indication", indication={"diseaseStatus": {"concept": {"text": "chronic"}}})
    mk = medication_knowledge()
    mk["clinicalUseIssue"] = [{"reference": "ClinicalUseDefinition/cud"}]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "http://example.org/fhir/ClinicalUseDefinition/cud", "resource": cud,
             "request": {"method": "PUT", "url": "ClinicalUseDefinition/cud"}},
            {"fullUrl": "urn:uuid:1c578ccc-6186-57a0-910c-759351fc05b7", "resource": mk,
             "request": {"method": "PUT", "url": "MedicationKnowledge/mk"}},
        ],
    }  # fmt: skip
    view = roundtrip(bundle, version)  # no resolver: the entries resolve within the Bundle
    served = "MedicinalProductIndication" if version == "4.0" else "ClinicalUseDefinition"
    first = view["entry"][0]
    assert first["resource"]["resourceType"] == served
    assert first["fullUrl"] == f"http://example.org/fhir/{served}/cud"
    assert first["request"]["url"] == f"{served}/cud"
    issue = extensions(view["entry"][1]["resource"])["MedicationKnowledge.clinicalUseIssue"][0]
    assert issue["valueReference"] == {"reference": f"{served}/cud"}


# ---- the interface --------------------------------------------------------------------------------


def test_r5_is_the_identity():
    mk = medication_knowledge()
    assert to_version(mk, "5.0") is mk and from_version(mk, "5.0") is mk
    assert view_type("ClinicalUseDefinition", "5.0") == "ClinicalUseDefinition"


def test_versions_and_bases():
    assert VERSIONS == {"4.0": "4.0.1", "4.3": "4.3.0", "5.0": "5.0.0"}
    assert BASES == {"R4": "4.0", "R4B": "4.3"}


def test_view_types():
    assert set(view_types("ClinicalUseDefinition", "4.0")) == {
        "MedicinalProductIndication",
        "MedicinalProductContraindication",
        "MedicinalProductInteraction",
        "MedicinalProductUndesirableEffect",
        "Basic",
    }
    assert view_types("ClinicalUseDefinition", "4.3") == ("ClinicalUseDefinition",)
    assert view_type("MedicinalProductDefinition", "4.0") == "MedicinalProduct"
    assert view_type("AdministrableProductDefinition", "4.0") == "MedicinalProductPharmaceutical"
    assert view_type("MedicationKnowledge", "4.0") == "MedicationKnowledge"
    assert view_types("Requirements", "4.0") == ()  # R5-only: not served in R4
    assert r5_type("MedicinalProduct", "4.0") == ("MedicinalProductDefinition", {})
    assert r5_type("MedicationKnowledge", "4.3") == ("MedicationKnowledge", {})


def test_unknown_versions_and_types_are_refused():
    with pytest.raises(ValueError):
        to_version(medication_knowledge(), "3.0")
    with pytest.raises(ValueError):
        to_version({"resourceType": "Requirements", "id": "r"}, "4.0")
    with pytest.raises(ValueError):
        from_version({"resourceType": "Patient2", "id": "r"}, "4.0")


def test_primitive_extensions_keep_their_place():
    mk = medication_knowledge()
    mk["_status"] = {"extension": [{"url": "http://example.org/why", "valueString": "reviewed"}]}
    view = roundtrip(mk, "4.0", STORE.get)
    assert view["_status"] == mk["_status"]


# ---- SearchParameter ------------------------------------------------------------------------------


def search_parameter(base: list[str]) -> dict:
    return {
        "resourceType": "SearchParameter",
        "id": "sp",
        "url": "http://example.org/SearchParameter/sp",
        "name": "Sp",
        "status": "active",
        "description": "x",
        "code": "sp",
        "base": base,
        "type": "token",
        "expression": f"{base[0]}.id",
        "processingMode": "normal",
    }


def test_search_parameter_bases_name_the_served_types():
    sp = search_parameter(["ClinicalUseDefinition", "MedicationKnowledge"])
    view = roundtrip(sp, "4.0")
    assert view["base"] == [
        "MedicinalProductIndication",
        "MedicinalProductContraindication",
        "MedicinalProductInteraction",
        "MedicinalProductUndesirableEffect",
        "Basic",
        "MedicationKnowledge",
    ]
    assert [e["valueCode"] for e in extensions(view)["SearchParameter.base"]] == sp["base"]
    assert roundtrip(sp, "4.3")["base"] == sp["base"]  # native in R4B


def test_a_search_parameter_on_r5_only_types_has_no_view():
    with pytest.raises(ValueError):
        to_version(search_parameter(["Requirements"]), "4.0")
    view = roundtrip(search_parameter(["Requirements", "Group"]), "4.3")
    assert view["base"] == ["Group"]


def test_a_client_view_converts_back_only_without_loss():
    from fhir_service.versions import back_exactly

    view = to_version(medication_knowledge(), "4.0", resolve=STORE.get)
    assert back_exactly(view, "4.0", resolve=STORE.get) == medication_knowledge()
    view["ingredient"][0]["isActive"] = True  # R4 only: R5 says it with ingredient.type
    with pytest.raises(ValueError):
        back_exactly(view, "4.0", resolve=STORE.get)


def test_a_flattened_element_with_its_own_extensions_travels_whole():
    mk = medication_knowledge()
    mk["definitional"]["extension"] = [{"url": "http://example.org/note", "valueString": "checked"}]
    view = roundtrip(mk, "4.0", STORE.get)
    assert "ingredient" not in view
    assert "MedicationKnowledge.definitional" in extensions(view)
