"""`fhir-service convert`: stdout for one file, --out for many, JSON and XML, and invalid output
never written."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from fhir_service.cli import main
from fhir_service.formats import parse_xml
from mappings.convert import Conversion, convert_file, dumps

REFUSAL = "---\ntitle: Omega-\n---\n\n# Omega-\nPlease provide the generic name of the medicine you'd like information on.\n"


@pytest.fixture()
def corpus(tmp_path, seed_path):
    """A folder with the seed, a refusal and a README that is not a monograph."""
    folder = tmp_path / "in"
    (folder / "o").mkdir(parents=True)
    shutil.copy(seed_path, folder / "tolperisone.md")
    (folder / "o" / "omega.md").write_text(REFUSAL, encoding="utf-8")
    (folder / "README.md").write_text("# not a monograph\n", encoding="utf-8")
    return folder


def run(*args):
    return CliRunner().invoke(main, ["convert", *map(str, args)])


def test_single_file_prints_the_bundle(seed_path):
    result = run(seed_path)
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.stdout)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    assert result.stdout == dumps(convert_file(seed_path).bundle("transaction"))
    assert "files: 1" in result.stderr


def test_folder_to_out_dir_with_summary(corpus, tmp_path):
    out = tmp_path / "out"
    result = run(corpus, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["tolperisone.json"]
    assert "files: 2" in result.stdout
    assert "files without clinical content: 1" in result.stdout
    assert "omega.md" in result.stdout
    assert "  MedicationKnowledge: 1" in result.stdout
    assert "invalid resources: 0" in result.stdout


def test_xml_collection_bundle(seed_path, tmp_path):
    result = run(seed_path, "--out", tmp_path, "--format", "xml", "--bundle", "collection")
    assert result.exit_code == 0, result.output
    bundle = parse_xml((tmp_path / "tolperisone.xml").read_bytes())
    assert bundle["type"] == "collection"
    assert all(
        e["fullUrl"].endswith(f"/{e['resource']['resourceType']}/{e['resource']['id']}")
        for e in bundle["entry"]
    )


def test_an_invalid_resource_fails_the_run_and_is_not_written(seed_path, tmp_path, monkeypatch):
    def broken(path):
        conversion = convert_file(path)
        cud = next(r for r in conversion.resources if r["resourceType"] == "ClinicalUseDefinition")
        cud["type"] = "side-effect"  # not in the required clinical-use-definition-type value set
        return Conversion(conversion.monograph, conversion.resources, conversion.coverage)

    monkeypatch.setattr("fhir_service.cli.convert.convert_file", broken)
    result = run(seed_path, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert not (tmp_path / "out" / "tolperisone.json").exists()
    assert "INVALID" in result.stderr and "ClinicalUseDefinition" in result.stderr
    assert "invalid resources: 1 (in 1 files)" in result.stdout


def test_identical_copies_are_written_once_and_clashing_names_fail(corpus, tmp_path, seed_path):
    (corpus / "t").mkdir()
    shutil.copy(seed_path, corpus / "t" / "tolperisone.md")  # a byte-identical copy: same Bundle
    result = run(corpus, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "(1 written, 1 identical copies skipped)" in result.stdout
    (corpus / "t" / "tolperisone.md").write_bytes(seed_path.read_bytes().replace(b"100 mg", b"200 mg"))
    result = run(corpus, "--out", tmp_path / "out2")
    assert result.exit_code == 1
    assert "another monograph already produced tolperisone.json" in result.stdout


def test_coverage_tsv_says_where_every_statement_went(seed_path, tmp_path):
    result = run(seed_path, "--out", tmp_path, "--coverage", tmp_path / "coverage.tsv")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in (tmp_path / "coverage.tsv").read_text(encoding="utf-8").splitlines()]
    assert rows[0] == ["file", "section", "target", "statement"]
    targets = [r[2] for r in rows[1:]]
    assert all(len(r) == 4 for r in rows)
    assert any(t.startswith("ClinicalUseDefinition/") and t.endswith(".undesirableEffect") for t in targets)
    assert any(t.startswith("MedicationKnowledge/tolperisone-mk.indicationGuideline[") for t in targets)
    assert "DocumentReference only" in targets  # FAQs and the disclaimer
