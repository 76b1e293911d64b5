"""Per-section coverage over many parsed monographs: which sections were found, and whether
each was parsed into structured fields or kept only as text (notes, prose, unmapped)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..model import Monograph
from .sections import KIND_ALIASES

# section kind → does this monograph have structured output for it?
STRUCTURED = {
    "generic_name": lambda m: bool(m.components),
    "usage": lambda m: bool(m.indications),
    "dosage": lambda m: bool(m.dosage_regimens),
    "side_effects": lambda m: bool(m.side_effects),
    "mechanism": lambda m: bool(m.mechanism),
    "precautions": lambda m: bool(m.contraindications or m.warnings or _drug_interactions(m)),
    "contraindications": lambda m: bool(m.contraindications),
    "interactions": lambda m: bool(_drug_interactions(m)),
    "warnings": lambda m: bool(m.warnings),
    "faqs": lambda m: bool(m.faqs),
    "storage": lambda m: bool(m.storage),
    "disclaimer": lambda m: bool(m.disclaimer),
}
# table rows in the order sections appear in a monograph, then the kinds with no heading of their own
ORDER = [*KIND_ALIASES, "preamble", "other"]


def _drug_interactions(m: Monograph) -> list:
    return [i for i in m.interactions if i.kind != "alcohol"]


@dataclass
class Coverage:
    files: int = 0
    no_content: int = 0
    with_section: Counter = field(default_factory=Counter)
    structured: Counter = field(default_factory=Counter)
    items: Counter = field(default_factory=Counter)  # structured items by field
    unmapped_items: int = 0
    files_with_unmapped: int = 0

    def add(self, mono: Monograph) -> None:
        self.files += 1
        self.no_content += not mono.has_clinical_content
        for kind in {s.kind for s in mono.sections if s.text.strip() or s.kind == "generic_name"}:
            self.with_section[kind] += 1
            if kind in STRUCTURED and STRUCTURED[kind](mono):
                self.structured[kind] += 1
        for name in (
            "indications",
            "dosage_regimens",
            "dosage_notes",
            "side_effects",
            "contraindications",
            "interactions",
            "warnings",
            "faqs",
            "storage",
        ):
            self.items[name] += len(getattr(mono, name))
        self.unmapped_items += len(mono.unmapped)
        self.files_with_unmapped += bool(mono.unmapped)

    def rows(self) -> list[tuple[str, int, int, int]]:
        """(section kind, files with it, parsed into structured fields, text only)."""
        kinds = [k for k in ORDER if self.with_section[k]] + sorted(set(self.with_section) - set(ORDER))
        return [
            (k, self.with_section[k], self.structured[k], self.with_section[k] - self.structured[k])
            for k in kinds
        ]

    def table(self) -> str:
        lines = [f"{'section':<18} {'files':>6} {'structured':>11} {'text only':>10}"]
        lines += [f"{k:<18} {n:>6} {s:>11} {t:>10}" for k, n, s, t in self.rows()]
        lines.append("")
        lines.append(
            f"files: {self.files}; without clinical content: {self.no_content}; "
            f"unmapped items: {self.unmapped_items} in {self.files_with_unmapped} files"
        )
        lines.append("items: " + ", ".join(f"{k} {v}" for k, v in self.items.items()))
        return "\n".join(lines)
