"""The whole shared corpus parses: no exception, ≥ 95 % with clinical content, nothing lost."""

from __future__ import annotations

import pytest

from mappings.parse import parse_text
from mappings.parse.accounting import unaccounted_lines


@pytest.fixture(scope="module")
def corpus(shared_monographs):
    files = sorted(p for p in shared_monographs.rglob("*.md") if p.name != "SOURCE.md")
    texts = {p: p.read_text(encoding="utf-8") for p in files}
    return {p: (text, parse_text(text, str(p))) for p, text in texts.items()}


def test_all_files_parse(corpus):
    assert len(corpus) >= 300


def test_clinical_content_share(corpus):
    without = [(p.name, m.no_content_reason) for p, (_, m) in corpus.items() if not m.has_clinical_content]
    assert all(reason and reason.startswith("no clinical content") for _, reason in without)
    assert len(corpus) - len(without) >= 0.95 * len(corpus), without


def test_nothing_silently_dropped(corpus):
    lost = {p.name: missing for p, (text, m) in corpus.items() if (missing := unaccounted_lines(text, m))}
    assert lost == {}


def test_structured_fields_are_found_broadly(corpus):
    with_content = [m for _, m in corpus.values() if m.has_clinical_content]
    assert sum(bool(m.side_effects) for m in with_content) >= 0.9 * len(with_content)
    assert sum(bool(m.indications) for m in with_content) >= 0.7 * len(with_content)
    assert sum(bool(m.dosage_regimens) for m in with_content) >= 0.45 * len(with_content)
    assert sum(bool(m.faqs) for m in with_content) >= 0.9 * len(with_content)


def test_model_round_trips_through_json(corpus):
    from mappings.model import dump, load

    for _, m in corpus.values():
        data = dump(m)
        assert dump(load(data)) == data


def test_files_without_sections_are_the_ones_without_clinical_content(corpus, shared_monographs):
    manifest = (shared_monographs / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    no_sections = {
        line.split("\t")[0] for line in manifest if "no_sections" in line.split("\t")[1].split(",")
    }
    without = {
        str(p.relative_to(shared_monographs)) for p, (_, m) in corpus.items() if not m.has_clinical_content
    }
    assert without == no_sections
