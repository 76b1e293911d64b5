"""Usage section → indications (one per condition) and the usage prose.

A condition is read from what a clause says the product is used for ("used to treat A, B and C",
"treatment of A", "indicated for A"), from a bullet that names it ("* Acute otitis media (middle ear
infection)", "* **Post-stroke spasticity:** ...") or from the examples such a bullet gives. Labels that
only say what kind of use follows ("**Primary Use:**", "**Off-label:**") are not conditions: their
text is read instead. Negated, hedged and investigational statements give nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..model import Indication, Monograph
from .blocks import Item
from .document import RawSection
from .lists import concepts, examples_in, items_with_context, phrase_list
from .sections import component_label
from .text import hedged, sentences
from .use_clauses import (
    BENEFIT,
    CLINICAL_WORD,
    GERUND,
    USE_LABEL,
    USED_FOR,
    VERB,
    acceptable,
    by_type,
    condition_text,
    from_prose,
    kinds_of,
    negated_use,
    one_word_condition,
    parenthesised_examples,
    split_concepts,
    without_parentheses,
)

_HEDGED_LABEL = re.compile(r"\b(?:potential|possible|investigational|emerging|experimental)\b", re.I)
# a bullet's text that describes an ingredient: "A naturally occurring antioxidant", "This fat-soluble vitamin"
_SUBSTANCE = re.compile(
    r"^(?:an?|this|these|it is an?|this is an?)\s+(?:[\w-]+\s+){0,4}?(?:antioxidants?|enzymes?|vitamins?|minerals?|"
    r"acids?|bacteri(?:um|a)|prebiotics?|probiotics?|solvents?|compounds?|hormones?|proteins?|nutrients?|extracts?|"
    r"bioflavonoids?|flavonoids?|amino acids?|fatty acids?|salts?|elements?|polysaccharides?|fibers?|oils?|"
    r"sugars?|alcohols?|derivatives?|molecules?|substances?|ingredients?|excipients?)\b",
    re.I,
)


# a label that names a substance rather than a condition: "Omega-3 Fatty Acids", "CoQ10", "Vitamin D3"
_SUBSTANCE_NAME = re.compile(r"\w\d|\b(?:vitamins?|acids?|extracts?|oils?|probiotics?|enzymes?)\b", re.I)


def parse_usage(section: RawSection, mono: Monograph) -> None:
    prose: list[str] = []
    found: list[Indication] = []
    lead: str | None = None  # the paragraph that leads the bullets: "... infections of the:"
    for context, item, is_bullet in items_with_context(section.blocks):
        before = len(found)
        if not is_bullet:
            lead = item.text.strip() if not item.label and item.text.rstrip().endswith(":") else None
        if not is_bullet and item.label and item.colon and not item.rest:
            prose.append(item.text)  # a standalone group label; its bullets carry it as group
            continue
        if context and _HEDGED_LABEL.search(context) and USE_LABEL.match(context):
            prose.append(item.text)  # under "**Potential uses:**": nothing there is a fact
            continue
        named = _ingredient_label(item.label, mono.components) if item.label else None
        # "**Omega-3 Fatty Acids:** Primarily used to support ...": an ingredient's use
        if item.label and not named and _SUBSTANCE_NAME.search(item.label) and from_prose(item.rest, None):
            named = item.label
        if named:  # "**Guaifenesin:** An expectorant used to treat ..." is that ingredient's use
            found.extend(from_prose(item.rest, named))
        elif item.label and USE_LABEL.match(item.label):  # "**Primary Use:** Treatment of A and B."
            if not _HEDGED_LABEL.search(item.label):
                found.extend(from_prose(item.rest, section.component, lenient=True))
        elif item.label and (_SUBSTANCE.match(item.rest) or BENEFIT.match(item.label)):
            # "**Vitamin D3:** This fat-soluble vitamin is ...": an ingredient, whose text may name uses
            found.extend(from_prose(item.rest, section.component))
        elif is_bullet or (item.label and item.colon):
            listed = _indications_of(item, context, section.component, lead if is_bullet else None)
            if is_bullet and lead and (head := _qualified_head(lead)):
                for indication in listed:  # "rhinorrhea associated with several conditions, including:"
                    indication.condition = f"{head} in {indication.condition}"
            found.extend(listed)
        else:
            found.extend(from_prose(item.text, section.component))
        if len(found) == before or not (is_bullet or item.label):
            prose.append(item.text)
        else:  # a bullet's items keep the whole bullet, label and all, as their source
            for indication in found[before:]:
                indication.source = item.text
    kept = _unique([e for i in found for e in (i, *_examples_of(i))])
    sources = {i.source for i in kept}
    for dropped in dict.fromkeys(
        i.source for i in found if i.source not in sources and i.source not in prose
    ):
        prose.append(dropped)  # a bullet that only repeats conditions named before stays in the prose
    mono.indications.extend(kept)
    if prose:
        text = "\n\n".join(prose)
        mono.usage_text = f"{mono.usage_text}\n\n{text}" if mono.usage_text else text


def _examples_of(indication: Indication) -> list[Indication]:
    """ "Lower respiratory tract infections (like pneumonia and bronchitis)" states pneumonia and bronchitis
    too; a gloss ("Acute otitis media (middle ear infection)") states nothing more."""
    return [replace(indication, condition=c) for c in parenthesised_examples(indication.condition)]


def _ingredient_label(label: str, components: list[str]) -> str | None:
    """ "**Vitamin D3 (Calcitriol):**" names the ingredient in its parenthesis."""
    inner = re.search(r"\(([^()]+)\)", label)
    return component_label(label, components) or (
        component_label(inner.group(1), components) if inner else None
    )


def _unique(found: list[Indication]) -> list[Indication]:
    seen: set[tuple[str, str | None]] = set()
    out = []
    for indication in found:
        key = (indication.condition.lower(), indication.component)
        if key not in seen:
            seen.add(key)
            out.append(indication)
    return out


def _qualified_head(lead: str) -> str | None:
    """ "effective in managing rhinorrhea associated with several conditions, including:" → "rhinorrhea":
    the bullets that follow are the conditions it is treated in."""
    cue = list(USED_FOR.finditer(lead))
    if not cue:
        return None
    m = re.match(
        r"(?P<head>[^,;:]+?)\s+(?:associated with|caused by|related to|due to|in|of)\s+"
        r"(?:several|various|many|numerous|different|a (?:number|variety|range) of)\s+(?:[\w-]+\s+)?"
        r"(?:conditions|disorders|diseases|illnesses)\b",
        lead[cue[-1].end() :],
        re.I,
    )
    head = condition_text(m.group("head")) if m else ""
    return head if head and acceptable(head) else None


def _indications_of(
    item: Item, context: str | None, component: str | None, lead: str | None = None
) -> list[Indication]:
    source = item.text
    if hedged(item.text) or negated_use(item.text):
        return []
    if item.label and _SUBSTANCE_NAME.search(item.label) and not CLINICAL_WORD.search(item.label):
        # "**Omega-3 Fatty Acids:** These essential fats ...": a substance, whose text may name uses
        return from_prose(item.rest, component)
    if item.label:
        named = _listed_examples(item.rest) if item.rest else []
        listed = _short_list(item.rest) if item.rest and not named else []
        if not CLINICAL_WORD.search(item.label) and (within := _leading_condition(item.rest)):
            conditions = named or within  # "**Ears:** Acute otitis media": the label is only a site
        elif not CLINICAL_WORD.search(item.label) and not named and len(listed) >= 2:
            conditions = listed  # "**Urinary Tract:** Lithureteria, vesical tenesmus, cystitis"
        elif _WHO_LABEL.match(item.label):
            return from_prose(item.rest, component, group=item.label)  # "**Adults with CKD:**" says who
        elif (
            named
            or (len(listed) >= 3 and sum(_names_condition(c) for c in listed) >= len(listed) - 1)
            or (item.children or item.rest.rstrip().endswith(":"))
            or _OTHER.match(item.label)
        ):
            # "**Soft tissue injuries:** Sprains, strains, and bruises" and "**Immunosuppression:** ... such as:"
            # head the conditions they name; "**Other lymphomas:**" names none (two listed words only explain
            # the label: "Severe bladder and kidney infections")
            conditions = [condition_text(c) for c in named] or listed
            # "**Skin infections:** Including cellulitis": both are stated
            if named and _umbrella(item.label):
                conditions = [condition_text(item.label), *conditions]
        elif _umbrella(item.label) and (example := _named_example(item.label, item.rest)):
            # "**Bone and joint infections:** Osteomyelitis (infection of the bone)." names an example
            conditions = [*_label_conditions(item.label), example]
        else:
            conditions = _label_conditions(item.label)
        conditions = [t for c in conditions for t in by_type(c)]
        return [
            Indication(c, source, group=item.label, component=component) for c in conditions if acceptable(c)
        ]
    head = re.split(r"\s+[-–—:]\s+|:\s+|(?<=[a-z)])\.\s+", item.text, maxsplit=1)[0].rstrip(".")
    if VERB.search(without_parentheses(head)) or len(head.split()) > 14:
        return from_prose(item.text, component, group=context)
    site = re.fullmatch(r"(?P<site>[^()]+?)\s*\((?P<inner>[^()]+)\)", head)
    if site and not CLINICAL_WORD.search(site.group("site")) and CLINICAL_WORD.search(site.group("inner")):
        head = site.group("inner")  # "Mouth (odontogenic infections)"
    elif (
        lead
        and (
            of := re.search(
                r"\b(infections|diseases|disorders|cancers)\s+(?:of|in|affecting)\s+(?:the\s*)?:$", lead, re.I
            )
        )
        and not CLINICAL_WORD.search(head)
    ):
        head = f"{head} {of.group(1).lower()}"  # "infections of the:" + "Diabetic foot"
    return [
        Indication(c, source, group=context, component=component)
        for c in (condition_text(head),)
        if acceptable(c)
    ]


def _label_conditions(label: str) -> list[str]:
    """A label names one heading ("Post-surgical swelling and inflammation" is each post-surgical), but "A or
    B" is two, and so is "A (gloss) and B": the parenthesis closes the first concept."""
    split = _distribute_state(concepts(label))
    # "Allergic and non-allergic rhinitis"
    shared = len({p.split()[-1].lower() for p in split}) == 1 and len(split) > 1
    several = re.search(r"\bor\b|\)\s+and\s", label) or shared or _TIMED.match(label)
    return [condition_text(c) for c in (split if several else [label])]


