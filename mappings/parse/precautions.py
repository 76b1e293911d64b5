"""Precautions (and Contraindications / Interactions / Warnings sections) → statements.

A bullet's bold label says what it is: "**Contraindications:**" → one Statement per condition,
"**Interactions:**" → one Interaction per interactant with its effect, anything else → a
Warning whose topic comes from the label (pregnancy, hepatic/renal, epilepsy, driving, ...).
Unlabelled prose is split into sentences and each is classified the same way.
"""

from __future__ import annotations

import re

from ..model import Interaction, Monograph, Statement, Warning
from .document import RawSection
from .lists import items_with_context, phrase_list
from .text import sentences, split_top_level, strip_parenthetical

TOPICS: list[tuple[str, re.Pattern]] = [
    (
        "pregnancy-breastfeeding",
        re.compile(r"pregnan.*(?:breast|lactat|nursing)|(?:breast|lactat|nursing).*pregnan", re.I),
    ),
    ("pregnancy", re.compile(r"pregnan|fetal|foetal|teratogen", re.I)),
    ("breastfeeding", re.compile(r"breast[- ]?feed|lactat|nursing mothers|breast milk", re.I)),
    (
        "hepatic-renal",
        re.compile(r"(?:hepatic|liver).*(?:renal|kidney)|(?:renal|kidney).*(?:hepatic|liver)", re.I),
    ),
    ("hepatic", re.compile(r"hepatic|liver", re.I)),
    ("renal", re.compile(r"renal|kidney", re.I)),
    ("epilepsy", re.compile(r"epilep|seizure|convuls", re.I)),
    ("driving", re.compile(r"driv|machiner|operat\w* (?:heavy )?machine", re.I)),
    ("alcohol", re.compile(r"alcohol", re.I)),
    ("children", re.compile(r"child|pediatric|paediatric|infant|adolescen", re.I)),
    ("elderly", re.compile(r"elderly|geriatric|older (?:adults|patients)", re.I)),
]
_CONTRA_LABEL = re.compile(r"contraindicat|do not (?:use|take)|should not (?:be used|take)", re.I)
_INTERACT_LABEL = re.compile(r"interact", re.I)
_CONTRA_SENTENCE = re.compile(
    r"contraindicated|should not be (?:used|taken|given)|must not be (?:used|taken)|do not (?:use|take)", re.I
)
_INTERACT_SENTENCE = re.compile(
    r"\binteract|concomitant|concurrent|co-?administ|combined with|taken with", re.I
)
_CONDITION_AFTER = re.compile(
    r"(?:contraindicated|should not be (?:used|taken|given)|must not be (?:used|taken)|do not (?:use|take)\s+\w+)"
    r"(?:\s+(?:in|by|for|to))?\s+(?:(?:patients|individuals|people|persons|those|anyone|women|children)\s+)?"
    r"(?:(?:with|who (?:have|are|has)|having|known to have|suffering from)\s+)?(?P<what>.+)",
    re.I,
)
_LEADING_WHO = re.compile(
    r"^(?:(?:patients|individuals|people|persons|those|anyone)\s+)?(?:with|who (?:have|are|has)|having|a (?:known )?history of)\s+",
    re.I,
)
_INTERACTANTS = re.compile(
    r"(?:interact(?:s|ions?)?(?:\s+\w+)?\s+with|(?:concomitant|concurrent|combined)\s+(?:use|administration|therapy|treatment)?\s*(?:of\s+\w+\s+)?with|"
    r"co-?administ\w*\s+with|taken\s+with|use\s+with)\s+(?P<what>.+)",
    re.I,
)
_EFFECT_SPLIT = re.compile(
    r",?\s+(?=(?:potentially|possibly|which|leading|resulting|increasing|decreasing|reducing|causing|as (?:this|it|they)|"
    r"because|due to|and (?:may|can|could)|may|can|could|might|is|are|should|must)\b)|[;:]\s+|,\s+(?=\w+ing\b)",
    re.I,
)
_NOISE = re.compile(r"^(?:other|certain|some|many|various|several|any|all)\s+(?=\w+\s)", re.I)


def topic_of(text: str) -> str:
    for topic, pattern in TOPICS:
        if pattern.search(text):
            return topic
    return "other"


