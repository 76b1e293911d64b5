"""Usage section → indications (one per condition) and the usage prose."""

from __future__ import annotations

import re

from ..model import Indication, Monograph
from .blocks import Item
from .document import RawSection
from .lists import examples_in, items_with_context, phrase_list

_TREATS = re.compile(
    r"(?:\b(?:used|indicated|prescribed|approved)\s+(?:\w+ly\s+)?(?:to treat|to manage|to prevent|to relieve|"
    r"to control|for(?: the)? (?:short-term )?(?:treatment|management|relief|prevention|control) of|"
    r"in the (?:treatment|management|prevention) of)|\b(?:treats|relieves|prevents))\s+(?P<what>[^.;]+)",
    re.I,
)


def parse_usage(section: RawSection, mono: Monograph) -> None:
    prose: list[str] = []
    found: list[Indication] = []
    for context, item, is_bullet in items_with_context(section.blocks):
        if not is_bullet and item.label and item.colon and not item.rest:
            prose.append(item.text)  # a standalone group label; its bullets carry it as group
            continue
        if is_bullet or (item.label and item.colon):
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
    out = []
    for m in _TREATS.finditer(text):
        what = m.group("what")
        for condition in examples_in(what) or phrase_list(what, max_words=12):
            out.append(Indication(condition, text, component=component))
    return out
