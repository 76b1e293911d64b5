"""Monograph Markdown → intermediate `Monograph` model.

    parse_file(path) -> Monograph
    parse_text(text, source_path) -> Monograph

document.py splits the file into sections; one module per section kind fills the model;
whatever no parser places goes to `unmapped` with its section, so nothing is dropped.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..model import Monograph, Unmapped
from . import content
from .document import RawSection, read, split_components
from .dosing import parse_dosage
from .faqs import parse_faqs
from .precautions import parse_precautions, statements_in_notes
from .side_effects import parse_side_effects
from .text import normalise_for_match
from .usage import parse_usage

__all__ = ["parse_file", "parse_text"]


def parse_file(path: str | Path) -> Monograph:
    data = Path(path).read_bytes()
    return _parse(data.decode("utf-8"), str(path), hashlib.sha256(data).hexdigest())


def parse_text(text: str, source_path: str) -> Monograph:
    return _parse(text, source_path, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _parse(text: str, source_path: str, sha256: str) -> Monograph:
    doc = read(text, source_path)
    mono = Monograph(
        source_path=source_path,
        sha256=sha256,
        title=doc.title,
        generic_name=" + ".join(doc.components) or doc.title,
        components=doc.components,
        front_matter=doc.front_matter,
        sections=doc.model_sections(),
    )
    mono.unmapped.extend(Unmapped("(front matter)", problem) for problem in doc.problems)
    _generic_name(doc, mono)
    preamble: list[str] = []
    for section in doc.sections:
        handler = _HANDLERS.get(section.kind, _other)
        handler(section, mono)
        if section.kind == "preamble":
            preamble.extend(b.text for b in section.blocks)
    _precautions_in_dosing_notes(mono)
    if not content.has_clinical_fields(mono):
        mono.has_clinical_content = False
        mono.no_content_reason = content.no_content_reason(mono, " ".join(preamble))
    return mono


def _precautions_in_dosing_notes(mono: Monograph) -> None:
    """The dosing prose states precautions too ("Children should not take X"): those not stated elsewhere."""
    contraindications, warnings = statements_in_notes(mono)
    stated = {c.text.lower() for c in mono.contraindications}
    mono.contraindications.extend(c for c in contraindications if c.text.lower() not in stated)
    stated = {w.text.lower() for w in mono.warnings}
    mono.warnings.extend(w for w in warnings if w.text.lower() not in stated)


def _texts(section: RawSection) -> list[str]:
    return [b.text for b in section.blocks if b.text]


def _generic_name(doc, mono: Monograph) -> None:
    """A single-ingredient file's "Generic Name" section is the best name; titles may be damaged."""
    if len(doc.components) > 1:
        return
    for section in doc.sections:
        if section.kind == "generic_name":
            name = section.name or next(iter(_texts(section)), "")
            if name and len(name) <= 80 and "." not in name.rstrip("."):
                mono.generic_name = name.strip().rstrip(".")
                if not mono.components:
                    mono.components = [mono.generic_name]
            return


def _generic(section: RawSection, mono: Monograph) -> None:
    if section.name and section.component is None:
        _repair_components(section.name, mono)
    known = normalise_for_match(" ".join([mono.title, mono.generic_name, *mono.components, section.heading]))
    texts = _texts(section)
    if section.name and normalise_for_match(section.name) not in known:
        texts.insert(0, section.name)  # "Generic Name: Disodium Edetate (also known as EDTA)"
    for text in texts:
        if normalise_for_match(text) not in known or len(text) > 80:
            _other_text(section, text, mono)


def _repair_components(name: str, mono: Monograph) -> None:
    """A truncated title ("Omega- + Calcium ...") is repaired from the full "Generic Name:" line
    ("Omega-3 Fatty Acids + Calcium ..."), component by component, only where one extends the other."""
    named = split_components(name)
    if len(named) != len(mono.components) or len(named) < 2:
        return
    repaired = [
        new if new.lower().startswith(old.lower()) and len(new) > len(old) else old
        for old, new in zip(mono.components, named, strict=True)
    ]
    if repaired != mono.components:
        mono.components = repaired
        mono.generic_name = " + ".join(repaired)


def _mechanism(section: RawSection, mono: Monograph) -> None:
    lines = [i.text for b in section.blocks for i in (b.items or [b.item]) if i is not None and i.text]
    text = "\n".join(lines)
    if text:
        mono.mechanism = f"{mono.mechanism}\n\n{text}" if mono.mechanism else text


def _storage(section: RawSection, mono: Monograph) -> None:
    mono.storage.extend(_texts(section))


def _disclaimer(section: RawSection, mono: Monograph) -> None:
    for text in _texts(section):
        _add_disclaimer(mono, text)


def _add_disclaimer(mono: Monograph, text: str) -> None:
    mono.disclaimer = f"{mono.disclaimer}\n\n{text}" if mono.disclaimer else text


def _other(section: RawSection, mono: Monograph) -> None:
    for text in _texts(section):
        _other_text(section, text, mono)


def _other_text(section: RawSection, text: str, mono: Monograph) -> None:
    if content.looks_like_disclaimer(text):
        _add_disclaimer(mono, text)
    else:
        mono.unmapped.append(Unmapped(section.heading, text))


_HANDLERS = {
    "generic_name": _generic,
    "component": _generic,
    "usage": parse_usage,
    "dosage": parse_dosage,
    "side_effects": parse_side_effects,
    "mechanism": _mechanism,
    "precautions": parse_precautions,
    "contraindications": parse_precautions,
    "interactions": parse_precautions,
    "warnings": parse_precautions,
    "faqs": parse_faqs,
    "storage": _storage,
    "disclaimer": _disclaimer,
    "preamble": _other,
    "other": _other,
}
