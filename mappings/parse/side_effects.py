"""Side Effects section → one SideEffect per term, with frequency band and seriousness.

Bands come from the group wording: "(1-10%)"/"common" → common, ">10%"/"very common" →
very-common, "0.1-1%"/"uncommon"/"less common" → uncommon, "rare"/"<0.1%" → rare.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..model import Monograph, SideEffect, Unmapped, Warning
from .blocks import Item
from .document import RawSection
from .lists import concepts, phrase_list
from .precautions import add_advice, is_advice, topic_of
from .sections import component_label
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
    count = start = len(mono.side_effects)

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
    mono.side_effects[start:] = _refined(mono.side_effects[start:], section, mono)


def _bullet(item: Item, group: str | None, section: RawSection, mono: Monograph) -> None:
    if item.label:
        terms = _term_list(item.rest, _GROUPISH.search(item.label) is not None) if item.rest else []
        reported = _REPORTED.match(item.rest) if item.rest and not terms else None
        if (
            reported
        ):  # "**Gastrointestinal upset:** Nausea, diarrhea and cramps are the most frequently reported"
            terms = [item.label, *phrase_list(reported.group("list"), max_words=4)]
        named = _ingredient(item.label, mono) if item.rest and not terms else None
        if named:  # "* **CoQ10:** Some individuals may experience A, B": that ingredient's effects
            _prose(item.rest, group, replace(section, component=named), mono)
        elif terms:  # "* **Common:** Drowsiness, dizziness" (se_unsplit), "* **Eyes:** Blurred vision, ..."
            label = f"{group}: {item.label}" if group else item.label
            band_text = item.label if band_of(item.label) else label  # the bullet's own band wins
            mono.side_effects.extend(
                _effect(t, item.text, label, section, band_text=band_text) for t in terms
            )
            if len(more := sentences(item.rest)) > 1:  # "Nausea, vomiting. In rare cases, X can occur."
                _prose(" ".join(more[1:]), band_text, section, mono)
        elif item.rest or not item.children:  # "* **Superinfections:** Long-term use can ..."
            mono.side_effects.append(_effect(item.label, item.text, group, section, detail=item.rest or None))
        for child in item.children:
            _bullet(child, item.label if not item.rest or terms else group, section, mono)
        return
    if _ADVICE_BULLET.match(item.text) and not item.children:
        _unplaced(item.text, section, mono)  # "If you experience ..., contact your doctor" is advice
        return
    text = _share_place(item.text, adjectives=False)  # "Pain, redness, or swelling at the injection site"
    head, tail = _split_explanation(text)
    terms = _term_list(tail, False) if tail and text[len(head) :].lstrip().startswith(":") else []
    # in a list, "paradoxical anxiety or agitation" is two effects (a lone "A or B" is split later)
    shared = _share_place(text)
    listed = phrase_list(shared, max_words=4 if shared == item.text else 7) if not terms else []
    if len(listed) >= 3:  # "* Agitation, anxiety, behavioral changes, ..." in one bullet
        mono.side_effects.extend(_effect(t, item.text, group, section) for t in listed)
    elif terms:  # "* Eyes: Blurred vision, increased eye pressure, ..."
        label = f"{group}: {head}" if group else head
        mono.side_effects.extend(
            _effect(t, item.text, label, section, band_text=group or head) for t in terms
        )
    elif _NOT_AN_EFFECT.search(head) and tail and not tail.lower().startswith("including"):
        # "* Generally well-tolerated. However, high doses can cause A": the prose names the effects
        mono.unmapped.append(Unmapped(section.heading, item.text))
        _prose(tail, group, section, mono)
    else:  # "* Severe allergic reactions (anaphylaxis) – characterized by ..."
        mono.side_effects.append(_effect(head, item.text, group, section, detail=tail))
    for child in item.children:
        _bullet(child, item.text, section, mono)


def _ingredient(label: str, mono: Monograph) -> str | None:
    """ "**Vitamin D3:**", "**CoQ10:**" name an ingredient (not an effect) whose text says its effects."""
    named = component_label(label, mono.components)
    if named or not re.search(r"\w\d|\b(?:vitamins?|acids?|extracts?|oils?)\b", label, re.I):
        return named
    return label.strip()


# a list that leads its own sentence: "Nausea, diarrhea, and stomach cramps are the most frequently reported"
_REPORTED = re.compile(
    r"^(?P<list>[^.:;]+?,[^.:;]+?)\s+(?:are|is)\s+(?:the\s+)?(?:most\s+)?(?:commonly|frequently|common|often|"
    r"reported|possible|seen)\b",
    re.I,
)
# "paradoxical anxiety or agitation", "abdominal pain or distress": the adjective qualifies both nouns
_SHARED_ADJECTIVE_IN_LIST = re.compile(
    r"\b(?P<m>[A-Za-z-]+(?:al|ic|ous|ive|ary))\s+(?P<a>[A-Za-z-]+)\s+(?:or|and(?=\s+(?:symptoms|problems|changes|"
    r"issues|disorders|effects|discomfort|distress)\b))\s+(?P<b>[A-Za-z-]+)\b(?=\s*(?:[,.;)]|$|\s+(?:is|are)\b))",
    re.I,
)
_EXPLANATION = re.compile(
    r"\s+[–—-]\s+|:\s+|(?<=[a-z)])\.\s+(?=[A-Z])|(?<=\))\s+(?=[A-Z])"
    r"|,\s+(?=(?:which|particularly|especially|increasing|leading|causing|resulting|characteri[sz]ed)\b)"
    r"|,?\s+(?=including\s)"
)
_ADVICE_BULLET = re.compile(r"^(?:if|when|contact|consult|seek|report|stop|tell|call)\b", re.I)


def _split_explanation(text: str) -> tuple[str, str | None]:
    """ "Term – explanation", "Term: explanation", "Term. More text" → (term, explanation)."""
    m = next(
        (
            m
            for m in _EXPLANATION.finditer(text)
            if text[: m.start()].count("(") <= text[: m.start()].count(")")
        ),
        None,
    )
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


_PLACE_LIST = re.compile(
    r"(?P<list>(?:[A-Za-z-]+(?:\s*\([^()]*\))?,\s+){1,4}[A-Za-z-]+(?:\s*\([^()]*\))?,?\s+(?:or|and)\s+[A-Za-z-]+)\s+"
    r"(?P<place>(?:at|on|around)\s+the\s+(?:[\w-]+\s+){0,2}site)\b",
    re.I,
)


_SHARED_SENSATION = re.compile(
    r"\b(?P<a>[A-Za-z-]+)\s+or\s+(?P<b>[A-Za-z-]+)\s+(?P<rest>(?:sensation|feeling)s?"
    r"(?:\s+(?:at|in|on|of)\s+(?:the\s+)?[\w-]+(?:\s+(?:site|area|passages))?)?)",
    re.I,
)


def _share_place(text: str, adjectives: bool = True) -> str:
    """ "pain, redness, or swelling at the injection site" → each at the injection site; in a list,
    "paradoxical anxiety or agitation" → each paradoxical."""
    if adjectives:
        text = _SHARED_ADJECTIVE_IN_LIST.sub(lambda m: f"{m['m']} {m['a']}, {m['m']} {m['b']}", text)
        # "Burning or stinging sensation at the application site": both are sensations there
        text = _SHARED_SENSATION.sub(lambda m: f"{m['a']} {m['rest']}, {m['b']} {m['rest']}", text)

    def spread(m: re.Match) -> str:
        words = [w for w in re.split(r",\s*(?:or\s+|and\s+)?|\s+(?:or|and)\s+", m.group("list")) if w]
        return ", ".join(f"{w} {m.group('place')}" for w in words)

    return _PLACE_LIST.sub(spread, text)


# what a list's sentence goes on to say of its terms: "... are occasionally reported", "... are possible"
_SAID_OF_IT = re.compile(
    r",?\s+(?:is|are|have been|has been)\s+(?:\w+ly\s+|also\s+)?(?:reported|possible|seen|observed|noted|common|rare|"
    r"uncommon|known to occur)\b",
    re.I,
)


def _before_said(text: str) -> str:
    """The list before what the sentence says of it, outside parentheses ("leukemia (although these are rare)")."""
    said = next(
        (
            m
            for m in _SAID_OF_IT.finditer(text)
            if text[: m.start()].count("(") <= text[: m.start()].count(")")
        ),
        None,
    )
    return text[: said.start()] if said else text


def _term_list(text: str, lenient: bool) -> list[str]:
    """A comma list of short terms; lenient for band labels ("Common:") where prose is rarer.
    "More serious effects can include A, B" → the list after "include"."""
    text = _share_place(text)
    # "allergic reactions (including anaphylaxis), ulcers": a cue inside a parenthesis opens no list
    outside = [
        i for i in _LIST_INTRO.finditer(text) if text[: i.start()].count("(") <= text[: i.start()].count(")")
    ]
    intro = outside[0] if outside else None
    if intro and (lenient or re.search(r"side effects?|adverse|reactions", text[: intro.start()], re.I)):
        text = text[intro.end() :]
    first = text.split(". ")[0]
    if lenient:
        first = _before_said(first)  # "Mild stomach upset (nausea) is occasionally reported"
    terms = [t for t in phrase_list(first, max_words=12 if lenient else 6) if not _NOT_A_TERM.search(t)]
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
    last = re.match(r"^(?P<t>.+\))\s*(?P<rest>[^()]+?)\s*\((?P<d>[^()]+)\)\s*\.?$", term.strip())
    if (
        last
    ):  # "Central nervous system (CNS) effects (confusion, seizures)": the last parenthesis is the detail
        return f"{last.group('t')} {last.group('rest')}".strip(), last.group("d").strip()
    if m:
        return m.group("t").strip(), m.group("d").strip()
    return term.strip().rstrip("."), None


def _prose(text: str, group: str | None, section: RawSection, mono: Monograph) -> None:
    """se_no_bullets: "Common side effects include nausea, headache and rash." or "Some people
    may experience mild stomach upset." → one side effect per term, band from the sentence."""
    for source in sentences(text):
        sentence = _share_place(source)  # the terms are read from it; the source stays as written
        m = _INTRO_LIST.search(sentence)
        lead = sentence[: m.start()] if m else ""
        listed = m.group("list") if m else ""
        if m and lead.count("(") > lead.count(")"):  # "reactions (such as swelling of the face) can occur"
            listed = listed.split(")")[0]
            lead = lead.replace("(", " ")
        if m and re.search(r"side effects?|adverse|reactions", lead, re.I) and not _ADVICE_BULLET.match(lead):
            listed = _before_said(listed)  # "such as rash or itching, are also possible"
            terms = phrase_list(listed, max_words=8)
        elif (m := _MAY_CAUSE.search(sentence)) and not _ADVICE.search(sentence):
            lead, terms = sentence[: m.start()], _term_list(m.group("list"), lenient=False)
            terms = terms or [
                t for t in phrase_list(m.group("list"), max_words=5) if not _NOT_A_TERM.search(t)
            ]
        else:
            terms = []
        if terms:
            band_text = sentence if band_of(sentence) else group
            mono.side_effects.extend(
                _effect(t, source, lead.strip() or group, section, band_text=band_text) for t in terms
            )
        else:
            _unplaced(source, section, mono)


