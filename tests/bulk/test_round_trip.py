"""Round trip: monographs ingested into server A, `$export`ed, `load`ed as transaction Bundles into
a fresh server B (its own database); the same searches return the same resources on both, and
loading the same files again creates no duplicates."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fhir_service.cli import main
from fhir_service.ingest.writer import run_ingest

MONOGRAPHS = ["a/almotriptan.md", "a/ambroxol.md", "a/amoxicillin-clavulanic-acid.md", "t/tamoxifen.md"]

# searches an integrator would run; each must give the same resources on both servers
SEARCHES = [
    ("MedicationKnowledge", {}),
    ("MedicationKnowledge", {"status": "active"}),
    ("ClinicalUseDefinition", {"type": "contraindication"}),
    ("ClinicalUseDefinition", {"type": "undesirable-effect", "_count": "7"}),
    ("AdministrableProductDefinition", {"route": "http://snomed.info/sct|26643006"}),
    ("MedicinalProductDefinition", {"_revinclude": "ClinicalUseDefinition:subject"}),
    ("Group", {}),
    ("DocumentReference", {}),
    ("Provenance", {}),
]


def strip_meta(resource: dict) -> dict:
    meta = {k: v for k, v in resource.get("meta", {}).items() if k not in ("versionId", "lastUpdated")}
    out = {k: v for k, v in resource.items() if k != "meta"}
    return {**out, "meta": meta} if meta else out


def everything(server, rtype: str, params: dict) -> list[dict]:
    """All pages of a search, resources without their server-local meta, in a stable order."""
    found, url, query = [], f"{server.base_url}/{rtype}", {"_count": "100", **params}
    while url:
        page = server.http.get(url, params=query).json()
        assert page["resourceType"] == "Bundle", page
        found += [strip_meta(e["resource"]) for e in page.get("entry", [])]
        url, query = (
            next((link["url"] for link in page.get("link", []) if link["relation"] == "next"), None),
            None,
        )
    return sorted(found, key=lambda r: (r["resourceType"], r["id"]))


@pytest.fixture(scope="module")
def server_a(live_server_factory, shared_monographs):
    server = live_server_factory()
    repo = server.app.extensions["fhir_repository"]
    summary = run_ingest([str(shared_monographs / m) for m in MONOGRAPHS], repo, jobs=1, progress=False)
    assert summary.ok, summary.lines()
    return server


def test_export_then_load_into_a_fresh_server(server_a, live_server_factory, tmp_path):
    manifest = server_a.export()
    out = tmp_path / "export"
    out.mkdir()
    for item in manifest["output"]:
        data = server_a.http.get(item["url"]).content
        (out / item["url"].rsplit("/", 1)[1]).write_bytes(data)
    exported = sum(item["count"] for item in manifest["output"])
    assert exported > 50

    server_b = live_server_factory()
    first = CliRunner().invoke(
        main, ["load", "--base-url", server_b.base_url, "--chunk-size", "40", str(out)]
    )
    assert first.exit_code == 0, first.output
    assert f"{exported} entries" in first.output

    results_a = {f"{t}?{json.dumps(p)}": everything(server_a, t, p) for t, p in SEARCHES}
    results_b = {f"{t}?{json.dumps(p)}": everything(server_b, t, p) for t, p in SEARCHES}
    assert all(results_a.values()), [k for k, v in results_a.items() if not v]
    assert results_a == results_b

    counts = {t: len(everything(server_b, t, {})) for t in {i["type"] for i in manifest["output"]}}
    second = CliRunner().invoke(main, ["load", "--base-url", server_b.base_url, str(out)])
    assert second.exit_code == 0, second.output
    assert {t: len(everything(server_b, t, {})) for t in counts} == counts
    assert sum(counts.values()) == exported
