"""Ingest validates without the warning-level invariants (ingest/prepare.py): a resource gets the
same errors, so the same resources are stored and refused. Checked on HL7's validator cases (every
one with errors among them) and on the shared corpus' conversions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fhir_service.formats import FormatError, parse_json, parse_xml
from fhir_service.ingest.prepare import prepare
from fhir_service.validation import has_errors, validate_resource

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "hl7-validator-cases"


def _errors(resource: dict, warnings: bool) -> list[tuple]:
    return [
        (i.severity, i.code, i.expression, i.message)
        for i in validate_resource(resource, warnings=warnings)
        if i.severity in ("error", "fatal")
    ]


def test_hl7_cases_have_the_same_errors_without_warnings():
    if not (CASES / "manifest.json").is_file():
        pytest.skip(f"HL7 validator cases not found at {CASES}")
    compared = with_errors = 0
    for case in json.loads((CASES / "manifest.json").read_text()):
        path = CASES / case["file"]
        try:
            resource = (parse_xml if path.suffix == ".xml" else parse_json)(path.read_bytes())
        except FormatError:
            continue
        full = _errors(resource, warnings=True)
        assert _errors(resource, warnings=False) == full, case["name"]
        compared += 1
        with_errors += bool(full)
    assert compared > 100 and with_errors > 20


def test_corpus_conversions_have_the_same_errors_without_warnings(corpus_conversions):
    resources = [r for conversion in corpus_conversions.values() for r in conversion.resources]
    assert len(resources) > 5000
    for resource in resources:
        assert _errors(resource, warnings=False) == _errors(resource, warnings=True)


def test_prepare_refuses_what_full_validation_refuses(tmp_path):
    bad = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Organization", "id": "ok", "name": "Ward 3"}},
            {"resource": {"resourceType": "Organization", "id": "bad", "name": 7}},
            {"resource": {"resourceType": "Patient", "id": "p", "gender": "unknown-code"}},
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bad))
    prepared = prepare(path)
    assert [r["id"] for r in prepared.resources] == ["ok"]
    expected = []
    for entry in bad["entry"][1:]:
        resource = entry["resource"]
        first = next(i for i in validate_resource(resource) if i.severity in ("error", "fatal"))
        expected.append(
            f"{path}: {resource['resourceType']}/{resource['id']}: {first.expression}: {first.message}"
        )
    assert prepared.invalid == expected


def test_prepare_refuses_a_reference_to_a_type_the_element_does_not_allow(tmp_path):
    """Stored, so checked as a REST write: the unresolved `Medication/m`, where R5 allows
    Organization, Practitioner or PractitionerRole, is an error here; `$validate` warns as Java does."""
    patient = {"resourceType": "Patient", "id": "p", "generalPractitioner": [{"reference": "Medication/m"}]}
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(patient))
    prepared = prepare(path)
    assert prepared.resources == []
    assert len(prepared.invalid) == 1 and "generalPractitioner" in prepared.invalid[0], prepared.invalid
    assert not has_errors(validate_resource(patient, warnings=False))
