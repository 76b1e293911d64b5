"""FAQ section → question/answer pairs, in every shape the corpus uses:

* "* **Q: question?** A: answer" (answer in the same bullet, a nested bullet or the next paragraph)
* "**Q: question?**" paragraph + "A: answer" paragraph (softbreak or blank line between)
* "* **Question?** answer" (bold question without "Q:")
* "**Question?**" paragraph followed by answer paragraphs
* "*A: ..." / "**A:** ..." answer variants
Storage questions also fill `storage`; alcohol questions also give an alcohol Interaction.
"""

from __future__ import annotations

import re

from ..model import Faq, Interaction, Monograph, Unmapped
from .blocks import Item
from .document import RawSection

_Q = re.compile(r"^\**\s*Q\s*[:.]\s*", re.I)
_A = re.compile(r"^\**\s*A\s*[:.]\s*", re.I)
_INLINE_A = re.compile(r"(?<=[?.!*)])\s*\**\s*A\s*:\s*", re.I)
_STORAGE = re.compile(r"\bstor(?:e|ed|age|ing)\b", re.I)
_ALCOHOL = re.compile(r"\balcohol\b", re.I)


def parse_faqs(section: RawSection, mono: Monograph) -> None:
    pending: list[list[str]] = []  # [question, answer parts...]
    for unit in _units(section):
        question, answer = _split(unit)
        if question is not None:
            pending.append([question] + ([answer] if answer else []))
        elif pending and (_A.match(unit.text) or not _ends_faq_list(unit.text)):
            pending[-1].append(_A.sub("", unit.text).strip())
        else:
            mono.unmapped.append(Unmapped(section.heading, unit.text))
    for question, *parts in pending:
        _add(Faq(question, " ".join(p for p in parts if p), section.component), mono, section)


def _units(section: RawSection) -> list[Item]:
    """Paragraphs and bullets in reading order; nested bullets follow their parent."""
    out: list[Item] = []
    for block in section.blocks:
        if block.kind == "list":
            for item in block.items:
                out.extend(_flatten(item))
        elif block.item is not None:
            out.append(block.item)
    return out


def _flatten(item: Item) -> list[Item]:
    head = Item(text=item.text, label=item.label, rest=item.rest, colon=item.colon)
    out = [head]
    for child in item.children:
        out.extend(_flatten(child))
    return out


def _split(unit: Item) -> tuple[str | None, str | None]:
    """A unit that asks a question → (question, answer or None); otherwise (None, None)."""
    text = unit.text.strip()
    if _Q.match(text):
        body = _Q.sub("", text)
        if unit.label and _Q.match(unit.label):
            question = _Q.sub("", unit.label).strip()
            answer = _A.sub("", unit.rest.strip()).strip()
            return question, answer or None
        parts = _INLINE_A.split(body, maxsplit=1)
        return parts[0].strip(" *"), (parts[1].strip() if len(parts) > 1 else None)
    if unit.label and unit.label.rstrip().endswith("?"):
        return unit.label.strip(), _A.sub("", unit.rest).strip() or None
    if text.endswith("?") and len(text) < 250 and not _A.match(text):
        return text, None
    return None, None


def _ends_faq_list(text: str) -> bool:
    return bool(re.match(r"^(?:disclaimer|note|remember|important)\b", text.strip(" *"), re.I))


def _add(faq: Faq, mono: Monograph, section: RawSection) -> None:
    mono.faqs.append(faq)
    if _STORAGE.search(faq.question) and faq.answer:
        mono.storage.append(faq.answer)
    if _ALCOHOL.search(faq.question) and faq.answer:
        mono.interactions.append(
            Interaction(
                "alcohol",
                f"{faq.question} {faq.answer}",
                effect=faq.answer,
                kind="alcohol",
                component=section.component,
            )
        )
