"""Rules the R5 core package decides beyond the snapshots' structure, each on a minimal resource
that must fail and one that must pass: Reference.type against the reference's URL, extensions in
HL7's namespace, the core package's own profiles claimed in meta.profile, and the rules for
authoring StructureDefinitions (validation/authoring.py)."""

from __future__ import annotations

import copy

import pytest

from fhir_service import definitions
from fhir_service.validation import validate_resource
from fhir_service.validation.authoring import ELEMENT_PATH, element_path_exists

CORE = "http://hl7.org/fhir/StructureDefinition/"


def rules(resource: dict) -> set[str]:
    return {i.rule for i in validate_resource(resource) if i.severity in ("error", "fatal")}


def observation(**extra) -> dict:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, **extra}


@pytest.mark.parametrize(
    "reference, declared, ok",
    [
        ("Patient/test", "Patient", True),
        ("Patient/test", f"{CORE}Patient", True),
        ("Patient/test", "Group", False),
        ("http://example.org/fhir/Patient/1/_history/2", "Group", False),
        ("urn:uuid:3e0c8cf4-5d4b-4c47-9a2f-0d6d7b1f0a11", "Group", True),  # no type in the URL
    ],
)
def test_reference_type_agrees_with_a_fhir_url(reference: str, declared: str, ok: bool):
    found = rules(observation(subject={"reference": reference, "type": declared}))
    assert found == set() if ok else "reference-type" in found


def test_an_extension_in_hl7s_namespace_must_be_one_hl7_defines():
    known = observation(
        extension=[{"url": f"{CORE}workflow-supportingInfo", "valueReference": {"reference": "Patient/1"}}]
    )
    assert "extension-unknown" not in rules(known)
    unknown = observation(extension=[{"url": f"{CORE}valueset-system", "valueCanonical": "http://x.org/cs"}])
    assert "extension-unknown" in rules(unknown)
    elsewhere = observation(
        extension=[{"url": "http://example.org/StructureDefinition/x", "valueString": "y"}]
    )
    assert "extension-unknown" not in rules(elsewhere)


def cholesterol() -> dict:
    return observation(
        meta={"profile": [f"{CORE}cholesterol"]},
        code={
            "coding": [
                {
                    "system": "http://loinc.org",
                    "code": "35200-5",
                    "display": "Cholesterol [Moles/\u200bvolume] in Serum or Plasma",
                }
            ]
        },
        valueQuantity={
            "value": 6.3,
            "unit": "mmol/L",
            "system": "http://unitsofmeasure.org",
            "code": "mmol/L",
        },
        referenceRange=[{"high": {"value": 4.5}}],
    )


def test_a_claimed_core_profile_fixes_values_and_cardinalities():
    assert rules(cholesterol()) == set()
    text_too = cholesterol()
    text_too["code"]["text"] = "Cholesterol"  # fixed: nothing more than the fixed value
    assert "profile-fixed" in rules(text_too)
    other_high = cholesterol()
    other_high["referenceRange"][0]["high"]["value"] = 0
    assert "profile-fixed" in rules(other_high)
    no_range = cholesterol()
    del no_range["referenceRange"]
    assert "profile-cardinality" in rules(no_range)
    unit_missing = cholesterol()
    del unit_missing["valueQuantity"]["unit"]  # inside the valueQuantity type slice
    assert "profile-cardinality" in rules(unit_missing)
    unclaimed = copy.deepcopy(no_range)
    del unclaimed["meta"]
    assert rules(unclaimed) == set()


def test_a_pattern_is_found_among_the_codings():
    coding = {
        "system": "http://loinc.org",
        "code": "35217-9",
        "display": "Triglyceride [Moles/\u200bvolume] in Serum or Plasma",
    }
    resource = observation(
        meta={"profile": [f"{CORE}triglyceride|5.0.0"]},
        code={"coding": [{"system": "http://snomed.info/sct", "code": "85600001"}, coding], "text": "TG"},
        referenceRange=[{"high": {"value": 2.0}}],
    )
    assert rules(resource) == set()
    resource["code"]["coding"] = resource["code"]["coding"][:1]
    assert "profile-pattern" in rules(resource)


def extension_definition(**changes) -> dict:
    url = "http://example.org/StructureDefinition/flag"
    sd = {
        "resourceType": "StructureDefinition",
        "url": url,
        "name": "Flag",
        "status": "draft",
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": "ElementDefinition.type.targetProfile"}],
        "type": "Extension",
        "baseDefinition": f"{CORE}Extension",
        "derivation": "constraint",
        "differential": {
            "element": [
                {"id": "Extension", "path": "Extension"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "boolean"}]},
            ]
        },
    }
    sd.update(changes)
    return sd


