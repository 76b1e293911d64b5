"""The whole shared corpus (../shared/monographs, 301 files): nothing raises, every file yields a
valid Bundle or a clear "no clinical content" diagnostic, and at least 95 % yield Bundles.
About 10 s on one core; skipped when the corpus is absent."""

from __future__ import annotations

import re

import pytest

from fhir_service.validation import validate_resource
from mappings.convert import convert_file, dumps

pytestmark = pytest.mark.slow
ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@pytest.fixture(scope="module")
def results(corpus_conversions):
    return corpus_conversions  # converting every file must not raise


def test_the_whole_corpus_is_read(results):
    assert len(results) >= 300


def test_every_file_yields_a_valid_bundle_or_a_no_content_diagnostic(results):
    invalid = {}
    for path, conversion in results.items():
        if not conversion.resources:
            assert not conversion.monograph.has_clinical_content, path
            assert "no clinical content" in (conversion.monograph.no_content_reason or ""), path
            continue
        errors = [
            i for i in validate_resource(conversion.bundle("transaction")) if i.severity in ("error", "fatal")
        ]
        if errors:
            invalid[path.name] = errors[:2]
    assert not invalid, f"{len(invalid)} files with invalid resources, e.g. {list(invalid.items())[:3]}"


def test_at_least_95_percent_yield_bundles(results):
    with_bundle = sum(1 for c in results.values() if c.resources)
    assert with_bundle / len(results) >= 0.95, f"{with_bundle}/{len(results)}"


def test_reconverting_is_byte_identical(results):
    for path in list(results)[::60]:
        first = results[path]
        assert dumps(convert_file(path).bundle()) == dumps(first.bundle()), path


def test_ids_are_unique_across_the_corpus(results):
    """Different files never share an id (a shared id would overwrite in the store); byte-identical
    copies (the corpus has tolperisone.md twice) share them, which keeps re-loading idempotent."""
    seen = {}
    for path, conversion in results.items():
        for r in conversion.resources:
            assert ID.fullmatch(r["id"]), r["id"]
            key = (r["resourceType"], r["id"])
            if key in seen:
                other = seen[key]
                assert results[other].monograph.sha256 == conversion.monograph.sha256, (
                    f"{key}: {path} vs {other}"
                )
            seen[key] = path
