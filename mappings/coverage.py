""" "Nothing lost": where every parsed statement of a monograph went.

Each mapping module logs (section, statement, target) as it places a statement; this module adds
what stays only in the DocumentReference (FAQs, the disclaimer, text the parser could not place)
and says, per section, whether it reached structured elements or only the source document.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .context import DOCUMENT_ONLY, Context, CoverageEntry

# Section kind (parser vocabulary) → the coverage sections its statements are logged under.
SECTION_ITEMS = {
    "generic_name": {"generic_name"},
    "usage": {"usage"},
    "dosage": {"dosage"},
    "side_effects": {"side_effects"},
    "mechanism": {"mechanism"},
    "contraindications": {"contraindications"},
    "interactions": {"interactions"},
    "warnings": {"warnings"},
    "precautions": {"contraindications", "interactions", "warnings"},
    "storage": {"storage"},
    "faqs": {"storage"},
}


@dataclass
class Coverage:
    entries: list[CoverageEntry] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)  # section kind → "structured" | "text"
    unmapped: int = 0  # parser `unmapped` pieces (kept in the DocumentReference only)

    @property
    def structured(self) -> int:
        return sum(1 for e in self.entries if e.target != DOCUMENT_ONLY and e.structured)

    @property
    def text_elements(self) -> int:
        return sum(1 for e in self.entries if e.target != DOCUMENT_ONLY and not e.structured)

    @property
    def document_only(self) -> int:
        return sum(1 for e in self.entries if e.target == DOCUMENT_ONLY)

    def by_section(self) -> Counter:
        return Counter(e.section for e in self.entries if e.target != DOCUMENT_ONLY and e.structured)


def complete(ctx: Context, doc_id: str, mk_id: str) -> Coverage:
    m = ctx.monograph
    entries = [
        CoverageEntry("generic_name", ctx.name, f"MedicationKnowledge/{mk_id}.code.text"),
        *ctx.coverage,
    ]
    for faq in m.faqs:
        entries.append(CoverageEntry("faqs", f"Q: {faq.question}", DOCUMENT_ONLY))
    if m.disclaimer:
        entries.append(CoverageEntry("disclaimer", m.disclaimer[:160], DOCUMENT_ONLY))
    for piece in m.unmapped:
        entries.append(
            CoverageEntry(piece.section or "other", " ".join(piece.text.split())[:160], DOCUMENT_ONLY)
        )
    reached = {e.section for e in entries if e.target != DOCUMENT_ONLY and e.structured}
    sections = {}
    for section in m.sections:
        kinds = SECTION_ITEMS.get(section.kind, set())
        status = "structured" if kinds & reached else "text"
        if sections.get(section.kind) != "structured":
            sections[section.kind] = status
    return Coverage(entries=entries, sections=sections, unmapped=len(m.unmapped))