@pytest.mark.parametrize(
    "expression, ok",
    [
        ("ElementDefinition.type.targetProfile", True),
        ("Dosage.doseAndRate.dose[x]", True),
        ("Patient.name.family", True),  # through the HumanName datatype
        ("Questionnaire.item.item.text", True),  # a contentReference
        ("CanonicalResource", True),
        ("Parameters.parameter.value", True),  # a choice element named without [x]
        ("ElementDefinition.targetProfile", False),
        ("Patient.nickname", False),
    ],
)
def test_an_extension_context_names_an_existing_element(expression: str, ok: bool):
    found = rules(extension_definition(context=[{"type": "element", "expression": expression}]))
    assert found == set() if ok else "sd-context" in found


def test_an_extension_definition_fixes_its_url_to_its_canonical():
    assert rules(extension_definition()) == set()
    other = extension_definition(url="http://example.org/StructureDefinition/other")
    assert "sd-extension-url" in rules(other)


def patient_profile(*elements: dict) -> dict:
    return {
        "resourceType": "StructureDefinition",
        "url": "http://example.org/StructureDefinition/p",
        "name": "P",
        "status": "draft",
        "kind": "resource",
        "abstract": False,
        "type": "Patient",
        "baseDefinition": f"{CORE}Patient",
        "derivation": "constraint",
        "differential": {"element": [{"id": "Patient", "path": "Patient"}, *elements]},
    }


def test_a_profile_cannot_give_meaning_to_a_missing_element():
    assert rules(patient_profile({"id": "Patient.active", "path": "Patient.active", "min": 1})) == set()
    missing = {"id": "Patient.active", "path": "Patient.active", "meaningWhenMissing": "active"}
    assert "sd-profile-element" in rules(patient_profile(missing))


def constraint(key: str, expression: str) -> dict:
    return {"key": key, "severity": "error", "human": key, "expression": expression}


def test_a_constraint_key_keeps_its_expression():
    same = {
        "id": "Patient.identifier",
        "path": "Patient.identifier",
        "constraint": [constraint("ident-1", "value.exists()"), constraint("p-1", "system.exists()")],
    }
    name = {
        "id": "Patient.name",
        "path": "Patient.name",
        "constraint": [constraint("p-2", "family.exists()")],
    }
    assert rules(patient_profile(same, name)) == set()
    changed = copy.deepcopy(same)
    changed["constraint"][0]["expression"] = "value.exists() and system.exists()"
    assert "sd-constraint-key" in rules(patient_profile(changed, name))
    reused = copy.deepcopy(name)
    reused["constraint"][0]["key"] = "p-1"  # p-1 already means system.exists() in this profile
    assert "sd-constraint-key" in rules(patient_profile(same, reused))


def composition_section(display: str, language: str | None = None) -> dict:
    coding = {"system": "http://loinc.org", "code": "48765-2", "display": display}
    resource = {
        "resourceType": "Composition",
        "status": "final",
        "type": {"text": "summary"},
        "date": "2024-01-01",
        "author": [{"display": "A"}],
        "title": "T",
        "section": [
            {
                "title": "Allergies",
                "code": {"coding": [coding]},
                "text": {
                    "status": "generated",
                    "div": '<div xmlns="http://www.w3.org/1999/xhtml">none</div>',
                },
            }
        ],
    }
    if language:
        resource["language"] = language
    return resource


@pytest.mark.parametrize(
    "display, language, ok",
    [
        ("Allergies and adverse reactions Document", None, True),
        ("allergies  and adverse reactions document", None, True),  # case and spacing aside
        ("Allergies &or adverse reactions Doc", None, True),  # a designation
        ("Allergies and adverse reactions", None, False),
        ("Allergies and adverse reactions", "de", True),  # only English names are known here
    ],
)
def test_a_loinc_display_the_expansions_know_must_be_one_of_its_names(display, language, ok: bool):
    found = rules(composition_section(display, language))
    assert found == set() if ok else "coding-display" in found


def test_every_element_context_of_the_extensions_pack_is_accepted():
    contexts = [
        expression
        for found in definitions._extensions().values()
        for kind, expression in found
        if kind == "element" and ELEMENT_PATH.fullmatch(expression)
    ]
    assert len(contexts) > 1000
    assert [e for e in contexts if element_path_exists(e) is False] == []
