"""The validator on the R4 / R4B definitions, selected per block, and `fhir-service validate --fhir-version`."""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner

from fhir_service import definitions
from fhir_service.cli import main
from fhir_service.validation import validate_resource

R5_ONLY_MK = {"resourceType": "MedicationKnowledge", "id": "mk", "status": "active", "name": ["x"]}
R4_MK = {"resourceType": "MedicationKnowledge", "id": "mk", "status": "active", "synonym": ["x"]}
R4B_CUD = {
    "resourceType": "ClinicalUseDefinition",
    "id": "c",
    "type": "warning",
    "warning": {"description": "x"},
}


def errors(resource: dict, version: str) -> list[str]:
    with definitions.fhir_version(version):
        return [i.message for i in validate_resource(resource) if i.severity in ("error", "fatal")]


def test_each_version_knows_its_own_elements_and_types():
    assert errors(R5_ONLY_MK, "5.0") == []
    assert any("name" in m for m in errors(R5_ONLY_MK, "4.0"))
    assert any("name" in m for m in errors(R5_ONLY_MK, "4.3"))
    assert errors(R4_MK, "4.0") == [] and errors(R4_MK, "4.3") == []
    assert errors(R4B_CUD, "4.3") == []
    assert any("unknown resourceType" in m for m in errors(R4B_CUD, "4.0"))
    assert (
        errors({"resourceType": "MedicinalProduct", "id": "p", "name": [{"productName": "x"}]}, "4.0") == []
    )


def test_required_bindings_come_from_the_version():
    # R4 Group requires `actual`; R5 replaced it with `membership`
    assert any("actual" in m for m in errors({"resourceType": "Group", "id": "g", "type": "person"}, "4.0"))
    bad_status = {**R4_MK, "status": "draft"}
    assert any("medicationknowledge-status" in m for m in errors(bad_status, "4.0"))


def test_the_version_is_per_context_and_restored():
    assert definitions.current_version() == "5.0"
    seen = {}

    def other_thread():
        seen["version"] = definitions.current_version()
        seen["errors"] = errors(R5_ONLY_MK, "5.0")

    with definitions.fhir_version("4.0"):
        assert definitions.current_version() == "4.0"
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert seen == {"version": "5.0", "errors": []}
    assert definitions.current_version() == "5.0"
    with pytest.raises(ValueError):
        with definitions.fhir_version("3.0"):
            pass


@pytest.mark.parametrize(
    ("version", "good", "bad"), [("4.0", R4_MK, R5_ONLY_MK), ("4.3", R4B_CUD, R5_ONLY_MK)]
)
def test_cli_validates_against_the_version(tmp_path, version, good, bad):
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    ok = CliRunner().invoke(
        main, ["validate", "--summary", "--fhir-version", version, str(tmp_path / "good.json")]
    )
    assert ok.exit_code == 0, ok.output
    assert "0 error(s)" in ok.output
    failed = CliRunner().invoke(main, ["validate", "--fhir-version", version, str(tmp_path / "bad.json")])
    assert failed.exit_code == 1
    assert "name" in failed.output
    r5 = CliRunner().invoke(main, ["validate", str(tmp_path / "bad.json")])
    assert r5.exit_code == 0, r5.output
