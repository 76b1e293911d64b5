"""Mapping → validation round trip for generated monographs: every resource the converter makes
from a monograph in the corpus format (tests/fuzz/fuzz_strategies.monograph) validates against R5
with zero errors, and the Bundle the converter writes validates as a whole."""

from __future__ import annotations

from fuzz_strategies import FUZZ, examples, monograph
from hypothesis import example, given, settings

from fhir_service.validation import has_errors, validate_bundle_entries, validate_resource
from mappings.convert import convert_with_coverage, make_bundle
from mappings.parse import parse_text


def _errors(issues) -> list[str]:
    return [f"{i.expression}: {i.message}" for i in issues if i.severity in ("error", "fatal")]


@settings(max_examples=examples(100), **FUZZ)
@given(monograph())
# found by this test: "0." alone is an empty ordered-list item; its block text was " ", which became
# an empty storageGuideline note (ele-1: markdown value is empty or blank)
@example("---\ntitle: Nyvoo\n---\n\n# Nyvoo\n### Usage\nNyvoo treats pain.\n\n### Storage\n\n0.\n0.\n")
def test_generated_monographs_convert_to_valid_resources(text):
    mono = parse_text(text, "fuzz.md")
    resources, _ = convert_with_coverage(mono, text.encode("utf-8"))
    if not resources:  # a clinical section whose body has no words ("### How it Works\n\n0.")
        assert not mono.has_clinical_content and mono.no_content_reason
        return
    assert [r["resourceType"] for r in resources][:2] == ["MedicationKnowledge", "MedicinalProductDefinition"]
    for resource in resources:
        assert not has_errors(issues := validate_resource(resource)), (resource["id"], _errors(issues))
    bundle = make_bundle(resources, "transaction", bundle_id="fuzz-bundle")
    assert not any(has_errors(found) for found in validate_bundle_entries(bundle).values())
