"""export-fixtures: put and conditional styles, valid R5, loadable twice without duplicates."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fhir_service.cli import main
from fhir_service.fixtures_export import FIXTURE_SYSTEM, conditional_bundle, identity
from fhir_service.references import iter_references
from fhir_service.validation import has_errors, validate_resource
from mappings.convert import convert_file


@pytest.fixture(scope="module")
def seed_put_bundle(seed_path):
    return convert_file(seed_path).bundle("transaction")


def test_conditional_bundle_shape(seed_put_bundle):
    bundle = conditional_bundle(seed_put_bundle)
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(full_urls) == len(bundle["entry"]) == len(seed_put_bundle["entry"])
    for entry in bundle["entry"]:
        resource, request = entry["resource"], entry["request"]
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert "id" not in resource
        assert request["method"] == "POST" and request["url"] == resource["resourceType"]
        assert request["ifNoneExist"].startswith(("identifier=", "_tag="))
        for ref in iter_references(resource):
            if not ref.startswith("#") and "://" not in ref:
                assert ref in full_urls, f"{resource['resourceType']}: {ref} points outside the Bundle"
    prov = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Provenance")
    assert prov["request"]["ifNoneExist"] == f"_tag={FIXTURE_SYSTEM}|tolperisone-prov"
    assert {"system": FIXTURE_SYSTEM, "code": "tolperisone-prov"} in prov["resource"]["meta"]["tag"]
    mk = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationKnowledge")
    assert all(r.startswith("urn:uuid:") for r in iter_references(mk["resource"]) if not r.startswith("#"))


def test_identity_prefers_business_identifier_and_escapes():
    resource = {"resourceType": "DocumentReference", "identifier": [{"system": "urn:x", "value": "a|b,c"}]}
    same, criteria = identity(resource, "doc-1")
    assert same is resource and criteria == "identifier=urn:x|a%5C%7Cb%5C%2Cc"
    bare, criteria = identity({"resourceType": "Group"}, "g-1")
    assert bare["identifier"] == [{"system": FIXTURE_SYSTEM, "value": "g-1"}]
    assert criteria == f"identifier={FIXTURE_SYSTEM}|g-1"


@pytest.mark.parametrize("style", ["put", "conditional"])
def test_cli_writes_valid_bundles(tmp_path, seed_path, style):
    result = CliRunner().invoke(
        main, ["export-fixtures", str(seed_path), "--out", str(tmp_path), "--style", style]
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads((tmp_path / "tolperisone.json").read_text())
    issues = validate_resource(bundle)
    assert not has_errors(issues), [i.message for i in issues if i.severity == "error"][:5]
    methods = {e["request"]["method"] for e in bundle["entry"]}
    assert methods == ({"PUT"} if style == "put" else {"POST"})


@pytest.mark.parametrize("name", ["tolperisone.json", "conditional/tolperisone.json"])
def test_committed_fixture_bundles_are_current_and_valid(seed_path, name):
    path = seed_path.parents[1] / "bundles" / name
    bundle = json.loads(path.read_text())
    assert not has_errors(validate_resource(bundle))
    expected = convert_file(seed_path).bundle("transaction")
    if name.startswith("conditional/"):
        expected = conditional_bundle(expected)
    style = "conditional" if name.startswith("conditional/") else "put"
    assert bundle == expected, (
        f"{path} is stale: regenerate it with\n    .venv/bin/fhir-service export-fixtures "
        f"fixtures/monographs --out {path.parent} --style {style}"
    )


@pytest.mark.parametrize("style", ["put", "conditional"])
def test_loading_twice_creates_no_duplicates(tmp_path, seed_path, server, style):
    out = tmp_path / style
    assert (
        CliRunner()
        .invoke(main, ["export-fixtures", str(seed_path), "--out", str(out), "--style", style])
        .exit_code
        == 0
    )
    first = CliRunner().invoke(main, ["load", "--base-url", server.base_url, str(out)])
    assert first.exit_code == 0, first.output
    entries = json.loads((out / "tolperisone.json").read_text())["entry"]
    types = sorted({e["resource"]["resourceType"] for e in entries})
    ids_before = resource_ids(server, types)
    assert sum(len(v) for v in ids_before.values()) >= len(entries)
    second = CliRunner().invoke(main, ["load", "--base-url", server.base_url, str(out)])
    assert second.exit_code == 0, second.output
    assert resource_ids(server, types) == ids_before
    if style == "conditional":  # server-assigned ids; references were rewritten to them
        mk = server.get(
            "MedicationKnowledge", params={"identifier": f"{FIXTURE_SYSTEM}|tolperisone-mk"}
        ).json()
        assert len(mk["entry"]) == 1
        for ref in iter_references(mk["entry"][0]["resource"]):
            if not ref.startswith("#"):
                assert server.get(ref).status_code == 200, ref


def resource_ids(server, types) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for rtype in types:
        bundle = server.get(rtype, params={"_count": "1000", "_elements": "id"}).json()
        out[rtype] = {e["resource"]["id"] for e in bundle.get("entry", [])}
    return out


def test_load_sends_xml_bundles_as_xml(tmp_path, seed_put_bundle, server):
    from fhir_service.formats import to_xml

    small = {**seed_put_bundle, "entry": seed_put_bundle["entry"][:3]}
    (tmp_path / "seed.xml").write_bytes(to_xml(small))
    result = CliRunner().invoke(main, ["load", "--base-url", server.base_url, str(tmp_path / "seed.xml")])
    assert result.exit_code == 0, result.output
    assert "1/1 bundles from 1 files loaded, 3 entries" in result.output
    first = small["entry"][0]["request"]["url"]
    assert server.get(first).json()["id"] == small["entry"][0]["resource"]["id"]


def test_two_sources_with_one_slug_are_not_silently_overwritten(tmp_path, seed_path):
    copies = tmp_path / "in"
    (copies / "t").mkdir(parents=True)
    (copies / "tolperisone.md").write_bytes(seed_path.read_bytes())
    (copies / "t" / "tolperisone.md").write_bytes(seed_path.read_bytes())
    result = CliRunner().invoke(main, ["export-fixtures", str(copies), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "1 put Bundles written" in result.output and "skipped duplicate" in result.output
    changed = seed_path.read_text().replace("Tolperisone", "Tolperisone (changed)", 1)
    (copies / "t" / "tolperisone.md").write_text(changed)
    result = CliRunner().invoke(main, ["export-fixtures", str(copies), "--out", str(tmp_path / "out2")])
    assert result.exit_code == 1
    assert "would overwrite tolperisone.json" in result.output
