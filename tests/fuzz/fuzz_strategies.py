"""Hypothesis strategies built on the real monograph format: YAML front matter, a `# Title`, then
`### Section` blocks whose bodies look like the corpus (bold labels, bullets, doses, frequencies,
percentages, Q/A pairs) with free text mixed in. Shared by the parser and round-trip properties."""

from __future__ import annotations

import os

from hypothesis import HealthCheck
from hypothesis import strategies as st

# settings every fuzz property shares: no deadline (a slow shared machine), no example database
FUZZ = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


def examples(default: int) -> int:
    """A property's example count; FHIR_SERVICE_FUZZ_SCALE multiplies it (10: a ten times longer run)."""
    return max(1, round(default * float(os.environ.get("FHIR_SERVICE_FUZZ_SCALE", "1"))))


# words the section parsers look for, so generated bodies reach their branches
ROUTES = [
    "Oral",
    "Intramuscular (IM)",
    "Intravenous (IV)",
    "Subcutaneous (SC)",
    "Topical",
    "Inhalation",
    "Rectal",
]
UNITS = ["mg", "g", "µg", "mcg", "mg/kg", "mg/kg/day", "mL", "units", "IU", "mg/m<sup>2</sup>", "%"]
FREQUENCIES = [
    "once daily",
    "twice daily (BID)",
    "three times daily (TID)",
    "four times daily (QID)",
    "every 8 hours",
    "every 12 hours as needed",
    "once weekly",
    "every other day",
    "q6h",
    "at bedtime",
    "daily",
    "",
]
POPULATIONS = [
    "Adults",
    "Children",
    "Elderly",
    "Pediatric Dosage",
    "Children under 6 years",
    "Children 6-14 years",
    "Infants weighing less than 40 kg",
    "Ages 2 to under 6 years",
    "Children ≥12 years",
    "Dosage Adjustments",
    "Renal impairment",
]
CONDITIONS = [
    "Post-stroke spasticity",
    "multiple sclerosis",
    "hypertension",
    "bacterial infections such as pneumonia and cellulitis",
    "Rheumatoid arthritis",
    "muscle spasms",
    "pain",
    "epilepsy",
    "dry skin",
]
EFFECTS = [
    "Dizziness",
    "Headache",
    "Nausea",
    "Hypotension (low blood pressure)",
    "Allergic reactions (angioedema, anaphylaxis)",
    "Skin rash",
    "Tinnitus",
    "Liver problems",
    "Stevens-Johnson syndrome",
]
FREQUENCY_LABELS = [
    "Common side effects (occurring in 1-10% of patients) include:",
    "**Common Side Effects (>10%):**",
    "**Uncommon Side Effects (0.1-1%):**",
    "**Rare but Serious Side Effects (<0.1%):**",
    "Less common, but potentially serious side effects include:",
    "**Other Side Effects:**",
]
PRECAUTION_LABELS = [
    "Contraindications",
    "Interactions",
    "Pregnancy and breastfeeding",
    "Epilepsy",
    "Hepatic and renal impairment",
    "Driving and operating machinery",
    "Alcohol",
    "Children",
    "Use in Elderly",
]
HEADINGS = {
    "usage": ["Usage", "Usage:", "Uses", "Indications"],
    "dosage": ["Dosage", "Dosage and Administration", "Dosing"],
    "side_effects": ["Side Effects", "Adverse Effects"],
    "mechanism": ["How it Works", "Mechanism of Action"],
    "precautions": ["Precautions", "Warnings and Precautions", "Contraindications", "Interactions"],
    "faqs": ["FAQs", "Frequently Asked Questions"],
    "storage": ["Storage"],
    "other": ["Overview", "Notes"],
}

# free text from every script, with the punctuation the parsers split on and the control and format
# characters (NUL, form feed, zero-width space, BOM) that R5 strings may not hold
_ALPHABET = st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs", "Cc", "Cf"])
free_text = st.text(_ALPHABET, min_size=1, max_size=40).map(str.strip).filter(bool)
drug_name = st.from_regex(r"[A-Z][a-z]{3,11}", fullmatch=True)


def _number() -> st.SearchStrategy[str]:
    ints = st.integers(min_value=0, max_value=5000).map(str)
    decimals = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False).map(str)
    ranges = st.tuples(ints, ints).map(lambda t: f"{t[0]}-{t[1]}")
    return st.one_of(ints, decimals, ranges)


# Markdown that renders as empty list items, rules, quotes or code: bodies with no words in them
odd_markdown = st.sampled_from(
    ["0.", "1.", "* ", "- ", "+", "> ", "```", "***", "| a |", "<br>", "**", "**:**"]
)
sentence = st.one_of(
    free_text.map(lambda t: f"{t}."),
    odd_markdown,
    st.sampled_from(CONDITIONS).map(lambda c: f"It is used to treat {c}."),
    st.sampled_from(EFFECTS).map(lambda e: f"{e} may occur."),
)


