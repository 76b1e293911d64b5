"""The seed monograph (tolperisone) parses into the structured fields the conversion relies on."""

from __future__ import annotations

import hashlib

import pytest

from mappings.model import dump, load
from mappings.parse import parse_file
from mappings.parse.accounting import unaccounted_lines


@pytest.fixture(scope="module")
def seed(seed_path):
    return parse_file(seed_path)


def _regimen(mono, route, low, unit="mg", kind="adult"):
    found = [
        r
        for r in mono.dosage_regimens
        if r.route == route and r.dose_low == low and r.dose_unit == unit and r.population.kind == kind
    ]
    assert len(found) == 1, [
        (r.route, r.dose_low, r.dose_unit, r.population.kind) for r in mono.dosage_regimens
    ]
    return found[0]


def test_identity_and_hash(seed, seed_path):
    assert seed.generic_name == "Tolperisone"
    assert seed.components == ["Tolperisone"]
    assert seed.sha256 == hashlib.sha256(seed_path.read_bytes()).hexdigest()
    assert seed.has_clinical_content and seed.no_content_reason is None


def test_indications_one_per_condition(seed):
    conditions = {i.condition: i for i in seed.indications}
    for name in ("multiple sclerosis", "cerebral palsy", "spinal cord injury"):
        assert conditions[name].group == "Muscle spasms and hypertonicity in neurological disorders"
        assert conditions[name].source.startswith("Muscle spasms and hypertonicity")
    assert conditions["Post-stroke spasticity"].group == "Post-stroke spasticity"
    assert "arthrosis of large joints" in conditions
    assert len(seed.indications) >= 5


def test_adult_oral_tid(seed):
    r = _regimen(seed, "oral", 100)
    assert (
        r.dose_high,
        r.frequency.code,
        r.frequency.frequency,
        r.frequency.period,
        r.frequency.period_unit,
    ) == (150, "TID", 3, 1, "d")
    assert r.indication == "spasticity (post-stroke)"
    assert r.source == "For spasticity (post-stroke), the typical dose is 100-150 mg three times daily (TID)."


def test_severe_qid_and_daily_total(seed):
    qid = [r for r in seed.dosage_regimens if r.frequency and r.frequency.code == "QID"]
    assert len(qid) == 1 and qid[0].dose_low == qid[0].dose_high == 150 and qid[0].route == "oral"
    total = (
        _regimen(seed, "oral", 150) if False else next(r for r in seed.dosage_regimens if r.dose_high == 450)
    )
    assert total.per_day_total and total.frequency.frequency == 3
    assert total.max_daily_dose is None  # the top of a daily range is not a stated maximum


def test_parenteral(seed):
    im = _regimen(seed, "intramuscular", 100)
    assert im.frequency.code == "BID"
    iv = _regimen(seed, "intravenous", 100)
    assert iv.frequency.code == "QD" and iv.frequency.text.startswith("once daily")
    assert iv.method == "slow intravenous injection"


def test_children_by_age_band(seed):
    young = _regimen(seed, None, 5, "mg/kg", "child")
    assert young.population.age_high == 6 and young.population.age_low is None
    assert young.per_day_total and young.frequency.frequency == 3
    older = _regimen(seed, None, 2, "mg/kg", "child")
    assert (older.dose_high, older.population.age_low, older.population.age_high) == (4, 6, 14)


def test_dosage_adjustment_prose_is_kept(seed):
    assert any("hepatic or renal impairment" in n for n in seed.dosage_notes)


def test_side_effects(seed):
    common = [s for s in seed.side_effects if s.frequency == "common"]
    assert len(common) == 12 and not any(s.serious for s in common)
    allergic = next(s for s in seed.side_effects if s.term == "Allergic reactions")
    assert (
        allergic.detail == "angioedema, anaphylaxis" and allergic.serious and allergic.frequency == "uncommon"
    )
    hypotension = next(s for s in seed.side_effects if s.term == "Hypotension")
    assert hypotension.detail == "low blood pressure"


def test_precautions(seed):
    # "the drug" is named: the item reads on its own, away from its sentence
    assert [c.text for c in seed.contraindications] == [
        "hypersensitivity to Tolperisone",
        "myasthenia gravis",
        "use of intramuscular injections in children",  # stated in the Dosage section's prose
    ]
    drugs = {i.interactant: i for i in seed.interactions if i.kind == "drug"}
    assert set(drugs) == {
        "other centrally acting muscle relaxants",
        "nonsteroidal anti-inflammatory drugs (NSAIDs)",
    }
    assert drugs["other centrally acting muscle relaxants"].effect == "potentially increasing their effects"
    # the FAQ's "combining with alcohol is generally not advised" is a warning, not a named interactant
    assert not any(i.kind == "alcohol" for i in seed.interactions)
    topics = {w.topic for w in seed.warnings}
    assert {"pregnancy-breastfeeding", "epilepsy", "hepatic-renal", "driving", "alcohol"} <= topics


def test_faqs_storage_disclaimer_mechanism(seed):
    assert len(seed.faqs) == 5
    assert seed.faqs[0].question == "Can I take Tolperisone with alcohol?"
    assert seed.storage and seed.storage[0].startswith("Store Tolperisone in a cool, dry place")
    assert "This information is for general knowledge" in seed.disclaimer
    assert seed.disclaimer.startswith("If you experience any adverse effects")  # advice that names nothing
    assert "centrally acting muscle relaxant" in seed.mechanism
    assert "Decreases the facilitation of muscle tone" in seed.mechanism


def test_nothing_lost_and_round_trip(seed, seed_path):
    assert unaccounted_lines(seed_path.read_text(encoding="utf-8"), seed) == []
    assert seed.unmapped == []
    assert dump(load(dump(seed))) == dump(seed)