_GENERIC_ADVICE = re.compile(
    r"\b(?:any|these|such|other|all)\s+(?:\w+\s+){0,3}?(?:side effects?|adverse (?:effects?|reactions?)|symptoms|"
    r"reactions?|effects)\b|\bnot an? (?:exhaustive|complete) list\b|\bcomplete list\b",
    re.I,
)


# a bullet label that names a body system or a category, not an effect: "**Nervous system:** Seizures"
_SYSTEM = re.compile(
    r"^(?:(?:central |peripheral |autonomic )?nervous(?: system)?|cns|gastrointestinal|gi|hematologic(?:al)?|"
    r"haematologic(?:al)?|blood|dermatologic(?:al)?|skin|immunologic(?:al)?|immune(?: system)?|local|others?|"
    r"general|miscellaneous|cardiovascular|cardiac|respiratory|pulmonary|musculoskeletal|neuromuscular(?: and "
    r"skeletal)?|hepatic|liver|renal|kidney|genitourinary|urinary|endocrine|metabolic|psychiatric|neurologic(?:al)?|"
    r"ocular|eyes?|ears?|ent)(?: system)?$",
    re.I,
)
# not an effect: how often or how badly, a hedge, or a lone body part from "swelling in the hands, feet"
_NOT_AN_EFFECT = re.compile(
    r"^(?:varying|depending|while|with|generally|usually|note|important|common|rare|frequency|severity|duration|any|"
    r"transient increases|failure|symptoms are|after|before|during|in|when|especially|particularly|impairing|"
    r"affecting|causing|leading|making|increasing|decreasing|reducing|which|an?)\b|\b(?:well[- ]tolerated|frequency|severity|duration of treatment|"
    r"side effects?|interactions? with)\b"
    r"|^(?:potentially |possibly )?(?:more|less|other|further) (?:\w+ )?(?:reactions|effects|problems)$"
    r"|\bnot (?:an? )?(?:exhaustive|complete)\b|\bnot (?:all )?listed\b|^(?:these|those|this|they|all)\b"
    r"|^(?:various\s+)?(?:types?|grades?|class(?:es)?|stages?|kinds?|forms?)(?:\s+[\w-]{1,4})?$"
    r"|^(?:but|beyond|except|excluding|possible|possibly|discontinue|stop|contact (?:a|your|the)|seek|consult)\b",
    re.I,
)
_BODY_PART = re.compile(
    r"^(?:the\s+)?(?:hands?|feet|foot|ankles?|legs?|arms?|face|lips|tongue|throat|eyes|mouth|joints?|muscles?|"
    r"fingers|toes|neck|back|chest|abdomen|skin|behaviou?r|mood)$",
    re.I,
)


