"""Side Effects section → one SideEffect per term, with frequency band and seriousness.

Bands come from the group wording: "(1-10%)"/"common" → common, ">10%"/"very common" →
very-common, "0.1-1%"/"uncommon"/"less common" → uncommon, "rare"/"<0.1%" → rare.
"""

from __future__ import annotations

import re

from ..model import Monograph, SideEffect, Unmapped, Warning
from .blocks import Item
from .document import RawSection
from .lists import phrase_list
from .precautions import topic_of
from .text import sentences

_PCT = r"\s*%?"
_BANDS_BY_RANGE = [
    (
        re.compile(rf"(?:≥|>=|>|more than|greater than|over|at least)\s*10{_PCT}|10{_PCT}\s*or more", re.I),
        "very-common",
    ),
    (re.compile(rf"\b1{_PCT}\s*(?:-|–|to)\s*10\s*%", re.I), "common"),
    (re.compile(rf"\b0?\.1{_PCT}\s*(?:-|–|to)\s*1\s*%", re.I), "uncommon"),
    (re.compile(rf"\b0?\.01{_PCT}\s*(?:-|–|to)\s*0?\.1\s*%", re.I), "rare"),
]
_BANDS_BY_WORD = [
    (re.compile(r"\bvery\s+rare(?:ly)?\b", re.I), "very-rare"),
    (re.compile(r"\brare(?:ly)?\b", re.I), "rare"),
    (re.compile(r"\bvery\s+common\b|\bvery\s+frequent\b", re.I), "very-common"),
    (re.compile(r"\b(?:uncommon|less\s+common|less\s+frequent|infrequent|occasional)\b", re.I), "uncommon"),
    (re.compile(r"\b(?:common|frequent|most\s+common|often)\b", re.I), "common"),
]
_BANDS_BY_LIMIT = [
    (re.compile(rf"(?:<|less than|under)\s*0?\.01{_PCT}", re.I), "very-rare"),
    (re.compile(rf"(?:<|less than|under)\s*0?\.1{_PCT}", re.I), "rare"),
    (re.compile(r"(?:<|less than|under)\s*1\s*%", re.I), "uncommon"),
    (re.compile(r"(?:<|less than|under)\s*10\s*%", re.I), "common"),
]
_SERIOUS = re.compile(r"\b(?:serious|severe|life[- ]threatening|fatal|dangerous|emergency)\b", re.I)
_FREQ_TEXT = re.compile(
    r"\((?P<p>[^()]*%[^()]*)\)|(?:occurring|reported|seen)\s+in\s+[^,.:)]*%[^,.:)]*", re.I
)
_INTRO_LIST = re.compile(r"(?:\b(?:include|includes|including|such as)|:)\s+(?P<list>[^.]+)", re.I)
_ADVICE = re.compile(
    r"\b(?:consult|contact|seek|tell|inform|report|stop|discontinu|call|talk to|not an? (?:exhaustive|complete) list)",
    re.I,
)
_MAY_CAUSE = re.compile(
    r"\b(?:may|can|might|could|commonly|sometimes|occasionally)\s+(?:also\s+)?"
    r"(?:experience|cause|develop|induce|lead to|result in|produce)\s+(?P<list>[^.;]+)",
    re.I,
)
_GROUPISH = re.compile(r"side effects?|adverse|reactions?|effects|common|rare|serious|frequency|%", re.I)


def band_of(text: str) -> str | None:
    for table in (_BANDS_BY_RANGE, _BANDS_BY_WORD, _BANDS_BY_LIMIT):
        for pattern, band in table:
            if pattern.search(text):
                return band
    return None


def parse_side_effects(section: RawSection, mono: Monograph) -> None:
    # the current "Common side effects (1-10%) include:" lead-in; a heading such as
    # "### Common Side Effects (Solifenacin)" is the first one
    group: str | None = section.heading if band_of(section.heading) else None
    group_text = ""
    count = len(mono.side_effects)

    def new_group(label: str | None, text: str) -> None:
        nonlocal group, group_text, count
        if group_text and len(mono.side_effects) == count:
            _unplaced(group_text, section, mono)  # a lead-in no term was listed under
        group, group_text, count = label, text, len(mono.side_effects)

    for block in section.blocks:
        if block.kind == "list":
            for item in block.items:
                _bullet(item, group, section, mono)
            continue
        if block.item is None:
            continue
        item = block.item
        if item.label and item.colon and not item.rest:
            new_group(item.label, item.text)
            continue
        if item.text.rstrip().endswith(":") and len(item.text) < 300:
            new_group(item.text.rstrip(":").strip(), item.text)
            continue
        if item.label and item.colon and _GROUPISH.search(item.label):  # "**Common:** a, b, c" paragraph
            terms = _term_list(item.rest, lenient=True)
            if terms:
                mono.side_effects.extend(_effect(t, item.text, item.label, section) for t in terms)
                continue
        _prose(item.text, group, section, mono)
    new_group(None, "")


