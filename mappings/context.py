"""What every mapping module needs while converting one monograph: the monograph, its ids,
the hub references, and a coverage log that says where each parsed statement went."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .ids import IdFactory, digest, make_id, slugify
from .model import Monograph

DOCUMENT_ONLY = "DocumentReference only"


@dataclass(frozen=True)
class CoverageEntry:
    section: str  # the monograph section kind the statement came from
    statement: str  # the statement (or its first words)
    target: str  # "Type/id.element.path" or DOCUMENT_ONLY
    structured: bool = True  # False: placed as prose in a text element (Dosage.text, MPD.description)


@dataclass
class Context:
    monograph: Monograph
    slug: str
    ids: IdFactory
    coverage: list[CoverageEntry] = field(default_factory=list)

    @classmethod
    def for_monograph(cls, monograph: Monograph) -> Context:
        slug = monograph_slug(monograph)
        return cls(monograph=monograph, slug=slug, ids=IdFactory(slug))

    @property
    def name(self) -> str:
        return self.monograph.generic_name or self.monograph.title

    def single_id(self, kind: str) -> str:
        return make_id(self.slug, kind)

    def ref(self, resource_type: str, kind: str) -> dict:
        return {"reference": f"{resource_type}/{self.single_id(kind)}"}

    def cover(self, section: str, statement: str, target: str, structured: bool = True) -> None:
        self.coverage.append(CoverageEntry(section, _short(statement), target, structured))


def monograph_slug(monograph: Monograph) -> str:
    """The file stem (unique within a folder), else the generic name. A stem that slugifying
    changes gets a short hash of itself, so 'x-t.md' and 'x-t-.md' stay distinct."""
    stem = Path(monograph.source_path).stem if monograph.source_path else ""
    slug = slugify(stem or monograph.generic_name or monograph.title)
    return slug if not stem or slug == stem else f"{slug}-{digest(stem)[:6]}"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
