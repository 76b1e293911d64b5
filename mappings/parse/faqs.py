"""FAQ section → question/answer pairs, in every shape the corpus uses:

* "* **Q: question?** A: answer" (answer in the same bullet, a nested bullet or the next paragraph)
* "**Q: question?**" paragraph + "A: answer" paragraph (softbreak or blank line between)
* "* **Question?** answer" (bold question without "Q:")
* "**Question?**" paragraph followed by answer paragraphs
* "*A: ..." / "**A:** ..." answer variants
Storage questions also fill `storage`; an alcohol question with an answer gives an alcohol warning.
"""

from __future__ import annotations

import re

from ..model import Faq, Interaction, Monograph, Unmapped, Warning
from .blocks import Item
from .document import RawSection
from .precautions import is_advice, topic_of
from .text import hedged, sentences

_Q = re.compile(r"^\**\s*Q\s*[:.]\s*", re.I)
_A = re.compile(r"^\**\s*A\s*[:.]\s*", re.I)
_INLINE_A = re.compile(r"(?<=[?.!*)])\s*\**\s*A\s*:\s*", re.I)
# the answer makes alcohol (or drinking it with the product) the subject of an effect
_ALCOHOL_ACTS = re.compile(
    r"(?:^|[.,;]\s*)(?:no,?\s*)?(?:alcohol|drinking alcohol|combining (?:[\w-]+\s+){0,3}with alcohol|"
    r"this combination)\s+(?:can|may|might|could|will)?\s*(?:greatly\s+|significantly\s+|also\s+|further\s+)?"
    r"(?P<effect>(?:interact|increase|enhance|worsen|intensify|potentiate|add to|lower|raise)\w*\b[^.;]*)",
    re.I,
)
_STORAGE = re.compile(r"\bstor(?:e|ed|age|ing)\b", re.I)
_ALCOHOL = re.compile(r"\balcohol\b", re.I)
# questions about a precaution, not about storage, missed doses or how it works
_PRECAUTION_TOPIC = re.compile(
    r"\b(?:driv\w*|machiner\w*|pregnan\w*|breast-?feed\w*|stop\w*|discontinu\w*|quit\w*|abrupt\w*|sudden\w*|"
    r"long[- ]term|prolonged|extended|habit[- ]forming|addict\w*|dependen\w*|crush\w*|chew\w*|split\w*|"
    r"children|child|kids|elderly|older|liver|kidney|monitor\w*|tests?|blood work|overdose|safe(?:ty)?|"
    r"face|eyes?|sun\w*|feel better|course)\b",
    re.I,
)
# "it has no withdrawal effects", "not habit-forming": an answer that denies the risk
_BENIGN = re.compile(
    r"\b(?:has|have|there (?:is|are)|with|cause[sd]?) no\b[^.,;]*|\bnot (?:\w+ )?(?:habit[- ]forming|addictive)\b",
    re.I,
)
# an answer that states a risk or a precaution
_STATES_RISK = re.compile(
    r"\bnot (?:\w+ )?recommended|\bavoid|\bcaution|\bmonitor|\bshould not\b|\bdo not\b|\bdon't\b|\bnever\b|"
    r"\bmust\b|\brisk\b|\bwithdrawal\b|\brebound\b|\bdependence\b|\btolerance\b|\bharmful\b|\bdangerous\b|"
    r"\bunsafe\b|\btaper|\bgradually\b|\bcomplete the\b|\bwhole\b|\bonly\b|\bcan (?:lead|cause|result)\b",
    re.I,
)


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
    if _ALCOHOL.search(faq.question) and faq.answer:  # advice about drinking, not a named interactant
        mono.warnings.append(
            Warning("alcohol", faq.question, faq.answer, f"{faq.question} {faq.answer}", section.component)
        )
        if effect := _ALCOHOL_ACTS.search(faq.answer):  # "Alcohol can increase drowsiness": it interacts
            mono.interactions.append(
                Interaction(
                    "alcohol",
                    f"{faq.question} {faq.answer}",
                    effect.group("effect").strip(" ."),
                    "alcohol",
                    section.component,
                )
            )
    elif (
        faq.answer
        and _PRECAUTION_TOPIC.search(faq.question)
        and _STATES_RISK.search(_BENIGN.sub("", faq.answer))
        and not hedged(faq.answer)
        and not re.search(
            r"\b(?:various|several|many|a range of) (?:potential |possible )?effects\b", faq.answer, re.I
        )
        and not all(is_advice(s) for s in sentences(faq.answer))
    ):
        # "Can I stop taking it abruptly? No, ... withdrawal symptoms" states a precaution
        mono.warnings.append(
            Warning(
                topic_of(f"{faq.question} {faq.answer}"),
                faq.question,
                faq.answer,
                f"{faq.question} {faq.answer}",
                section.component,
            )
        )