def _named_example(label: str, rest: str) -> str | None:
    """The one short condition a label's text opens with, when it is an example of the label, not a gloss
    ("Infections within the abdomen"), a description ("A sexually transmitted infection") or a stage
    ("Advanced disease")."""
    if re.match(r"(?:an?|the)\s", rest, re.I):
        return None
    found = _leading_condition(rest)
    if len(found) != 1 or len(without_parentheses(found[0]).split()) > 3 or _restates(found[0], label):
        return None
    if re.match(r"(?:conditions?|disorders?|diseases?|infections?|problems?|symptoms?)\b", found[0], re.I):
        return None
    if re.search(r"\b(?:disease|conditions?|cases?|forms?|stages?|settings?)$", found[0], re.I):
        return None
    return found[0]


def _umbrella(label: str) -> bool:
    """A label that names a condition of its own ("Severe bacterial infections"), not a kind of use, a
    group of others ("Other lymphomas") or who is treated."""
    text = condition_text(label)
    return (
        bool(CLINICAL_WORD.search(label))
        and not _OTHER.match(label)
        and not _WHO_LABEL.match(label)
        and not USE_LABEL.match(label)
        and not re.match(r"(?:susceptible|certain|specific|various|selected)\b", label, re.I)
        and not re.search(r"\b(?:treatment|therapy|management|prevention|use)$", label, re.I)
        and acceptable(text)
    )


