"""Precautions (and Contraindications / Interactions / Warnings sections) → statements.

Every sentence is read for what it states, whatever the bullet's bold label says: "contraindicated",
"do not use", "should not be used/given", "must not" make contraindications (the conditions, without
the lead-in); "use with caution", "monitor", "avoid if possible", "not recommended" make warnings; a
sentence about other drugs makes one Interaction per named drug, class or food, never for placeholders
("other medications") or the product's own ingredients. Advice that names nothing ("inform your
doctor about all medications") and disclaimers are no statement at all. A label still gives the
default: the items of a "**Contraindications:**" list are contraindications, a warning's topic comes
from its label (pregnancy, hepatic/renal, epilepsy, driving, ...).
"""

from __future__ import annotations

import re

from ..model import Monograph, Statement, Unmapped, Warning
from .conditions import conditions, lead_list
from .content import looks_like_disclaimer
from .document import RawSection
from .interactants import INTERACT_SENTENCE, INTERACTANTS, interactants, names_in, to_interactions
from .lists import items_with_context
from .modality import (
    MUST_NOT,
    PRECAUTION,
    SOFTENED,
    USE_SUBJECT,
    WARNING_MODALITY,
    WHO_SUBJECT,
    Product,
    after_modal,
    by_topic,
    is_advice,
    is_self,
    looks_like_drug,
    strip_subject,
    topic_of,
)
from .text import hedged, hypothetical, sentences

__all__ = ["add_advice", "is_advice", "parse_precautions", "statements_in_notes", "topic_of"]

_CONTRA_LABEL = re.compile(
    r"contraindicat|do not (?:use|take)|should not (?:be used|take)|who should not", re.I
)
_INTERACT_LABEL = re.compile(r"interact|other (?:medications|drugs|medicines)|concomitant|combin", re.I)


def statements_in_notes(mono: Monograph) -> tuple[list[Statement], list[Warning]]:
    """The contraindications and warnings that dosing prose states ("Children should not take X", "Avoid
    use in severe renal impairment"); the notes themselves stay in the Dosage text."""
    scratch = Monograph(mono.source_path, mono.sha256, mono.title, mono.generic_name, list(mono.components))
    reader = _Reader(RawSection("Dosage", "dosage", None), scratch, strict=True)
    for note in mono.dosage_notes:
        label, body = note.split(": ", 1) if re.match(r"^[^.:]{2,60}: ", note) else (None, note)
        kept = [s for s in sentences(body) if _note_precaution(s)]
        if kept:
            reader.unit(
                " ".join(kept), note, label if label and topic_of(label) != "other" else None, None, None
            )
    return scratch.contraindications, scratch.warnings


def _note_precaution(sentence: str) -> bool:
    """A sentence of dosing prose that states a precaution, not a dose, a purpose or a disclaimer."""
    if not PRECAUTION.search(sentence) or looks_like_disclaimer(sentence) or is_advice(sentence):
        return False
    if re.search(
        r"\b(?:informational|illustrative|general understanding|self-?medicat\w*|self-?administ\w*|"
        r"substitute|prescribing physician|tailored|individuali[sz]ed)\b",
        sentence,
        re.I,
    ):
        return False
    if re.search(r"\bto (?:avoid|prevent|minimi[sz]e)\b", sentence, re.I) and not MUST_NOT.search(sentence):
        return False  # "limited to avoid side effects": a purpose
    if re.search(r"\d\s*(?:mg|mcg|µg|g|units|IU|mL)\b(?!/min)", sentence, re.I):
        return False  # a dose, left to the Dosage
    return (
        not re.search(r"\b(?:dos(?:e|age|ing)|regimens?|frequency)\b", sentence, re.I)
        or topic_of(sentence) != "other"
    )


def add_advice(mono: Monograph, text: str) -> None:
    """Advice that names nothing ("consult your doctor if ...") is kept with the disclaimer text, which
    only the DocumentReference carries."""
    mono.disclaimer = f"{mono.disclaimer}\n\n{text}" if mono.disclaimer else text


def parse_precautions(section: RawSection, mono: Monograph) -> None:
    default = {"contraindications": "contraindication", "interactions": "interaction"}.get(section.kind)
    reader = _Reader(section, mono)
    for context, item, is_bullet in items_with_context(section.blocks, intro_context=True):
        if item.label and item.colon and not item.rest:
            if item.children or _role(item.label, None) or _followed_by_list(section, item):
                continue  # a group label; the bullets under it carry it as context
        if not is_bullet and item.text == context and _followed_by_list(section, item):
            continue  # "X is contraindicated in patients with:" leads the bullets that follow
        label = item.label
        body = item.rest if label else item.text
        # a bullet under a lead-in keeps it, so the statement reads whole
        lead = context if is_bullet and context and context.endswith(":") else None
        source = f"{lead} {item.text}" if lead else item.text
        role = _role(label, lead or context) or default
        reader.unit(
            body, source, label or (context.rstrip(":") if is_bullet and context else None), role, lead
        )