def parse_precautions(section: RawSection, mono: Monograph) -> None:
    default = {"contraindications": "contraindication", "interactions": "interaction"}.get(section.kind)
    for context, item, is_bullet in items_with_context(section.blocks, intro_context=True):
        if item.label and item.colon and not item.rest:
            if item.children or _role(item.label, None) or _followed_by_list(section, item):
                continue  # a group label; the bullets under it carry it as context
        if not is_bullet and item.text == context and _followed_by_list(section, item):
            continue  # "X is contraindicated in patients with:" leads the bullets that follow
        label = item.label
        body = item.rest if label else item.text
        # a bullet under a lead-in keeps it, so the statement reads whole
        source = f"{context} {item.text}" if is_bullet and context and context.endswith(":") else item.text
        role = _role(label, context) or default
        if role == "contraindication":
            _contraindications(body, source, label, section, mono, listed=is_bullet and not label)
        elif role == "interaction":
            _interactions(body, source, label, section, mono)
        elif label or (is_bullet and context):
            _warning(label or context.rstrip(":"), body, source, section, mono)
        else:
            for sentence in sentences(body):
                _sentence(sentence, section, mono)


def _followed_by_list(section: RawSection, item) -> bool:
    blocks = section.blocks
    for i, block in enumerate(blocks[:-1]):
        if block.item is item:
            return blocks[i + 1].kind == "list"
    return False


def _role(label: str | None, context: str | None) -> str | None:
    for text in (label, context):
        if text and _CONTRA_LABEL.search(text):
            return "contraindication"
        if text and _INTERACT_LABEL.search(text):
            return "interaction"
    return None


def _sentence(sentence: str, section: RawSection, mono: Monograph) -> None:
    if _CONTRA_SENTENCE.search(sentence) and conditions_in(sentence):
        _contraindications(sentence, sentence, None, section, mono)
    elif _INTERACT_SENTENCE.search(sentence) and _INTERACTANTS.search(sentence):
        _interactions(sentence, sentence, None, section, mono)
    else:
        _warning(None, sentence, sentence, section, mono)


def _warning(label: str | None, body: str, source: str, section: RawSection, mono: Monograph) -> None:
    topic = topic_of(label) if label else topic_of(body)
    if label and topic == "other":
        topic = topic_of(body) if topic_of(body) in ("alcohol", "driving") else "other"
    mono.warnings.append(Warning(topic, label or "", body, source, section.component))
    if topic == "alcohol":
        mono.interactions.append(
            Interaction("alcohol", source, effect=body, kind="alcohol", component=section.component)
        )


def conditions_in(text: str) -> list[str]:
    m = _CONDITION_AFTER.search(text)
    what = m.group("what") if m else text
    what = re.split(r"\.\s|\.$|;\s|, (?:as|because|since|which|due to)\b", what)[0]
    out = []
    for piece in split_top_level(
        what, r",|;|\bor\b|\band/or\b|\band\b(?=\s+(?:those|patients|individuals|people|in|with)\b)"
    ):
        piece = _LEADING_WHO.sub("", piece.strip())
        piece = strip_parenthetical(piece)
        if piece and len(piece.split()) <= 14:
            out.append(piece)
    return out


def _contraindications(
    body: str, source: str, label: str | None, section: RawSection, mono: Monograph, listed: bool = False
) -> None:
    if listed:  # a bullet under "contraindicated in patients with:" names the condition itself
        mono.contraindications.append(Statement(body.rstrip("."), source, section.component))
        return
    found = []
    for sentence in sentences(body):
        if _CONTRA_SENTENCE.search(sentence) or label:
            found.extend(
                conditions_in(sentence) if _CONTRA_SENTENCE.search(sentence) else _plain_list(sentence)
            )
    if not found:
        found = [body.rstrip(".")]
    for condition in found:
        mono.contraindications.append(Statement(condition, source, section.component))


def _plain_list(sentence: str) -> list[str]:
    return phrase_list(sentence, max_words=14) or [sentence.rstrip(".")]


def interactants_in(text: str) -> tuple[list[str], str | None]:
    m = _INTERACTANTS.search(text)
    if not m:
        return [], None
    what = m.group("what")
    split = _EFFECT_SPLIT.search(what)
    names_text, effect = (what[: split.start()], what[split.end() :]) if split else (what, None)
    names_text = re.split(r"\.\s|\.$", names_text)[0]
    names = [
        _NOISE.sub("", n).strip() if n.lower().startswith(("certain ", "some ", "many ", "various ")) else n
        for n in phrase_list(names_text, max_words=10)
    ]
    if effect:
        effect = re.split(r"\.\s|\.$", effect)[0].strip(" ,.") or None
    return names, effect


def _interactions(body: str, source: str, label: str | None, section: RawSection, mono: Monograph) -> None:
    placed = False
    for sentence in sentences(body):
        names, effect = interactants_in(sentence)
        for name in names:
            kind = (
                "alcohol"
                if re.search(r"\balcohol\b", name, re.I)
                else "food"
                if re.search(r"grapefruit|food|juice|dairy|milk", name, re.I)
                else "drug"
            )
            mono.interactions.append(Interaction(name, source, effect, kind, section.component))
            placed = True
    if not placed:
        mono.warnings.append(
            Warning("interactions", label or "Interactions", body, source, section.component)
        )
