"""The issue's done-when for the seed, through the real parser: convert_file(tolperisone.md)."""

from __future__ import annotations

import base64
from collections import Counter

import pytest
from fhir.resources import get_fhir_model_class

from fhir_service.validation import has_errors, validate_resource
from mappings.convert import convert_file


@pytest.fixture(scope="module")
def conversion(seed_path):
    return convert_file(seed_path)


def codes(cc: dict) -> set[str]:
    return {c["code"] for c in cc.get("coding", [])}


def test_done_when_counts(conversion):
    kinds = Counter(
        r.get("type") if r["resourceType"] == "ClinicalUseDefinition" else r["resourceType"]
        for r in conversion.resources
    )
    assert kinds["MedicationKnowledge"] == 1 and kinds["MedicinalProductDefinition"] == 1
    assert kinds["indication"] >= 5 and kinds["contraindication"] >= 2 and kinds["interaction"] >= 2
    assert kinds["undesirable-effect"] >= 15 and kinds["warning"] >= 4
    assert kinds["AdministrableProductDefinition"] >= 2


def test_done_when_codes(conversion):
    cuds = [r for r in conversion.resources if r["resourceType"] == "ClinicalUseDefinition"]
    contra = [
        codes(c["contraindication"]["diseaseSymptomProcedure"]["concept"])
        for c in cuds
        if c["type"] == "contraindication"
    ]
    assert {"91637004"} in contra
    common = [
        c
        for c in cuds
        if c["type"] == "undesirable-effect"
        and codes(c["undesirableEffect"].get("frequencyOfOccurrence", {})) == {"Common"}
    ]
    assert len(common) == 12
    routes = {
        code
        for r in conversion.resources
        if r["resourceType"] == "AdministrableProductDefinition"
        for route in r["routeOfAdministration"]
        for code in codes(route["code"])
    }
    assert routes >= {"26643006", "78421000", "47625008"}


def test_done_when_dosing(conversion):
    [mk] = [r for r in conversion.resources if r["resourceType"] == "MedicationKnowledge"]
    rows = set()
    for guideline in mk["indicationGuideline"]:
        for dosing in guideline["dosingGuideline"]:
            ages = [
                pc["valueRange"]
                for pc in dosing.get("patientCharacteristic", [])
                if codes(pc["type"]) == {"424144002"}
            ]
            for entry in dosing["dosage"]:
                for d in entry["dosage"]:
                    if "doseAndRate" not in d:
                        continue
                    dr = d["doseAndRate"][0]
                    single = dr.get("doseQuantity") or dr.get("rateQuantity")
                    rng = dr.get("doseRange") or dr.get("rateRange") or {}
                    q, high = single or rng["low"], single or rng["high"]
                    route = next(iter(codes(d.get("route", {}))), None)
                    code = next(iter(codes(d.get("timing", {}).get("code", {}))), None)
                    age = (
                        (ages[0].get("low", {}).get("value"), ages[0].get("high", {}).get("value"))
                        if ages
                        else None
                    )
                    rows.add((route, q["value"], high["value"], q["code"], code, age))
    assert ("26643006", 100, 150, "mg", "TID", None) in rows  # "Adults": no age is stated
    assert ("78421000", 100, 100, "mg", "BID", None) in rows
    assert ("47625008", 100, 100, "mg", "QD", None) in rows
    child = {(lo, hi, unit, age) for _, lo, hi, unit, _, age in rows if unit == "mg/kg/d"}
    assert child == {(5, 5, "mg/kg/d", (None, 6)), (2, 4, "mg/kg/d", (6, 14))}


def test_document_reference_decodes_to_the_seed(conversion, seed_path):
    [doc] = [r for r in conversion.resources if r["resourceType"] == "DocumentReference"]
    assert base64.b64decode(doc["content"][0]["attachment"]["data"]) == seed_path.read_bytes()


def test_every_resource_passes_the_validator_and_the_fhir_resources_models(conversion):
    for resource in conversion.resources:
        assert not has_errors(validate_resource(resource)), resource["id"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_coverage_accounts_for_every_parsed_statement(conversion):
    m, coverage = conversion.monograph, conversion.coverage
    placed = {e.statement for e in coverage.entries}
    items = [
        *m.indications,
        *m.contraindications,
        *m.interactions,
        *m.side_effects,
        *m.warnings,
        *m.dosage_regimens,
    ]
    for item in items:
        assert " ".join(item.source.split())[:159] in " ".join(placed), item.source
    assert coverage.unmapped == len(m.unmapped)
    assert all(e.target for e in coverage.entries)