def _refined(effects: list[SideEffect], section: RawSection, mono: Monograph) -> list[SideEffect]:
    """One effect per named effect: a system label gives way to the effect it names; "Nausea and
    vomiting" is two effects, "swelling in the hands, feet, or ankles" one; the examples a term lists in
    parentheses ("Allergic reactions (angioedema, anaphylaxis)") are effects of their own too."""
    out: list[SideEffect] = []
    for se in effects:
        term, detail = se.term, se.detail
        if (
            out
            and out[-1].source == se.source
            and (
                _BODY_PART.match(term)
                or re.match(r"(?:in|of|on|during|after|especially|particularly)\s", term, re.I)
            )
        ):
            # "swelling in the hands, feet, or ankles" is one effect, written as the source joins it
            joined = re.search(
                rf"{re.escape(out[-1].term)}(?P<j>,? (?:or|and) |, ){re.escape(term)}", se.source, re.I
            )
            out[-1].term = f"{out[-1].term}{joined.group('j') if joined else ', '}{term}"
            continue
        repeated = (
            detail and term.strip().lower() in detail.lower()
        )  # "Hypersensitivity (Hypersensitivity reactions)"
        if (
            (_SYSTEM.match(term.strip()) or repeated or re.search(r"\bside effects?\b", term, re.I))
            and detail
            and len(detail.split()) <= 10
            and not _VERB.search(detail)
        ):
            term, detail = _split_detail(detail)  # "Nervous system (Psychiatric disturbances)"
            listed = phrase_list(term, max_words=5)
            if len(listed) > 1:
                out.extend(replace(se, term=t, detail=None) for t in listed if not _NOT_AN_EFFECT.search(t))
                continue
        pieces = _effect_pieces(term)
        if not pieces:
            if not any(o.source == se.source for o in out):
                mono.unmapped.append(Unmapped(section.heading, se.source))
            # "Various other side effects including A, B": the examples are effects all the same
            out.extend(replace(se, term=example, detail=None) for example in _listed_detail(detail, term))
            continue
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            out.append(replace(se, term=piece, detail=detail if last else None))
        for example in _listed_detail(detail, term):
            out.append(replace(se, term=example, detail=None))
    return out