@st.composite
def dose_line(draw) -> str:
    route = draw(st.sampled_from(ROUTES))
    dose = f"{draw(_number())} {draw(st.sampled_from(UNITS))} {draw(st.sampled_from(FREQUENCIES))}".strip()
    tail = draw(
        st.sampled_from(["", ", not to exceed 4 g per day", " for 4 weeks", " divided into three doses"])
    )
    return f"* **{route}:** {dose}{tail}."


@st.composite
def usage_body(draw, name: str) -> list[str]:
    lines = [f"{name} is used for:", ""]
    for _ in range(draw(st.integers(0, 4))):
        label = draw(st.sampled_from(CONDITIONS))
        lines.append(f"* **{label}:** {draw(sentence)}" if draw(st.booleans()) else f"* {label}")
    lines.append(draw(sentence))
    return lines


@st.composite
def dosage_body(draw, name: str) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        lines += [f"**{draw(st.sampled_from(POPULATIONS))}:**", ""]
        lines += draw(st.lists(dose_line(), min_size=1, max_size=3))
        if draw(st.booleans()):
            lines.append(f"    * {draw(st.sampled_from(POPULATIONS))}: {draw(_number())} mg/kg/day.")
        lines.append("")
    if draw(st.booleans()):
        lines.append(draw(sentence))
    return lines


@st.composite
def side_effects_body(draw, name: str) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        lines += [draw(st.sampled_from(FREQUENCY_LABELS)), ""]
        effects = draw(st.lists(st.one_of(st.sampled_from(EFFECTS), free_text), min_size=1, max_size=4))
        lines += [f"* {e}" for e in effects] + [""]
    if draw(st.booleans()):
        lines.append(f"In rare cases, patients may experience {draw(st.sampled_from(EFFECTS)).lower()}.")
    return lines


@st.composite
def precautions_body(draw, name: str) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        label = draw(st.sampled_from(PRECAUTION_LABELS))
        lines.append(f"* **{label}:** {name} {draw(sentence)}")
    if draw(st.booleans()):
        lines += [
            "",
            f"{name} is contraindicated in patients with:",
            "",
            "* Myasthenia gravis",
            "* Severe hypotension",
        ]
    return lines


@st.composite
def faqs_body(draw, name: str) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        question = draw(st.one_of(free_text, st.just(f"Can I take {name} with alcohol")))
        lines += [f"* **Q: {question}?** A: {draw(sentence)}", ""]
    return lines


@st.composite
def prose_body(draw, name: str) -> list[str]:
    return draw(st.lists(sentence, min_size=1, max_size=3))


BODIES = {
    "usage": usage_body,
    "dosage": dosage_body,
    "side_effects": side_effects_body,
    "mechanism": prose_body,
    "precautions": precautions_body,
    "faqs": faqs_body,
    "storage": prose_body,
    "other": prose_body,
}


@st.composite
def monograph(draw, clinical: bool = True) -> str:
    """A monograph in the corpus format. `clinical`: at least one section that makes resources."""
    name = draw(drug_name)
    front = ["---", "layout: minimal-medicine", f"title: {name}"]
    if draw(st.booleans()):
        front.append(f"date: {draw(st.dates()).isoformat()}")
    lines = [*front, "---", "", f"# {name}", "### Generic Name", name, ""]
    kinds = draw(st.lists(st.sampled_from(sorted(BODIES)), min_size=1, max_size=6, unique=True))
    if clinical and not set(kinds) & {"usage", "dosage", "side_effects", "mechanism", "precautions"}:
        kinds.append("usage")
    for kind in kinds:
        heading = draw(st.sampled_from(HEADINGS[kind]))
        lines += [f"### {heading}", "", *draw(BODIES[kind](name)), ""]
    if draw(st.booleans()):
        lines.append(
            "**Disclaimer:** This information is for general knowledge and does not constitute medical advice."
        )
    return "\n".join(lines) + "\n"


# fragments of the format, glued at random: reaches the parser's edge cases (broken front matter,
# unclosed bold, headings without bodies, bullets in odd places) far more often than plain text
FRAGMENTS = [
    "---\n",
    "title: X\n",
    "title: [\n",
    "date: 2024-13-45\n",
    "a: &a [*a]\n",
    "? [a]\n: 1\n",
    "!!python/object:os.system x\n",
    "\t- x\n",
    "# ",
    "### ",
    "**",
    ":** ",
    "* ",
    "    * ",
    "Q: ",
    "A: ",
    "\n",
    "\n\n",
    "|a|b|\n|-|-|\n",
    "<sup>2</sup>",
    "```\n",
    "1. ",
    "> ",
    *[h for hs in HEADINGS.values() for h in hs],
    *POPULATIONS,
    *ROUTES,
    *UNITS,
    *FREQUENCIES,
    *FREQUENCY_LABELS,
    "(",
    ")",
    " + ",
    "/",
    "-",
    "–",
    "≥",
    "%",
    "0",
    "9" * 40,
]
fragments = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=60).map("".join)
arbitrary_text = st.one_of(
    st.text(),
    fragments,
    fragments.map(lambda t: "---\n" + t),
    st.tuples(fragments, monograph(clinical=False)).map(lambda t: t[1].replace("---\n\n", t[0], 1)),
    st.tuples(monograph(clinical=False), st.integers(0, 10_000), fragments).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
    ),
)