def _followed_by_list(section: RawSection, item) -> bool:
    blocks = section.blocks
    for i, block in enumerate(blocks[:-1]):
        if block.item is item:
            return blocks[i + 1].kind == "list"
    return False


def _role(label: str | None, context: str | None) -> str | None:
    for text in (label, context):
        if text and _CONTRA_LABEL.search(text) and not re.search(r"\bcaution", text, re.I):
            return "contraindication"
        if text and _INTERACT_LABEL.search(text):
            return "interaction"
    return None


# what a patient may be "receiving" that is no drug
_NOT_TAKEN = re.compile(
    r"\b(?:dialysis|diet|surgery|radiation|radiotherapy|transfusions?|an(?:a)?esthesia|puncture|procedures?|"
    r"ventilation|oxygen|chemotherapy|transplant\w*|care|pregnan\w*|breast-?feeding)\b|^(?:therapy|treatment)$",
    re.I,
)


_PEOPLE = re.compile(r"\b(?:individuals|patients|people|persons|those|who|women|men|children)\b", re.I)
# "medications that affect blood clotting": a class told by what its drugs do
_RELATIVE_CLASS = re.compile(
    r"^(?:(?:other|certain|some)\s+)?(?:medications|drugs|medicines|agents|those)\s+(?:that|which|\w+ing)\b",
    re.I,
)


def _glossed(name: str) -> str:
    """ "certain drugs that interact strongly with its metabolism (CYP3A substrates)" → "CYP3A substrates"."""
    gloss = re.search(r"\(([^()]+)\)$", name)
    return gloss.group(1) if gloss and _RELATIVE_CLASS.match(name) else name