def _bullet(item: Item, group: str | None, section: RawSection, mono: Monograph) -> None:
    if item.label:
        terms = _term_list(item.rest, _GROUPISH.search(item.label) is not None) if item.rest else []
        if terms:  # "* **Common:** Drowsiness, dizziness" (se_unsplit), "* **Eyes:** Blurred vision, ..."
            label = f"{group}: {item.label}" if group else item.label
            band_text = item.label if band_of(item.label) else label  # the bullet's own band wins
            mono.side_effects.extend(
                _effect(t, item.text, label, section, band_text=band_text) for t in terms
            )
        elif item.rest or not item.children:  # "* **Superinfections:** Long-term use can ..."
            mono.side_effects.append(_effect(item.label, item.text, group, section, detail=item.rest or None))
        for child in item.children:
            _bullet(child, item.label if not item.rest or terms else group, section, mono)
        return
    if _ADVICE_BULLET.match(item.text) and not item.children:
        _unplaced(item.text, section, mono)  # "If you experience ..., contact your doctor" is advice
        return
    head, tail = _split_explanation(item.text)
    terms = _term_list(tail, False) if tail and item.text[len(head) :].lstrip().startswith(":") else []
    listed = phrase_list(item.text, max_words=4) if not terms else []
    if len(listed) >= 3:  # "* Agitation, anxiety, behavioral changes, ..." in one bullet
        mono.side_effects.extend(_effect(t, item.text, group, section) for t in listed)
    elif terms:  # "* Eyes: Blurred vision, increased eye pressure, ..."
        label = f"{group}: {head}" if group else head
        mono.side_effects.extend(
            _effect(t, item.text, label, section, band_text=group or head) for t in terms
        )
    else:  # "* Severe allergic reactions (anaphylaxis) – characterized by ..."
        mono.side_effects.append(_effect(head, item.text, group, section, detail=tail))
    for child in item.children:
        _bullet(child, item.text, section, mono)


_EXPLANATION = re.compile(
    r"\s+[–—-]\s+|:\s+|(?<=[a-z)])\.\s+(?=[A-Z])|(?<=\))\s+(?=[A-Z])"
    r"|,\s+(?=(?:which|particularly|especially|increasing|leading|causing|resulting|characteri[sz]ed)\b)"
)
_ADVICE_BULLET = re.compile(r"^(?:if|when|contact|consult|seek|report|stop|tell|call)\b", re.I)


def _split_explanation(text: str) -> tuple[str, str | None]:
    """ "Term – explanation", "Term: explanation", "Term. More text" → (term, explanation)."""
    m = _EXPLANATION.search(text)
    if not m or m.start() == 0:
        return text, None
    return text[: m.start()].strip(), text[m.end() :].strip() or None


_NOT_A_TERM = re.compile(
    r"\bside effects?\b|^(?:from|various|a range|more serious|less serious|others?)\b"
    r"|^(?:serious|rare|common|mild|severe|moderate|frequent|uncommon)$",
    re.I,
)
_VERB = re.compile(r"\b(?:can|may|might|will|is|are|was|were|leading|causing|affect|affects)\b", re.I)
_LIST_INTRO = re.compile(r"\b(?:include|includes|including|such as|like)\s*:?\s+", re.I)


def _term_list(text: str, lenient: bool) -> list[str]:
    """A comma list of short terms; lenient for band labels ("Common:") where prose is rarer.
    "More serious effects can include A, B" → the list after "include"."""
    intro = _LIST_INTRO.search(text) if lenient else None
    if intro:
        text = text[intro.end() :]
    terms = [
        t
        for t in phrase_list(text.split(". ")[0], max_words=12 if lenient else 6)
        if not _NOT_A_TERM.search(t)
    ]
    if not lenient and (len(terms) < 2 or any(_VERB.search(t) for t in terms)):
        return []  # prose, not a list of terms
    return terms


def _effect(
    term: str,
    source: str,
    group: str | None,
    section: RawSection,
    detail: str | None = None,
    band_text: str | None = None,
) -> SideEffect:
    term, paren = _split_detail(term)
    if paren and detail:
        detail = f"{paren}; {detail}"
    context = band_text or group or ""
    freq_text = _FREQ_TEXT.search(context) if context else None
    serious = bool(_SERIOUS.search(group or "")) or bool(_SERIOUS.search(term))
    return SideEffect(
        term=term,
        source=source,
        detail=detail or paren,
        frequency=band_of(context) if context else None,
        frequency_text=freq_text.group(0).strip("() ") if freq_text else None,
        serious=serious,
        group=group,
        component=section.component,
    )


def _split_detail(term: str) -> tuple[str, str | None]:
    """ "Allergic reactions (angioedema, anaphylaxis)" → term + detail kept."""
    m = re.match(r"^(?P<t>[^()]+?)\s*\((?P<d>.+)\)\s*\.?$", term.strip())
    if m:
        return m.group("t").strip(), m.group("d").strip()
    return term.strip().rstrip("."), None


def _prose(text: str, group: str | None, section: RawSection, mono: Monograph) -> None:
    """se_no_bullets: "Common side effects include nausea, headache and rash." or "Some people
    may experience mild stomach upset." → one side effect per term, band from the sentence."""
    for sentence in sentences(text):
        m = _INTRO_LIST.search(sentence)
        lead = sentence[: m.start()] if m else ""
        if m and re.search(r"side effects?|adverse|reactions", lead, re.I):
            terms = phrase_list(m.group("list"), max_words=8)
        elif (m := _MAY_CAUSE.search(sentence)) and not _ADVICE.search(sentence):
            lead, terms = sentence[: m.start()], _term_list(m.group("list"), lenient=False)
            terms = terms or [
                t for t in phrase_list(m.group("list"), max_words=5) if not _NOT_A_TERM.search(t)
            ]
        else:
            terms = []
        if terms:
            band_text = sentence if band_of(sentence) else None
            mono.side_effects.extend(
                _effect(t, sentence, lead.strip() or group, section, band_text=band_text) for t in terms
            )
        else:
            _unplaced(sentence, section, mono)


def _unplaced(text: str, section: RawSection, mono: Monograph) -> None:
    """Advice that lists no term ("If you experience ... consult your doctor") is a warning."""
    if _ADVICE.search(text):
        mono.warnings.append(Warning(topic_of(text), section.heading, text, text, section.component))
    else:
        mono.unmapped.append(Unmapped(section.heading, text))
