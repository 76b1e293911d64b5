"""Each format variant of the corpus, on small fixtures written for these tests (monographs/ beside this file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mappings.parse import parse_file, parse_text
from mappings.parse.accounting import unaccounted_lines

FIXTURES = Path(__file__).parent / "monographs"


def parsed(name: str):
    return parse_file(FIXTURES / name)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.md")))
def test_nothing_is_lost(name):
    path = FIXTURES / name
    assert unaccounted_lines(path.read_text(encoding="utf-8"), parse_file(path)) == []


def test_bold_label_sections():
    m = parsed("bold_labels.md")
    assert [s.kind for s in m.sections] == [
        "generic_name",
        "usage",
        "dosage",
        "side_effects",
        "mechanism",
        "precautions",
        "faqs",
        "disclaimer",
    ]
    assert [i.condition for i in m.indications] == ["tension headache", "migraine"]
    assert m.dosage_regimens[0].route == "oral" and m.dosage_regimens[0].frequency.code == "BID"
    assert m.mechanism == "It blocks a made-up receptor."
    assert [c.text for c in m.contraindications] == ["severe liver disease"]
    assert {w.topic for w in m.warnings} == {"pregnancy", "alcohol"}
    assert not m.interactions  # "Avoid alcohol while taking it" is a warning
    assert m.disclaimer.startswith("This information is for general knowledge")


def test_unsplit_side_effects_in_a_bullet():
    m = parsed("bold_labels.md")
    assert [(s.term, s.frequency, s.serious) for s in m.side_effects] == [
        ("Nausea", "common", False),
        ("dizziness", "common", False),
        ("dry mouth", "common", False),
        ("Liver injury", "uncommon", True),
        ("allergic reactions", "uncommon", True),
        ("rash", "uncommon", True),  # a parenthesis that names two or more effects names effects
        ("swelling", "uncommon", True),
    ]
    assert m.side_effects[-3].detail == "rash, swelling"


def test_component_subheadings_and_labels():
    m = parsed("components.md")
    assert m.components == ["Alphamab", "Betacillin"] and m.is_combination
    assert m.generic_name == "Alphamab + Betacillin"
    assert [(i.condition, i.component) for i in m.indications] == [
        ("Rheumatoid arthritis", "Alphamab"),
        ("pneumonia", "Betacillin"),
        ("cellulitis", "Betacillin"),
    ]
    (regimen,) = m.dosage_regimens
    assert (regimen.component, regimen.route, regimen.frequency.period, regimen.frequency.period_unit) == (
        "Alphamab",
        "subcutaneous",
        2,
        "wk",
    )
    by_term = {s.term: s.component for s in m.side_effects}
    assert by_term == {
        "Diarrhoea": "Betacillin",
        "rash": "Betacillin",
        "Injection site reactions": "Alphamab",
        "Headache": "Betacillin",
    }
    assert m.disclaimer.startswith("Please note")  # the preamble caveat
    assert [(u.section, u.text) for u in m.unmapped] == [
        ("Combined Use of Alphamab and Betacillin", "There is no known combined product.")
    ]


def test_heading_variants():
    m = parsed("headings.md")
    kinds = [(s.heading, s.kind) for s in m.sections]
    assert kinds[0] == ("Gammadol (Generic Name)", "generic_name")  # name inside the heading
    assert ("Usage", "usage") in kinds  # "### Usage:"
    assert ("Dosage", "dosage") in kinds  # body on the heading line
    assert ("Side Effects (Not Applicable)", "side_effects") in kinds  # empty section
    assert m.dosage_notes == ["NOT FOR INTERNAL USE. There is no dosage."]
    assert m.mechanism == "It numbs nerve endings."
    assert m.warnings[0].topic == "children"
    assert m.faqs[0].question == "How should I store Gammadol?"  # a question written as a heading
    assert m.storage == ["Store below 25 °C."]


def test_tabs_after_bullets():
    m = parsed("tabs.md")
    assert [(s.term, s.detail, s.frequency) for s in m.side_effects] == [
        ("Headache", "mild", "common"),
        ("Nausea", None, "common"),
    ]


def test_dosing_variants():
    m = parsed("dosing.md")
    rows = {(r.route, r.dose_low, r.dose_unit): r for r in m.dosage_regimens}
    oral = rows[("oral", 500, "mg")]
    assert oral.frequency.code == "Q8H" and (oral.max_daily_dose.value, oral.max_daily_dose.unit) == (4, "g")
    im = rows[("intramuscular", 1, "g")]
    assert im.frequency.code == "WK" and (im.duration_value, im.duration_unit) == (4, "wk")
    iv = rows[("intravenous", 1.5, "mg/m2")]  # <sup>2</sup> → ² → mg/m2
    assert iv.frequency.code == "QOD" and iv.method == "slow intravenous infusion over 30 minutes"
    inhaled = rows[("inhalation", 100, "mcg")]  # µg → mcg
    assert inhaled.frequency.code is None and inhaled.frequency.period == 12 and inhaled.frequency.as_needed
    child = rows[(None, 10, "mg/kg")]
    p = child.population
    assert (p.kind, p.age_low, p.age_high, p.weight_high) == ("child", 2, 6, 40)
    assert child.per_day_total and child.frequency.code == "BID"
    assert rows[(None, 250, "mg")].population.kind in ("child", "elderly")
    q6h = next(r for r in m.dosage_regimens if r.frequency and r.frequency.code == "Q6H")
    assert q6h.population.age_low == 12
    elderly = next(r for r in m.dosage_regimens if r.population.kind == "elderly")
    assert elderly.frequency.code == "QD"
    assert m.dosage_notes == ["Dosage Adjustments: Reduce the dose in severe renal impairment."]


def test_side_effect_bands():
    m = parsed("side_effects.md")
    bands = {s.term: (s.frequency, s.serious) for s in m.side_effects}
    assert bands["Fatigue"] == ("very-common", False)
    assert bands["Hypotension"] == ("common", False)
    assert bands["Allergic reactions"] == ("common", False)
    assert bands["Tinnitus"] == ("uncommon", False)
    assert bands["Stevens-Johnson syndrome"] == ("rare", True)
    assert bands["insomnia"] == bands["blurred vision"] == ("uncommon", False)  # prose, no bullets
    assert m.warnings == []  # "If you experience any of these, contact your doctor." names nothing
    assert "If you experience any of these, contact your doctor." in m.disclaimer


def test_faq_formats():
    m = parsed("faqs.md")
    assert [(f.question, f.answer) for f in m.faqs] == [
        ("Can I drink alcohol with Faqitol?", "Avoid alcohol; it increases drowsiness."),
        ("How should I store Faqitol?", "Keep in a cool, dry place."),
        ("Is it safe in pregnancy?", "Ask your doctor first."),
        ("How long does it take to work?", "Usually a few days."),
        ("Can I stop suddenly?", "Yes, it has no withdrawal effects."),
    ]
    assert m.storage == ["Keep in a cool, dry place."]
    assert m.interactions == []
    assert [(w.topic, w.text) for w in m.warnings] == [("alcohol", "Avoid alcohol; it increases drowsiness.")]
    assert [u.text for u in m.unmapped] == ["Remember: This information is for general knowledge only."]


def test_refusal_has_no_clinical_content():
    m = parsed("refusal.md")
    assert not m.has_clinical_content
    assert (
        "no clinical content" in m.no_content_reason
        and "Please provide the generic name" in m.no_content_reason
    )
    assert m.generic_name == "Omega"  # the truncated title still gives a sane name
    assert m.unmapped  # the refusal text itself is kept


@pytest.mark.parametrize(
    ("title", "components"),
    [
        ("A + B + C", ["A", "B", "C"]),
        ("Allantoin + Hydrocortisone + Lidocaine/Lignocaine", ["Allantoin", "Hydrocortisone", "Lidocaine"]),
        (
            "Immune Globulin Human/ Recombinant Human Hyaluronidase",
            ["Immune Globulin Human", "Recombinant Human Hyaluronidase"],
        ),
        ("Levothyroxine/ T4", ["Levothyroxine"]),
        ("Zoster Vaccine (Live/Attenuated)", ["Zoster Vaccine (Live/Attenuated)"]),
        ("Clobetasol - + Miconazole + Neomycin -", ["Clobetasol", "Miconazole", "Neomycin"]),
        ("Metformin + Voglibose .", ["Metformin", "Voglibose"]),
        ("Vitamin B + Vitamin B + Zinc", ["Vitamin B", "Zinc"]),
    ],
)
def test_title_components(title, components):
    m = parse_text(f"---\ntitle: {title}\n---\n\n# {title}\n### Usage\nTreats things.\n", "x.md")
    assert m.components == components
    assert m.generic_name == " + ".join(components)


def test_truncated_title_repaired_from_generic_name_line():
    text = (
        "---\ntitle: Omega- + Zinc\n---\n\n# Omega- + Zinc\n"
        "**Generic Name:** Omega-3 Fatty Acids + Zinc\n\n**Usage:** Supplement.\n"
    )
    m = parse_text(text, "omega-zinc.md")
    assert m.components == ["Omega-3 Fatty Acids", "Zinc"]


def test_title_from_filename_when_missing():
    m = parse_text("### Usage\nTreats things.\n", "x/amlo-dipine_trunc.md")
    assert m.title == "Amlo Dipine" and m.components == ["Amlo Dipine"]


def test_html_and_non_ascii_are_text():
    text = (
        "---\ntitle: X\n---\n# X\n### How it Works\nActs on GABA<sub>A</sub> at 10<sup>6</sup> sites; "
        "dose ≥ 2 mg/m² – see <i>label</i>.\n"
    )
    m = parse_text(text, "x.md")
    # <sup> digits become superscripts so 10<sup>6</sup> does not read as 106; other tags are dropped
    assert m.mechanism == "Acts on GABAA at 10⁶ sites; dose ≥ 2 mg/m² – see label."


def test_sha256_of_exact_bytes():
    import hashlib

    text = "---\ntitle: X\n---\n# X\n### Usage\nµ ≥ ² –\n"
    assert parse_text(text, "x.md").sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_precautions_lead_ins_labels_and_prose():
    m = parsed("precautions.md")
    assert [(c.text, c.source) for c in m.contraindications] == [
        (
            "Cardiogenic shock",
            "Cautiol is contraindicated (should not be used) in patients with: Cardiogenic shock",
        ),
        (
            "Severe hypotension",
            "Cautiol is contraindicated (should not be used) in patients with: Severe hypotension",
        ),
    ]
    drugs = [(i.interactant, i.effect) for i in m.interactions if i.kind == "drug"]
    assert drugs == [
        ("warfarin", "potentially increasing bleeding risk"),
        ("verapamil", "is not recommended"),
        ("diltiazem", "is not recommended"),
    ]
    assert [i.interactant for i in m.interactions if i.kind == "alcohol"] == []
    topics = [(w.topic, w.label) for w in m.warnings]
    assert topics == [
        ("other", "Use with caution in patients with"),
        ("alcohol", "Alcohol"),
        ("driving", "Driving"),
        ("hepatic", "Hepatic Impairment"),
        ("elderly", "Use in Elderly"),
        ("breastfeeding", ""),
    ]


def test_side_effect_bullets_with_systems_and_explanations():
    m = parsed("side_effects.md")
    by_term = {s.term: s for s in m.side_effects}
    assert by_term["Blurred vision"].group == "Other Side Effects: Eyes" and "dry eyes" in by_term
    severe = by_term["Severe allergic reactions"]
    assert severe.detail == "anaphylaxis; seek help at once" and severe.serious
    assert {"Agitation", "anxiety", "skin rash"} <= set(by_term)


def test_side_effects_named_in_prose():
    m = parsed("side_effects.md")
    hair = next(s for s in m.side_effects if s.term == "hair loss")
    assert hair.frequency == "rare" and hair.source == "In rare cases, patients may experience hair loss."


def test_ingredient_bullets_in_a_combination_usage():
    text = (
        "---\ntitle: Ambro + Guaifen\n---\n# Ambro + Guaifen\n### Usage\n"
        "* **Ambro:** An expectorant used to treat bronchitis.\n"
        "* **Guaifen:** Helps to clear congestion.\n"
    )
    m = parse_text(text, "x.md")
    assert [(i.condition, i.component) for i in m.indications] == [("bronchitis", "Ambro")]
    assert "Guaifen: Helps to clear congestion." in m.usage_text