def _restates(condition: str, label: str) -> bool:
    """ "Infections within the abdomen" restates "Intra-abdominal infections"."""
    words = {w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]{4,}", without_parentheses(label))}
    return any(
        w.lower().rstrip("s") in words for w in re.findall(r"[A-Za-z]{4,}", without_parentheses(condition))
    )


# a state that qualifies every condition a short label lists: "Infected eczema or dermatitis"
_STATE = re.compile(
    r"^(?:infected|severe|mild|moderate|uncontrolled|refractory|recurrent|mild[- ]to[- ]moderate|"
    r"moderate[- ]to[- ]severe)\s",
    re.I,
)


# "post-surgical", "postoperative", "post-traumatic": when, shared by the complaints a label lists
_TIMED = re.compile(r"^(?:post-?[a-z]+|pre-?[a-z]+|peri-?[a-z]+)\s", re.I)


def _distribute_state(pieces: list[str]) -> list[str]:
    """["Infected eczema", "dermatitis"] → ["Infected eczema", "Infected dermatitis"]; "Post-surgical swelling
    and inflammation" → each post-surgical."""
    state = _STATE.match(pieces[0]) if len(pieces) > 1 and len(pieces[0].split()) == 2 else None
    state = state or (_TIMED.match(pieces[0]) if len(pieces) > 1 and len(pieces[0].split()) == 2 else None)
    if not state or any(len(without_parentheses(p).split()) != 1 for p in pieces[1:]):
        return pieces
    return [pieces[0], *(f"{state.group(0)}{p}" for p in pieces[1:])]