# "Burning or stinging sensation at the site": both words qualify the rest
_SHARED_REST = re.compile(
    r"^(?P<a>[A-Za-z-]+)\s+or\s+(?P<b>[A-Za-z-]+)\s+(?P<rest>(?:sensation|feeling|at|on|in)\b.+)$", re.I
)
# "Abdominal pain or distress", "paradoxical anxiety or agitation": the adjective qualifies both
_SHARED_ADJECTIVE = re.compile(
    r"^(?P<m>[A-Za-z-]+(?:al|ic|ous|ive|ary)|skin|muscle|joint|eye|(?:injection|infusion|application)[- ]site)"
    r"\s+(?P<a>[A-Za-z-]+)\s+(?:or|and)\s+(?P<b>[A-Za-z-]+)$",
    re.I,
)


def _effect_pieces(term: str) -> list[str]:
    if _NOT_AN_EFFECT.search(term):
        return []
    slash = re.fullmatch(
        r"(?P<a>[A-Za-z][a-z-]+(?: [a-z-]+)+)/(?P<b>[a-z][a-z-]+(?: [a-z-]+)+)", term.strip()
    )
    if slash:  # "Increased wound secretion/skin blister": two effects
        return [*_effect_pieces(slash.group("a")), *_effect_pieces(slash.group("b"))]
    if m := _SHARED_REST.match(term):
        return [f"{m.group('a')} {m.group('rest')}", f"{m.group('b')} {m.group('rest')}"]
    if m := _SHARED_ADJECTIVE.match(term):
        return [f"{m.group('m')} {m.group('a')}", f"{m.group('m')} {m.group('b')}"]
    if re.search(r"\bor other\b", term, re.I):
        return [term]  # "allergic or other skin reactions" is one group
    split = re.search(r"\b(?:and|or)\b", term) and "(" not in term and len(term.split()) <= 6
    found = concepts(term) if split else [term]
    if any(
        re.match(r"(?:in|of|on|at|during|after|due|with|a|an|the)\b", p, re.I)
        or len(p.split()) == 1
        and _lone(p)
        for p in found[1:]
    ):
        found = [
            term
        ]  # "pain or inflammation at the site", "a severe, life-threatening reaction": one effect
    pieces: list[str] = []
    for piece in found:
        if pieces and _BODY_PART.match(piece):
            pieces[-1] = f"{pieces[-1]}, {piece}"  # "swelling in the hands, feet": places, not effects
        elif not _NOT_AN_EFFECT.search(piece):
            pieces.append(piece)
    return pieces


