"""`fhir-service validate`: JSON and XML files and folders, OperationOutcome or --summary, exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner

from fhir_service.cli import main
from fhir_service.formats import to_xml

GOOD = {
    "resourceType": "AdministrableProductDefinition",
    "id": "apd-1",
    "status": "active",
    "routeOfAdministration": [{"code": {"text": "oral"}}],
}
BAD = {**GOOD, "status": "current"}


def run(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def test_valid_json_and_xml_exit_zero(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(GOOD))
    (tmp_path / "b.xml").write_bytes(to_xml(GOOD))
    result = run("--summary", tmp_path)
    assert result.exit_code == 0, result.output
    assert "2 file(s), 2 resource(s), 0 error(s)" in result.output


def test_error_prints_outcome_with_path_rule_and_value(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(BAD))
    result = run(path)
    assert result.exit_code == 1
    body = json.loads(result.output.split("\n", 1)[1])
    (issue,) = [i for i in body["issue"] if i["severity"] == "error"]
    assert issue["expression"] == ["AdministrableProductDefinition.status"]
    assert "binding (required) to http://hl7.org/fhir/ValueSet/publication-status" in issue["diagnostics"]
    assert "'current'" in issue["diagnostics"]


def test_bundle_entries_are_validated_and_counted(tmp_path):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:6f6d1f0e-6f0a-4c8e-9a51-0b0b5b7c1a11", "resource": GOOD},
            {"fullUrl": "urn:uuid:6f6d1f0e-6f0a-4c8e-9a51-0b0b5b7c1a12", "resource": BAD},
        ],
    }
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    result = run("--summary", tmp_path)
    assert result.exit_code == 1
    assert "Bundle.entry[1].resource.status" in result.output
    assert "1 file(s), 3 resource(s), 1 error(s)" in result.output


def test_unreadable_file_exits_2(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = run(path)
    assert result.exit_code == 2
    assert '"severity": "fatal"' in result.output