# a label that says who, not what: "**Adults with chronic kidney disease (CKD):**"
_WHO_LABEL = re.compile(
    r"^(?:adults?|children|adolescents|infants|patients|people|individuals|women|men|elderly)\b[^:]*?\s"
    r"(?:with|who|undergoing|receiving|having)\s",
    re.I,
)
_OTHER = re.compile(r"^(?:other|additional|miscellaneous|various)\b", re.I)


def _names_condition(text: str) -> bool:
    """ "Sprains", "minor trauma" name conditions; "unresectable", "locally recurrent" only qualify one."""
    bare = without_parentheses(text).strip()
    one = len(bare.split()) == 1
    return acceptable(text) and (bool(CLINICAL_WORD.search(bare)) if not one else one_word_condition(bare))


def _leading_condition(rest: str) -> list[str]:
    """The condition a site label's text starts with: "Acute otitis media (middle ear infection)"."""
    first = re.split(r"\s+[-–—:]\s+|:\s+|(?<=[a-z)])\.\s+", rest, maxsplit=1)[0].rstrip(".")
    if not first or VERB.search(without_parentheses(first)) or len(without_parentheses(first).split()) > 8:
        return []
    if re.match(r"(?:including|such as|e\.g\.|like)\b", first, re.I):
        return []
    found = [condition_text(c) for c in split_concepts(first)]
    return [c for c in found if CLINICAL_WORD.search(c)]


def _listed_examples(rest: str) -> list[str]:
    """Examples a bullet's text gives of its label, when it lists them ("This includes A, B", "Including A
    and B", "conditions such as A"), not examples buried in an explanation."""
    cue = re.search(r"\b(?:such as|including|e\.g\.,?|like|namely)\s+", rest, re.I)
    if not cue or rest[: cue.start()].count("(") > rest[: cue.start()].count(")"):
        return []
    before = rest[: cue.start()].strip(" ,")
    if re.search(r"\branging\b|\bfrom\b[^.]*\bto\b", before, re.I):
        return []  # "ranging from minor infections like cellulitis to ...": an explanation's examples
    if (
        before
        and not re.search(
            r"(?:^(?:this|these|it)\s+(?:also\s+)?includes?(?:\s+\w+)?$|\b(?:conditions|disorders|diseases|infections|"
            r"cancers|tumou?rs|injuries|symptoms|problems|types|forms)(?:\s+\S+){0,5}$)",
            before,
            re.I,
        )
        and not re.search(r"\b(?:pain|infections?|damage|inflammation)\b(?:\s+\S+){0,4}$", before, re.I)
    ):
        return []  # "pain caused by nerve damage, such as A and B" names kinds of the pain
    named = examples_in(rest)
    return [*examples_in(named[0]), *named[1:]] if named and examples_in(named[0]) else kinds_of(rest, named)


def _short_list(text: str) -> list[str]:
    """ "Sprains, strains, and bruises." → the three; prose gives nothing."""
    first = sentences(text)[0] if text else ""
    if VERB.search(first):
        return []
    items = phrase_list(first, max_words=5)
    if any(GERUND.match(i) for i in items):
        return []  # "Reducing discomfort and speeding recovery" says what it does, not what it treats
    if len(items) == 2 and any(len(i.split()) > 2 for i in items):
        return []  # "Skin irritation and inflammation in skin folds" explains the label
    return items if len(items) >= 2 else []