class _Reader:
    """Turns one bullet or paragraph into contraindications, interactions and one warning."""

    def __init__(self, section: RawSection, mono: Monograph, strict: bool = False):
        self.section = section
        self.mono = mono
        self.strict = strict  # prose of another section: only sentences that state a precaution
        self.component = section.component
        self.product = Product.of(
            [mono.title, mono.generic_name, *mono.components],
            section.component or mono.generic_name or mono.title,
        )

    def unit(self, body: str, source: str, label: str | None, role: str | None, lead: str | None) -> None:
        # what would have been is no fact: "precautions would have included:", "X would have been contraindicated"
        if lead and role == "contraindication" and hypothetical(body):
            body = " ".join(s for s in sentences(body) if not hypothetical(s))
        if hypothetical(lead or "") or (lead and not body):
            self.mono.unmapped.append(Unmapped(self.section.heading, source))
            return
        if lead and role == "contraindication" and not MUST_NOT.search(body):
            # a bullet under "contraindicated in patients with:" names the condition itself
            self._contraindications(lead_list(body), source)
            return
        warned: list[str] = []
        placed = False
        for sentence in sentences(body):
            kind = self._kind(sentence, role, label)
            if kind == "contraindication":
                found = conditions(sentence, self.product, listed=role == "contraindication")
                if found:
                    self._contraindications(found, source)
                    placed = True
                else:
                    warned.append(sentence)
            elif kind == "interaction":
                names, effect = interactants(sentence, self.product, listed=role == "interaction")
                if names:
                    self._interactions(names, effect, source)
                    placed = True
                # "X may interact with other medications" names no interactant: no statement
            elif kind == "warning" and (not self.strict or PRECAUTION.search(sentence)):
                warned.append(sentence)
            if kind != "interaction" and not self.strict and (names := self._taken_with(sentence)):
                self._interactions(names, None, source)
                placed = True
        if self.strict:
            warned = [s for s in warned if PRECAUTION.search(s)]
        for text in by_topic(warned) if not label else ([" ".join(warned)] if warned else []):
            topic = topic_of(label) if label else topic_of(text)
            if label and topic == "other":
                topic = topic_of(text) if topic_of(text) in ("alcohol", "driving") else "other"
            self.mono.warnings.append(Warning(topic, label or "", text, source, self.component))
        if not warned and not placed and not self.strict:
            if all(is_advice(s) for s in sentences(body)):
                add_advice(self.mono, source)
            else:
                self.mono.unmapped.append(Unmapped(self.section.heading, source))

    def _kind(self, sentence: str, role: str | None, label: str | None) -> str | None:
        if is_advice(sentence) or hypothetical(sentence):
            return None
        about_drugs = role == "interaction" or (
            INTERACT_SENTENCE.search(sentence) and self._names_other_drug(sentence)
        )
        must_not = MUST_NOT.search(sentence)
        if must_not and re.search(
            r"\bno\s+(?:\w+\s+)?contraindications?\b|\bnot\s+contraindicated\b", sentence, re.I
        ):
            must_not = None  # "no specific contraindications are listed"
        if must_not and not hedged(sentence) and not SOFTENED.search(after_modal(sentence)):
            subject = strip_subject(sentence[: must_not.start()])
            if INTERACT_SENTENCE.search(sentence) and self._names_other_drug(sentence):
                return "interaction"
            if (
                subject
                and not is_self(subject, self.product.own)
                and not WHO_SUBJECT.match(subject)
                and not USE_SUBJECT.search(subject)
                and not re.search(r"\b(?:a|an)\s+contraindication", sentence, re.I)
            ):  # "Live vaccines should be avoided": another drug is the subject
                return "interaction" if role == "interaction" or looks_like_drug(subject) else "warning"
            if re.search(r"avoid", must_not.group(0), re.I) and not re.search(
                r"allerg|hypersensitiv|sensitiv", sentence, re.I
            ):
                # "should be avoided" is a contraindication for an allergy; for a situation ("during
                # breastfeeding", "in patients over 70") it is a precaution
                return "warning"
            return "contraindication"
        if must_not or WARNING_MODALITY.search(sentence) or hedged(sentence):
            return "interaction" if about_drugs else "warning"
        if about_drugs:
            return "interaction"
        if INTERACTANTS.search(sentence) and re.search(r"\binteract", sentence, re.I):
            return None  # "X can interact with various medications" names nothing
        return "contraindication" if role == "contraindication" else "warning"

    def _taken_with(self, sentence: str) -> list[str]:
        """The drugs a precaution names as taken with this one: "contraindicated in those receiving systemic
        steroids, clonidine or H2 blockers", "caution in those taking anticoagulants", "Live vaccines should
        generally be avoided during therapy", "Avoid alcohol and other CNS depressants while using it"."""
        people = re.search(
            r"\b(?P<who>those|patients|individuals|people|persons|anyone|you)\s+(?:who\s+)?(?:are\s+)?"
            r"(?:currently\s+|concurrently\s+|also\s+)?(?:taking|receiving|using|treated with)\s+(?P<what>.+?)"
            r"(?=(?:,\s+(?:or\s+|and\s+)?|\s+(?:or|and)\s+)(?:those|patients|individuals|people|persons|women|men|"
            r"children|in|with|(?<=and )\w+ly\s+\w+)\b|\s+(?:should|must|may|need|due|because|as|before|without|have|has|are|is|can|will|"
            r"concurrently|concomitantly|simultaneously|together|at the same time)\b|[.;]|$)",
            sentence,
            re.I,
        )
        if people:
            what = people.group("what")
            if what.count(")") > what.count("("):
                what = what[: what.index(")")]  # "(including those receiving immunosuppressive therapy)"
            if people.group("who").lower() == "you":  # advice: only the drugs it singles out
                cue = re.search(r"\b(?:especially|particularly|such as|including|like)\s+", what, re.I)
                what = what[cue.end() :] if cue else ""
            if not what or is_self(re.split(r"[\s,]", what.strip())[0], self.product.own):
                return []
            names = [_glossed(n) for n in names_in(what, self.product) if not _NOT_TAKEN.search(n)]
            names = [n for n in names if not _PEOPLE.search(n)]
            if people.group("who").lower() == "you" and all(_RELATIVE_CLASS.match(n) for n in names):
                return []  # "especially those affecting metabolism" alone names no drug
            return names
        must_not = MUST_NOT.search(sentence)
        subject = strip_subject(sentence[: must_not.start()]) if must_not else ""
        if (
            subject
            and re.search(r"avoid", must_not.group(0), re.I)
            and looks_like_drug(subject)
            and not USE_SUBJECT.search(subject)
            and not re.search(r"\b(?:this|the|its)\s+(?:medication|medicine|drug|product)\b", subject, re.I)
            and not is_self(subject, self.product.own)
            and not WHO_SUBJECT.match(subject)
        ):
            # "Live vaccines should generally be avoided during ..."; avoiding alcohol is advice about drinking
            return [n for n in names_in(subject, self.product) if not re.search(r"\balcohol\b", n, re.I)]
        avoid = re.match(
            r"^avoid\s+(?P<what>.+?)\s+(?:while|when|during)\s+(?:taking|using|on|treatment)\b",
            sentence,
            re.I,
        )
        names = names_in(avoid.group("what"), self.product) if avoid else []
        names = [n for n in names if not _NOT_TAKEN.search(n)]
        if len(names) < 2 or not any(looks_like_drug(n) for n in names):
            return []  # "avoid alcohol while ..." alone is advice about drinking; a procedure is no drug
        return names

    def _names_other_drug(self, sentence: str) -> bool:
        return bool(interactants(sentence, self.product, listed=False)[0])

    # --- contraindications ------------------------------------------------------------------------

    def _contraindications(self, found: list[str], source: str) -> None:
        for condition in found:
            self.mono.contraindications.append(Statement(condition, source, self.component))

    def _interactions(self, names: list[str], effect: str | None, source: str) -> None:
        self.mono.interactions.extend(to_interactions(names, effect, source, self.component))
