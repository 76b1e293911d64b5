"""`fhir-service export-fixtures --fhir-version 4.0|4.3` (both styles) writes Bundles valid in that
version, and `fhir-service load --fhir-version` sends them as such: loaded into this service they
give back the R5 resources the mappings made (put style exactly; conditional style once)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_service import definitions, versions
from fhir_service.cli import main
from fhir_service.validation import validate_resource
from mappings.convert import convert_file

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "monographs" / "tolperisone.md"
FIXTURE_TAG = "https://fhir-service.example/fhir/fixture-id"


@pytest.fixture(scope="module")
def server(database_url_factory):
    from live_server import LiveServer

    live = LiveServer(database_url_factory())
    yield live
    live.stop()


def export(tmp_path: Path, version: str, style: str) -> dict:
    out = tmp_path / f"{version}-{style}"
    result = CliRunner().invoke(
        main,
        ["export-fixtures", str(SEED), "--out", str(out), "--style", style, "--fhir-version", version],
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "tolperisone.json").read_text(encoding="utf-8"))


def load(server, path: Path, version: str) -> None:
    result = CliRunner().invoke(
        main, ["load", "--base-url", server.base_url, "--fhir-version", version, str(path)]
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("version", ["4.0", "4.3"])
@pytest.mark.parametrize("style", ["put", "conditional"])
def test_exported_bundles_are_valid_in_their_version(tmp_path, version, style):
    bundle = export(tmp_path, version, style)
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    if version == "4.0":
        assert "MedicinalProductIndication" in types and "ClinicalUseDefinition" not in types
    else:
        assert "ClinicalUseDefinition" in types
    assert all(e["request"]["url"].split("/")[0] == e["resource"]["resourceType"] for e in bundle["entry"])
    with definitions.fhir_version(version):
        errors = [i for i in validate_resource(bundle) if i.severity in ("error", "fatal")]
    assert errors == []


@pytest.mark.parametrize("version", ["4.0", "4.3"])
def test_put_fixtures_load_back_to_the_r5_resources(server, tmp_path, version):
    bundle = export(tmp_path, version, "put")
    load(server, tmp_path / f"{version}-put" / "tolperisone.json", version)
    expected = convert_file(SEED).bundle("transaction")
    for entry in expected["entry"]:
        resource = entry["resource"]
        stored = server.get(f"{resource['resourceType']}/{resource['id']}").json()
        assert {k: v for k, v in stored.items() if k != "meta"} == resource
    view = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationKnowledge"
    )
    base = {v: k for k, v in versions.BASES.items()}[version]
    served = server.get(f"{base}/MedicationKnowledge/{view['id']}").json()
    assert {k: v for k, v in served.items() if k != "meta"} == view


def test_conditional_fixtures_load_once(server, tmp_path):
    export(tmp_path, "4.0", "conditional")
    path = tmp_path / "4.0-conditional" / "tolperisone.json"
    load(server, path, "4.0")
    before = server.history_total()
    load(server, path, "4.0")
    assert server.history_total() == before  # every entry matched
    found = server.get("R4/MedicationKnowledge", params={"_tag": f"{FIXTURE_TAG}|tolperisone-mk"}).json()
    assert found["entry"][0]["resource"]["resourceType"] == "MedicationKnowledge"
