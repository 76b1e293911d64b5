"""`fhir-service parse FILE` prints the model as JSON that loads back; `--summary` prints coverage."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fhir_service.cli import main
from mappings.model import dump, load
from mappings.parse import parse_file

FIXTURES = Path(__file__).resolve().parents[1] / "mappings" / "monographs"


def test_parse_prints_loadable_json(seed_path):
    result = CliRunner().invoke(main, ["parse", str(seed_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["generic_name"] == "Tolperisone"
    assert dump(load(data)) == dump(parse_file(seed_path)) == data


def test_summary_table_over_folder_and_file(seed_path):
    result = CliRunner().invoke(main, ["parse", "--summary", str(FIXTURES), str(seed_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["section", "files", "structured", "text", "only"]
    rows = {
        line.split()[0]: [int(n) for n in line.split()[1:]]
        for line in lines[1:]
        if line and line[0].isalpha() and line.split()[1].isdigit()
    }
    files = len(list(FIXTURES.glob("*.md"))) + 1
    assert rows["dosage"][0] >= 3 and sum(rows["dosage"][1:]) == rows["dosage"][0]
    assert f"files: {files}; without clinical content: 1;" in result.output


def test_several_files_without_summary_is_a_usage_error(seed_path):
    result = CliRunner().invoke(main, ["parse", str(seed_path), str(FIXTURES / "faqs.md")])
    assert result.exit_code == 2
