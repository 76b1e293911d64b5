"""Usage section → indications (one per condition) and the usage prose."""

from __future__ import annotations

import re

from ..model import Indication, Monograph
from .blocks import Item
from .document import RawSection
from .lists import examples_in, items_with_context, phrase_list
from .sections import component_label
from .text import sentences

_TREATS = re.compile(
    r"\b(?:to treat|treats|treating|treatment of|to manage|managing|management of|to prevent|prevents|"
    r"preventing|prevention of|to relieve|relieves|relief of|to control|control of|immunize against|"
    r"protect against|protection against)\s+(?P<what>[^.;]+)",
    re.I,
)
_INCLUDES = re.compile(r"^(?:this|these|it|its uses?|uses)\s+(?:also\s+)?(?:includes?|covers?)\b", re.I)
_CLAUSE_END = re.compile(
    r"\s(?:characteri[sz]ed|caused|associated|resulting|that|which|who|where|when|because|due to|by|"
    r"in (?:adults|children|patients|people|individuals))\b",
    re.I,
)
_WHO = re.compile(
    r"^(?:adults?|patients?|children|older|younger|aged|people|individuals|pediatric|those|not)\b", re.I
)
_PRONOUNS = {
    "symptoms",
    "conditions",
    "it",
    "its",
    "them",
    "this",
    "these",
    "those",
    "they",
    "others",
    "other conditions",
}
_APPOSITIVE = re.compile(r"^(?:a|an|the|which|that|this|its)\s", re.I)


def parse_usage(section: RawSection, mono: Monograph) -> None:
    prose: list[str] = []
    found: list[Indication] = []
    for context, item, is_bullet in items_with_context(section.blocks):
        if not is_bullet and item.label and item.colon and not item.rest:
            prose.append(item.text)  # a standalone group label; its bullets carry it as group
            continue
        named = component_label(item.label, mono.components) if item.label else None
        if named:  # "**Guaifenesin:** An expectorant used to treat ..." is that ingredient's use
            prose.append(item.text)
            found.extend(_from_prose(item.rest, named))
        elif is_bullet or (item.label and item.colon):
            found.extend(_indications_of(item, context, section.component))
        else:
            prose.append(item.text)
    if not found:
        for sentence_text in prose:
            found.extend(_from_prose(sentence_text, section.component))
    mono.indications.extend(found)
    if prose:
        text = "\n\n".join(prose)
        mono.usage_text = f"{mono.usage_text}\n\n{text}" if mono.usage_text else text


def _indications_of(item: Item, context: str | None, component: str | None) -> list[Indication]:
    source = item.text
    if item.label:
        named = examples_in(item.rest) if item.rest else []
        conditions = named or [item.label]
        return [Indication(c, source, group=item.label, component=component) for c in conditions]
    condition = re.split(r"\s+[-–:]\s+", item.text, maxsplit=1)[0].rstrip(".")
    return [Indication(condition, source, group=context, component=component)]


def _from_prose(text: str, component: str | None) -> list[Indication]:
    """ "used to treat A, B and C" / "This includes conditions such as A and B" → one per condition."""
    out = []
    for sentence in sentences(text):
        if _INCLUDES.match(sentence):
            found = examples_in(sentence)
        else:
            m = _TREATS.search(sentence)
            what = _CLAUSE_END.split(m.group("what"))[0] if m else ""
            found = (examples_in(what, keep_head=True) or phrase_list(what, max_words=12)) if what else []
        for condition in found:
            if _APPOSITIVE.match(condition) or _WHO.match(condition) or condition.lower() in _PRONOUNS:
                continue
            if condition.lower() not in {o.condition.lower() for o in out}:
                out.append(Indication(condition, sentence, component=component))
    return out
