"""fixtures/bundles/tolperisone.json is exactly what the converter makes of the seed today.

If this fails after a deliberate mapping change, regenerate it:
    .venv/bin/fhir-service convert fixtures/monographs/tolperisone.md --out fixtures/bundles
"""

from __future__ import annotations

from pathlib import Path

from fhir_service.validation import has_errors, validate_resource
from mappings.convert import convert_file, dumps

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "bundles" / "tolperisone.json"


def test_seed_bundle_fixture_is_byte_identical_to_a_fresh_conversion(seed_path):
    fresh = dumps(convert_file(seed_path).bundle("transaction")).encode("utf-8")
    assert BUNDLE.read_bytes() == fresh, (
        "fixtures/bundles/tolperisone.json is stale: regenerate it (see docstring)"
    )


def test_seed_bundle_fixture_is_valid_r5():
    import json

    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    issues = validate_resource(bundle)
    assert not has_errors(issues), [i for i in issues if i.severity in ("error", "fatal")]