def _lone(word: str) -> bool:
    """A word that is no effect on its own ("distress", "peripheral", "minor")."""
    return bool(re.fullmatch(r"[a-z-]+(?:al|ic|ous|or|ive)|distress|discomfort|upset", word, re.I))


def _listed_detail(detail: str | None, term: str = "") -> list[str]:
    """ "including anaphylaxis, angioedema" / "Allergic reactions (rash, itching, swelling)" / "Kidney problems
    (interstitial nephritis)" → the effects it names; a gloss ("Dyspepsia (indigestion)", "Angioedema
    (swelling of the face, lips)") or a circumstance ("(especially with high doses)") names none."""
    if not detail:
        return []
    if "; " in detail:  # "(SCARs); including A and B": a gloss, then the examples; what follows says more
        first, *more = detail.split("; ")
        return [
            *_listed_detail(first, term),
            *(e for part in more if _CUED.match(part) for e in _listed_detail(part, term)),
        ]
    if _CIRCUMSTANCE.match(detail.strip()):
        return []
    text = re.sub(r"^(?:including|e\.g\.,?|such as|like|especially)\s+", "", detail.strip(), flags=re.I)
    cued = text != detail.strip()
    text = re.split(r"\s+[–—]\s+|\s+-\s+", text)[0]  # "anaphylaxis – a severe, life-threatening reaction"
    listed = phrase_list(text, max_words=5)
    items = _places_joined(listed, text)
    if not items or any(_VERB.search(i) for i in items):
        return []
    if (
        not cued
        and re.search(r"\b(?:and|or)\b", text)
        and items == listed
        and any(re.fullmatch(r"[a-z-]+(?:al|ic|ous|ary|ive|ed)", i, re.I) for i in listed)
    ):
        # "(psychosis, peripheral and optic neuritis)": the shared head stays with each
        items = [c for c in concepts(text) if len(c.split()) <= 5] or items
    group = _bare(term).strip()
    if not cued and len(items) == 1:
        # one named thing is an example only of a vague group ("Kidney problems (interstitial nephritis)");
        # after a specific term ("Skin rash (pruritus)"), a severe one ("Severe allergic reactions
        # (anaphylaxis)") or in the group's own noun ("Hypersensitivity reactions (allergic reactions)") it glosses
        one = items[0]
        if (
            not _VAGUE_GROUP.search(group)
            or re.match(r"(?:severe|serious|life-threatening)\b", group, re.I)
            or one.split()[-1].lower() == group.split()[-1].lower()
        ):
            return []
    elif not cued and (not _UMBRELLA.search(group) or any(_lone(i) for i in items)):
        return []  # "Paresthesia (numbness or tingling)" glosses; "(low or no urine output)" describes one state
    if all(re.fullmatch(r"[A-Z]{2,5}", i) for i in items):
        return []  # "Increased liver enzymes (AST, ALT)": what is measured, not effects
    found = [
        i for i in items if not _NOT_AN_EFFECT.search(i) and not re.search(r"%|\d", i) and not band_of(i)
    ]
    shared = _SHARED_BY_EXAMPLES.match(_bare(term).strip())
    if shared:  # "Injection site reactions (pain, swelling)": each is at the injection site
        found = [f"{shared.group('q')} {i}" for i in found]
    return found


def _places_joined(items: list[str], text: str) -> list[str]:
    """["swelling of the face", "lips", "tongue"] → one sign in several places, joined as the text joins them."""
    out: list[str] = []
    for item in items:
        if out and _BODY_PART.match(item):
            joined = re.search(rf"{re.escape(out[-1])}(?P<j>,? (?:or|and) |, ){re.escape(item)}", text, re.I)
            out[-1] = f"{out[-1]}{joined.group('j') if joined else ', '}{item}"
        else:
            out.append(item)
    return out


_CUED = re.compile(r"^(?:including|e\.g\.,?|such as|like|especially)\s", re.I)


# a term that groups effects, so that what its parenthesis lists are effects: "Liver problems (hepatitis, jaundice)"
_UMBRELLA = re.compile(
    r"(?:\b(?:reactions?|problems?|disorders?|issues?|effects?|disturbances?|complications?|suppression|"
    r"abnormalities|upset|changes|counts|symptoms)|toxicity)\s*$",
    re.I,
)
# a group vague enough that even one thing it names in parentheses is an effect of its own
_VAGUE_GROUP = re.compile(
    r"\b(?:reactions?|problems?|disorders?|issues?|effects?|complications?|suppression)\s*$", re.I
)
# a qualifier every example of the group keeps: "Injection site reactions (pain)", "Autoimmune reactions (anemia)"
_SHARED_BY_EXAMPLES = re.compile(
    r"^(?P<q>(?:injection|infusion|application|administration|instillation)[- ]site|autoimmune|immune-mediated)"
    r"\s+(?:reactions?|problems|effects|disorders)$",
    re.I,
)
# a parenthesis that says when or in whom, not what: "(especially in patients with renal impairment)"
_CIRCUMSTANCE = re.compile(
    r"^(?:especially|particularly|mainly|mostly|usually|often|typically)?\s*(?:in|with|after|during|when|if|at|"
    r"from|due to|for|on|upon|following|before|while)\b",
    re.I,
)


def _bare(text: str) -> str:
    return re.sub(r"\([^()]*\)", " ", text)


def _unplaced(text: str, section: RawSection, mono: Monograph) -> None:
    """Advice about a named topic is a warning; "If you experience any side effects, consult your
    doctor" names none and is no statement."""
    if _ADVICE.search(text) and not is_advice(text) and not _GENERIC_ADVICE.search(text):
        mono.warnings.append(Warning(topic_of(text), section.heading, text, text, section.component))
    elif _ADVICE.search(text) or is_advice(text):
        add_advice(mono, text)
    else:
        mono.unmapped.append(Unmapped(section.heading, text))
