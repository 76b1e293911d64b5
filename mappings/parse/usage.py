"""Usage section → indications (one per condition) and the usage prose.

A condition is read from what a clause says the product is used for ("used to treat A, B and C",
"treatment of A", "indicated for A"), from a bullet that names it ("* Acute otitis media (middle ear
infection)", "* **Post-stroke spasticity:** ...") or from the examples such a bullet gives. Labels that
only say what kind of use follows ("**Primary Use:**", "**Off-label:**") are not conditions: their
text is read instead. Negated, hedged and investigational statements give nothing.
"""

from __future__ import annotations

import re

from ..model import Indication, Monograph
from .blocks import Item
from .document import RawSection
from .lists import concepts, examples_in, items_with_context, phrase_list
from .sections import component_label
from .text import hedged, negated, sentences, split_top_level

# what a clause says the product is for; the condition follows the match
_USED_FOR = re.compile(
    r"\b(?:(?:short-term|long-term|symptomatic|temporary|adjunctive|adjunct|first-line|second-line|"
    r"maintenance|supportive|preventive|prophylactic|local|topical)\s+)?"
    r"(?:(?:treatment|management|prevention|prophylaxis|relief|control)\s+(?:and|or)\s+)?"
    r"(?:treatment|management|prevention|prophylaxis|relief|control|therapy|alleviation|reduction|resolution)"
    r"\s+(?:of|for|from)\s+"
    r"|\b(?:uses?|applications?|indications?)\s+(?:is|are)\s+(?:in|for)\s+"
    r"|(?<!not )\b(?:also\s+)?effective\s+against\s+"
    r"|\b(?:to|helps?|help to|and|or|can|may|also|effectively|primarily|mainly)\s+"
    r"(?:(?:help|helps|also|effectively)\s+)?(?:(?:to)\s+)?"
    r"(?:(?:treat|manage|prevent|relieve|control)\s+(?:and|or)\s+(?:delay\s+)?)?"
    r"(?:treat|manage|prevent|relieve|control|alleviate|ease|combat|fight|soothe|reduce the symptoms of|reduce|"
    r"relieve the symptoms of|protect against|immuni[sz]e against|protect (?:\w+\s+){0,4}?against)\s+"
    r"|\b(?:treats|treating|manages|managing|prevents|preventing|relieves|relieving|controls|controlling|"
    r"alleviates|alleviating|combats|combating)\s+"
    r"|\b(?:used|indicated|prescribed|approved|useful|recommended|licensed)(?:\s+(?:\w+ly|off-label))?"
    r"(?:\s+(?:both\s+)?(?:orally|topically|intravenously|intramuscularly))?\s+(?:for|in)\s+"
    r"(?!(?:combination|conjunction|the (?:body|hospital)|hospital|"
    r"addition|both|some|certain cases|cases|situations|specific|many|a (?:wide |broad )?(?:variety|range|number)|various|"
    r"those|this|these|such|treating|the treatment|the management|the prevention|(?:the )?(?:production|"
    r"manufactur\w*|synthesis|making|preparation|formulation)|industr\w*|laborator\w*|research|cosmetics?|"
    r"foods?|(?:the )?(?:\w+ )?industry)\b)",
    re.I,
)
# where the condition's phrase ends: the clause goes on to say how, why or what else
_CLAUSE_END = re.compile(
    r"\s*[.;:!?](?:\s|$)|\s+[-–—]\s+|\s*\((?:e\.g|i\.e|such as|including)\b"
    r"|,?\s+(?:which|where|when|while|whereas|because|since|although|though|thereby|thus|but|as well as its|"
    r"as an? (?:adjunct|alternative|part|first|second)|as part of|in (?:combination|conjunction|addition) (?:with|to)|"
    r"along with|together with|alongside|often|usually|typically|particularly (?:in|for|when|if)|"
    r"especially (?:in|for|when|if)|and (?:is|are|it|its|can|may|to|has|have|also|in)|helping|making|"
    r"allowing|leading|resulting (?:in|from)|improving|reducing|promoting|providing|by (?:\w+ing)|through|via|"
    r"due to (?:its|their)|that|who|whose|meaning|i\.e\.|known as|also called|is|are|was|were|should|must|"
    r"will|can|may|might|could|has|have|does|do)\b",
    re.I,
)
# "adults and children (5 years and older) with ...": who it is for, not what it treats
_WHO_LEAD = re.compile(
    r"^(?:(?:adults?|adolescents?|children|infants?|neonates?|newborns?|patients?|people|persons|individuals|"
    r"those|men|women|elderly|older adults|pediatric patients|subjects)\b[^,;]*?\s+"
    r"(?:with|who (?:have|are|suffer from|experience)|suffering from|experiencing|undergoing|having)\s+)",
    re.I,
)
_POPULATION = re.compile(
    r"^(?:adults?|adolescents?|children|infants?|neonates?|newborns?|elderly|older adults|women|men)"
    r"(?:\s+(?:and|or)\s+(?:adults?|adolescents?|children|infants?|neonates?|young children))?(?:\s*\([^()]*\))?"
    r"(?=\s+(?:with|who|suffering|experiencing|undergoing|having))",
    re.I,
)
_WHO = re.compile(
    r"^(?:adults?|patients?|children|older|younger|aged|people|individuals|pediatric|those|not|both|either|"
    r"you|your|them|him|her|certain cases|some cases|cases|situations|doses?|use|combination)\b",
    re.I,
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
    "various conditions",
    "certain conditions",
    "several conditions",
    "many conditions",
    "a variety of conditions",
    "a range of conditions",
    "the symptoms",
    "the condition",
    "the infection",
    "infections",
    "the body",
}
_APPOSITIVE = re.compile(r"^(?:a|an|the|which|that|this|its|their|his|her)\s", re.I)
_ARTICLE = re.compile(
    r"^(?:(?:the|a|an)\s+)?(?:(?:wide|broad|large)\s+)?(?:(?:variety|range|number)\s+of\s+)?", re.I
)
# "complicated by bacterial or fungal infections" qualifies the item before it, whole
_QUALIFIES = re.compile(
    r"\s(?:associated with|caused by|characteri[sz]ed by|complicated by|related to|resulting from|secondary to|"
    r"due to|induced by|arising from|linked to|after|following)\s",
    re.I,
)
_ORGANISMS = re.compile(
    r"\b(?:bacteria|organisms|microorganisms|microbes|pathogens|species|fungi|spectrum|gram-(?:positive|negative))\b",
    re.I,
)
# a bold label that says what kind of use follows, not which condition
_USE_LABEL = re.compile(
    r"^(?:(?:primary|secondary|main|major|other|additional|common|approved|labell?ed|off[- ]label|unlabell?ed|"
    r"therapeutic|medical|clinical|general|specific|fda[- ]approved|key|important|typical|usual|potential|"
    r"possible|investigational|emerging|traditional|experimental|current|less common|rare|"
    r"[a-z]+(?:al|ic)|\w+)\s+)*"
    r"(?:uses?|indications?|applications?|purposes?|areas? of use|use cases?)(?:\s*\([^()]*\))?$"
    r"|^off[- ]label(?:\s+uses?)?$|^(?:important\s+)?notes?$|^important$|^indicated for$|^used for$",
    re.I,
)
_HEDGED_LABEL = re.compile(r"\b(?:potential|possible|investigational|emerging|experimental)\b", re.I)
# a noun-phrase bullet, not a sentence: no finite verb of its own
_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|can|may|might|will|should|must|helps?|works?|treats?|used|reduces?|"
    r"prevents?|relieves?|acts?|provides?|includes?|causes?|affects?|has|have)\b",
    re.I,
)
_GENERIC_TERM = re.compile(
    r"^(?:(?:various|certain|some|many|several|other|specific|a (?:variety|range|number) of|different|"
    r"numerous|multiple|related|similar)\s+)+(?:[\w-]+\s+)?(?:conditions|disorders|diseases|problems|issues|infections|"
    r"symptoms|ailments|uses|situations|cases)\b",
    re.I,
)
# umbrella phrases that name no condition in particular: "various bacterial infections", "several cancers"
_VAGUE = re.compile(
    r"^(?:various|several|numerous|a (?:wide |broad )?(?:variety|range|number) of|"
    r"(?:several|various|many|different) (?:types|kinds|forms) of)\s",
    re.I,
)
# a bullet's text that describes an ingredient: "A naturally occurring antioxidant", "This fat-soluble vitamin"
_SUBSTANCE = re.compile(
    r"^(?:an?|this|these|it is an?|this is an?)\s+(?:[\w-]+\s+){0,4}?(?:antioxidants?|enzymes?|vitamins?|minerals?|"
    r"acids?|bacteri(?:um|a)|prebiotics?|probiotics?|solvents?|compounds?|hormones?|proteins?|nutrients?|extracts?|"
    r"bioflavonoids?|flavonoids?|amino acids?|fatty acids?|salts?|elements?|polysaccharides?|fibers?|oils?|"
    r"sugars?|alcohols?|derivatives?|molecules?|substances?|ingredients?|excipients?)\b",
    re.I,
)
# a label that names a benefit or an action, not a condition: "Improved digestion", "Modulate the immune system"
_BENEFIT = re.compile(
    r"^(?:improv|enhanc|reduc|increas|boost|support|promot|maintain|restor|strengthen|compet|modulat|regulat|"
    r"balanc|aid|help|protect|better|optimi|detox|stimulat|nourish|moistur|hydrat|soothing)\w*\b",
    re.I,
)
# a verb in -ing, not a symptom noun such as "bleeding" or "vomiting"
_GERUND = re.compile(
    r"^(?!(?:bleeding|swelling|itching|vomiting|sneezing|wheezing|coughing|burning|tingling|bloating|"
    r"ringing|stinging|scarring|wasting|fainting|sweating|flushing|bedwetting|hiccuping|snoring)\b)"
    r"[a-z]+ing\b",
    re.I,
)
# words that make a label a clinical condition rather than a body site or a kind of use
_CLINICAL_WORD = re.compile(
    r"\b(?:diseases?|disorders?|infections?|infected|syndromes?|conditions?|injur(?:y|ies)|pain|aches?|spasms?|"
    r"swelling|inflammation|toxicity|poisoning|cancers?|tumou?rs?|carcinomas?|lymphomas?|leuk(?:a)?emias?|"
    r"melanomas?|sarcomas?|fever|cough|cold|flu|influenza|congestion|nausea|vomiting|diarrh(?:o)?ea|"
    r"constipation|acne|eczema|psoriasis|rash|ulcers?|wounds?|burns?|cuts?|bites?|allerg\w*|asthma|"
    r"deficienc(?:y|ies)|failure|insufficiency|impairment|dysfunction|hypertension|hypotension|anemia|"
    r"anaemia|diabetes|obesity|insomnia|anxiety|depression|schizophrenia|epilepsy|seizures?|migraines?|"
    r"headaches?|arthritis|gout|osteoporosis|thrombosis|embolism|clots?|angina|arrhythmias?|shock|"
    r"prophylaxis|prevention|sedation|anesthesia|anaesthesia|analgesia|intubation|\w+(?:itis|osis|emia|"
    r"aemia|oma|pathy|algia|iasis|rrhea|rrhoea|plegia|trigo))\b",
    re.I,
)


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
        if context and _HEDGED_LABEL.search(context) and _USE_LABEL.match(context):
            prose.append(item.text)  # under "**Potential uses:**": nothing there is a fact
            continue
        named = _ingredient_label(item.label, mono.components) if item.label else None
        if named:  # "**Guaifenesin:** An expectorant used to treat ..." is that ingredient's use
            found.extend(_from_prose(item.rest, named))
        elif item.label and _USE_LABEL.match(item.label):  # "**Primary Use:** Treatment of A and B."
            if not _HEDGED_LABEL.search(item.label):
                found.extend(_from_prose(item.rest, section.component, lenient=True))
        elif item.label and (_SUBSTANCE.match(item.rest) or _BENEFIT.match(item.label)):
            # "**Vitamin D3:** This fat-soluble vitamin is ...": an ingredient, whose text may name uses
            found.extend(_from_prose(item.rest, section.component))
        elif is_bullet or (item.label and item.colon):
            listed = _indications_of(item, context, section.component, lead if is_bullet else None)
            if is_bullet and lead and (head := _qualified_head(lead)):
                for indication in listed:  # "rhinorrhea associated with several conditions, including:"
                    indication.condition = f"{head} in {indication.condition}"
            found.extend(listed)
        else:
            found.extend(_from_prose(item.text, section.component))
        if len(found) == before or not (is_bullet or item.label):
            prose.append(item.text)
        else:  # a bullet's items keep the whole bullet, label and all, as their source
            for indication in found[before:]:
                indication.source = item.text
    kept = _unique(found)
    sources = {i.source for i in kept}
    for dropped in dict.fromkeys(
        i.source for i in found if i.source not in sources and i.source not in prose
    ):
        prose.append(dropped)  # a bullet that only repeats conditions named before stays in the prose
    mono.indications.extend(kept)
    if prose:
        text = "\n\n".join(prose)
        mono.usage_text = f"{mono.usage_text}\n\n{text}" if mono.usage_text else text


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
    cue = list(_USED_FOR.finditer(lead))
    if not cue:
        return None
    m = re.match(
        r"(?P<head>[^,;:]+?)\s+(?:associated with|caused by|related to|due to|in|of)\s+"
        r"(?:several|various|many|numerous|different|a (?:number|variety|range) of)\s+(?:[\w-]+\s+)?"
        r"(?:conditions|disorders|diseases|illnesses)\b",
        lead[cue[-1].end() :],
        re.I,
    )
    head = _condition_text(m.group("head")) if m else ""
    return head if head and _acceptable(head) else None


def _indications_of(
    item: Item, context: str | None, component: str | None, lead: str | None = None
) -> list[Indication]:
    source = item.text
    if hedged(item.text) or _negated_use(item.text):
        return []
    if item.label:
        named = _listed_examples(item.rest) if item.rest else []
        listed = _short_list(item.rest) if item.rest and not named else []
        if not _CLINICAL_WORD.search(item.label) and (within := _leading_condition(item.rest)):
            conditions = named or within  # "**Ears:** Acute otitis media": the label is only a site
        elif not _CLINICAL_WORD.search(item.label) and not named and len(listed) >= 2:
            conditions = listed  # "**Urinary Tract:** Lithureteria, vesical tenesmus, cystitis"
        elif _WHO_LABEL.match(item.label):
            return _from_prose(item.rest, component, group=item.label)  # "**Adults with CKD:**" says who
        elif (
            named
            or (len(listed) >= 3 and sum(_names_condition(c) for c in listed) >= len(listed) - 1)
            or (item.children or item.rest.rstrip().endswith(":"))
            or _OTHER.match(item.label)
        ):
            # "**Soft tissue injuries:** Sprains, strains, and bruises" and "**Immunosuppression:** ... such as:"
            # head the conditions they name; "**Other lymphomas:**" names none (two listed words only explain
            # the label: "Severe bladder and kidney infections")
            conditions = named or listed
        else:
            # a label names one heading: "Post-surgical swelling and inflammation", but "A or B" is two,
            # and so is "A (gloss) and B": the parenthesis closes the first concept
            split = _distribute_state(concepts(item.label))
            shared = (
                len({p.split()[-1].lower() for p in split}) == 1 and len(split) > 1
            )  # "Allergic and non-allergic rhinitis"
            several = re.search(r"\bor\b|\)\s+and\s", item.label) or shared
            labelled = split if several else [item.label]
            conditions = [_condition_text(c) for c in labelled]
        conditions = [t for c in conditions for t in _by_type(c)]
        return [
            Indication(c, source, group=item.label, component=component) for c in conditions if _acceptable(c)
        ]
    head = re.split(r"\s+[-–—:]\s+|:\s+|(?<=[a-z)])\.\s+", item.text, maxsplit=1)[0].rstrip(".")
    if _VERB.search(_without_parentheses(head)) or len(head.split()) > 14:
        return _from_prose(item.text, component, group=context)
    site = re.fullmatch(r"(?P<site>[^()]+?)\s*\((?P<inner>[^()]+)\)", head)
    if site and not _CLINICAL_WORD.search(site.group("site")) and _CLINICAL_WORD.search(site.group("inner")):
        head = site.group("inner")  # "Mouth (odontogenic infections)"
    elif (
        lead
        and (
            of := re.search(
                r"\b(infections|diseases|disorders|cancers)\s+(?:of|in|affecting)\s+(?:the\s*)?:$", lead, re.I
            )
        )
        and not _CLINICAL_WORD.search(head)
    ):
        head = f"{head} {of.group(1).lower()}"  # "infections of the:" + "Diabetic foot"
    return [
        Indication(c, source, group=context, component=component)
        for c in (_condition_text(head),)
        if _acceptable(c)
    ]


# a state that qualifies every condition a short label lists: "Infected eczema or dermatitis"
_STATE = re.compile(
    r"^(?:infected|severe|mild|moderate|uncontrolled|refractory|recurrent|mild[- ]to[- ]moderate|"
    r"moderate[- ]to[- ]severe)\s",
    re.I,
)


def _distribute_state(pieces: list[str]) -> list[str]:
    """["Infected eczema", "dermatitis"] → ["Infected eczema", "Infected dermatitis"]."""
    state = _STATE.match(pieces[0]) if len(pieces) > 1 and len(pieces[0].split()) == 2 else None
    if not state or any(len(_without_parentheses(p).split()) != 1 for p in pieces[1:]):
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
    bare = _without_parentheses(text).strip()
    one = len(bare.split()) == 1
    return _acceptable(text) and (bool(_CLINICAL_WORD.search(bare)) if not one else _one_word_condition(bare))


def _leading_condition(rest: str) -> list[str]:
    """The condition a site label's text starts with: "Acute otitis media (middle ear infection)"."""
    first = re.split(r"\s+[-–—:]\s+|:\s+|(?<=[a-z)])\.\s+", rest, maxsplit=1)[0].rstrip(".")
    if not first or _VERB.search(_without_parentheses(first)) or len(_without_parentheses(first).split()) > 8:
        return []
    if re.match(r"(?:including|such as|e\.g\.|like)\b", first, re.I):
        return []
    found = [_condition_text(c) for c in _concepts(first)]
    return [c for c in found if _CLINICAL_WORD.search(c)]


def _listed_examples(rest: str) -> list[str]:
    """Examples a bullet's text gives of its label, when it lists them ("This includes A, B", "Including A
    and B", "conditions such as A"), not examples buried in an explanation."""
    cue = re.search(r"\b(?:such as|including|e\.g\.,?|like|namely)\s+", rest, re.I)
    if not cue or rest[: cue.start()].count("(") > rest[: cue.start()].count(")"):
        return []
    before = rest[: cue.start()].strip(" ,")
    if re.search(r"\branging\b|\bfrom\b[^.]*\bto\b", before, re.I):
        return []  # "ranging from minor infections like cellulitis to ...": an explanation's examples
    if before and not re.search(
        r"(?:^(?:this|these|it)\s+(?:also\s+)?includes?(?:\s+\w+)?$|\b(?:conditions|disorders|diseases|infections|"
        r"cancers|tumou?rs|injuries|symptoms|problems|types|forms)(?:\s+\S+){0,5}$)",
        before,
        re.I,
    ):
        return []
    named = examples_in(rest)
    return [*examples_in(named[0]), *named[1:]] if named and examples_in(named[0]) else named


def _short_list(text: str) -> list[str]:
    """ "Sprains, strains, and bruises." → the three; prose gives nothing."""
    first = sentences(text)[0] if text else ""
    if _VERB.search(first):
        return []
    items = phrase_list(first, max_words=5)
    if any(_GERUND.match(i) for i in items):
        return []  # "Reducing discomfort and speeding recovery" says what it does, not what it treats
    if len(items) == 2 and any(len(i.split()) > 2 for i in items):
        return []  # "Skin irritation and inflammation in skin folds" explains the label
    return items if len(items) >= 2 else []


def _negated_use(text: str) -> bool:
    return bool(
        re.search(
            r"\bnot\s+(?:\w+\s+){0,3}?(?:recommended|suitable|indicated|intended|approved|effective|used|"
            r"appropriate|a (?:\w+ )?(?:treatment|cure|substitute|replacement))\b|\b(?:does|do|will|can)\s*(?:not|n't)\s+"
            r"(?:treat|cure|prevent|replace)\b|\bnot for\b|\bnever\b",
            text,
            re.I,
        )
    )


def _from_prose(
    text: str, component: str | None, group: str | None = None, lenient: bool = False
) -> list[Indication]:
    """ "used to treat A, B and C" / "This includes conditions such as A and B" → one per condition."""
    out: list[Indication] = []
    for sentence in sentences(text):
        if hedged(sentence):
            continue
        for condition in _conditions_of_sentence(sentence, lenient):
            if condition.lower() not in {o.condition.lower() for o in out}:
                out.append(Indication(condition, sentence, group=group, component=component))
    return out


def _conditions_of_sentence(sentence: str, lenient: bool) -> list[str]:
    """The conditions a sentence states; an explanation ("an antiemetic, meaning it helps prevent nausea")
    is read only when the statement itself names none."""
    # a concessive clause restates or qualifies ("While primarily used for X, it may be considered for Y")
    sentence = re.sub(r"^(?:while|although|though|whilst)\b[^,]*,\s*", "", sentence, flags=re.I)
    main, *explanation = re.split(
        r",?\s+(?:meaning|which means|i\.e\.,?)\s+", sentence, maxsplit=1, flags=re.I
    )
    return _conditions_in(main, lenient) or (_conditions_in(explanation[0], lenient) if explanation else [])


def _conditions_in(sentence: str, lenient: bool) -> list[str]:
    found: list[str] = []
    if sentence.rstrip().endswith(":"):
        return []  # "used for infected skin conditions, such as:" leads the list that names them
    for clause in re.split(r";\s+|,\s+(?:but|however|whereas|yet)\s+|\s+but\s+", sentence):
        if re.match(
            r"^(?:this|these|they|it|its|such|other)?\s*(?:(?:[\w-]+\s+){0,2}(?:uses?|indications?|applications?|"
            r"conditions|disorders|diseases|infections|cancers|examples)\s+)?(?:also\s+)?(?:includes?|covers?)\b",
            clause,
            re.I,
        ) and re.match(r"^(?:this|these|they|it|its|such|other|uses|indications|examples)\b", clause, re.I):
            found.extend(_condition_text(c) for c in _examples(clause))
            continue
        matches = list(_USED_FOR.finditer(clause))
        if not matches and lenient and not _VERB.search(clause):
            matches = [re.match(r"", clause)]  # "**Primary Use:** Anxiety disorders and panic attacks."
        for i, m in enumerate(matches):
            later = matches[i + 1] if i + 1 < len(matches) else None
            if later and _inside(later, m, clause):
                continue  # "used for the management of X": the later cue names X
            if _negated_use(clause[: m.end()]) or negated(clause[max(0, m.start() - 25) : m.end()]):
                continue
            what = clause[m.end() : later.start() if later else len(clause)]
            what = _TRAILING.sub("", what.strip())
            end = _CLAUSE_END.search(what)
            # "breast cancer that has spread ...": the bare condition would lose the restriction
            restricted = bool(end and _RESTRICTED.match(what[end.start() :]))
            what = _TRAILING.sub("", what[: end.start()]) if end else what
            if re.search(r"effective", m.group(0), re.I) and (
                _ORGANISMS.search(what) or not _CLINICAL_WORD.search(what.split(",")[0])
            ):
                continue  # "effective against Candida species, the fungus ..." names organisms
            if "reduce" in m.group(0).lower() and not _CLINICAL_WORD.search(what):
                continue  # "reduce cystine levels" names no condition
            prevention = re.search(r"prevent|prophyla", m.group(0), re.I)
            # "short-term relief of", "symptomatic relief of": how the use is limited belongs to the item
            limited = re.match(
                r"(short-term|symptomatic|temporary)\s+(\w+)\s+(?:of|for|from)\s", m.group(0), re.I
            )
            for c in _split_conditions(what)[: -1 if restricted else None]:
                if not _acceptable(c):
                    continue
                if prevention and not re.match(r"prevention|prophylaxis", c, re.I):
                    c = f"prevention of {c}"
                elif limited:
                    c = f"{limited.group(1)} {limited.group(2)} of {c}"
                if _acceptable(c):
                    found.append(c)
    return [t for c in found if _acceptable(c) for t in _by_type(c)]


def _by_type(condition: str) -> list[str]:
    """ "lymphomas (Hodgkin's and non-Hodgkin's)" → "Hodgkin's lymphoma", "non-Hodgkin's lymphoma": the
    parenthesis names the kinds, which are the conditions."""
    m = re.fullmatch(r"(?P<head>[A-Za-z-]+?)s?\s*\((?P<kinds>[^()]+)\)", condition.strip())
    kinds = split_top_level(m.group("kinds")) if m else []
    if len(kinds) < 2 or not all(re.fullmatch(r"[\w-]+['’]s", k) for k in kinds):
        return [condition]
    return [f"{k} {m.group('head')}" for k in kinds]


# what a phrase cut before the next cue ends with: "A, B, and sometimes", "X, again"
_TRAILING = re.compile(
    r"(?:(?:,?\s*\b(?:and|or|as well as)|,)\s*(?:sometimes|also|often|occasionally|even|possibly|again)?)+"
    r"\s*(?:\b(?:to|for|in)\s*)?$",
    re.I,
)
# a restrictive relative clause that changes who the condition is treated in: "that has spread",
# "that's resistant to other treatments", "that include pain"
_RESTRICTED = re.compile(
    r"\s+that(?:'s|’s|\s+(?:is|are))\s+(?:resistant|refractory|unresponsive|not)\b"
    r"|\s+that\s+(?:has|have|had)\s+(?:spread|failed|not|progressed|returned|recurred|relapsed|metastasi[sz]ed)\b"
    r"|\s+that\s+(?:hasn't|haven't|hasn’t|haven’t|did not|does not|do not|cannot|can't|includes?|involves?)\b",
    re.I,
)


def _inside(later: re.Match, earlier: re.Match, clause: str) -> bool:
    """The later cue opens the earlier one's phrase ("used for the management of X", "used to help
    treat"), rather than starting the next item of a list."""
    between = clause[earlier.end() : later.start()]
    if re.match(r"(?:,|and|or|as well as)\b", later.group(0), re.I):
        return False  # "to treat A or to manage B": the later cue starts the next item
    return len(between.split()) <= 4 and not re.search(r",|\band\b|\bor\b", between)


def _split_conditions(what: str) -> list[str]:
    who = _WHO_LEAD.match(what.strip())
    if who and (population := _POPULATION.match(who.group(0))):
        # "adults and children (5 years and older) with active SLE" → "active SLE in adults and children (...)"
        what = f"{what.strip()[who.end() :]} in {population.group(0).strip()}"
    what = _WHO_LEAD.sub("", what.strip())
    what = re.split(r",\s+(?:a|an)\s", what)[0]  # "yellow fever, a serious viral fever ...": an apposition
    named = _examples(what)
    if named:
        return [_condition_text(c) for c in named]
    if _GENERIC_TERM.match(what) or _VAGUE.match(what):
        return []  # "various conditions involving nausea, vomiting": an umbrella, and its words are no items
    qualifier = next(
        (
            q
            for q in _QUALIFIES.finditer(f"{what} ")
            if what[: q.start()].count("(") <= what[: q.start()].count(")")
        ),
        None,
    )  # "(kidney inflammation caused by lupus)" only glosses
    if not qualifier:
        return [_condition_text(c) for c in _concepts(what)]
    # "nausea and vomiting associated with pregnancy, surgery": the qualifier holds for each place it names
    head, cue = what[: qualifier.start()], qualifier.group(0).rstrip()
    tail = re.split(r",\s+(?:an?|the)\s", what[qualifier.end() :])[0].strip()
    if _GENERIC_TERM.match(tail) or _VAGUE.match(tail):
        return []  # "rhinorrhea associated with several conditions": the list that follows qualifies it
    heads = [head.strip()] if "," not in head and len(head.split()) <= 3 else _concepts(head)
    if not tail:
        return [_condition_text(c) for c in heads]
    # "... schizophrenia or bipolar I disorder in adults experiencing acute episodes": who holds for each
    who = re.search(
        r"\s+in\s+(?:adults?|children|adolescents|infants|patients|elderly|women|men)\b.*$", tail, re.I
    )
    population = who.group(0) if who else ""
    places = _concepts(tail[: who.start()] if who else tail)
    if (
        len(places) < 2
        or any(len(p.split()) > 5 for p in places)
        or not re.search(r"\b(?:and|or)\b", tail)  # "thick, sticky mucus": adjectives, not a list
    ):
        places, population = [tail], ""
    return [_condition_text(c) for c in [*heads[:-1], *(f"{heads[-1]}{cue} {p}{population}" for p in places)]]


def _concepts(text: str) -> list[str]:
    """concepts(), keeping "nausea and vomiting" whole: as an indication it is one complaint."""
    protected = re.sub(
        r"\b(?:nausea and vomiting|sedation and analgesia)\b",
        lambda m: m.group(0).replace(" and ", "_AND_"),
        text,
        flags=re.I,
    )
    return [c.replace("_AND_", " and ") for c in concepts(protected)]


def _examples(text: str) -> list[str]:
    """examples_in, following chained cues: "includes various subtypes like A, B" → [A, B]."""
    named = examples_in(text, keep_head=True)
    if named and examples_in(named[0]):
        return [*examples_in(named[0]), *named[1:]]
    return named


def _condition_text(text: str) -> str:
    text = re.sub(r"^preventing\s+", "prevention of ", text.strip(), flags=re.I)
    text = re.sub(
        r"^(?:treating|managing|relieving|controlling|combating|alleviating)\s+", "", text, flags=re.I
    )
    text = re.sub(r"\s+management$", "", text, flags=re.I)
    text = re.sub(
        r"^(?:particularly|especially|specifically|mainly|mostly|primarily|typically|usually|often|notably|"
        r"including|also|even)\s+",
        "",
        text.strip(" ,.;:*"),
        flags=re.I,
    )
    text = _WHO_LEAD.sub("", text)
    if not re.match(r"^(?:a|an)\s.*\bof\b", text, re.I):  # "a common cause of X" stays an apposition
        text = _ARTICLE.sub("", text)
    text = re.sub(
        r"\s+(?:simultaneously|effectively|quickly|together|alone|only|including|such as|like)$",
        "",
        text,
        flags=re.I,
    )
    return text.strip(" ,.;:*")


def _acceptable(condition: str) -> bool:
    c = condition.strip()
    if not c or c.lower() in _PRONOUNS or _GENERIC_TERM.match(c) or _VAGUE.match(c) or _GERUND.match(c):
        return False
    if re.search(r"\b(?:the|of|a|an|with|to|and|or|in|for|from|by)$", c, re.I):
        return False  # a phrase cut off at a lead-in: "infections of the:"
    if re.match(
        r"(?:it|it's|it’s|its|they|this|these|in|on|at|to|for|with|by|potentially|improve|enhance|help)\b",
        c,
        re.I,
    ):
        return False
    if _BENEFIT.match(c) and not _CLINICAL_WORD.search(c):
        return False  # "Improved digestion" names a benefit
    if len(_without_parentheses(c).split()) == 1 and not _one_word_condition(_without_parentheses(c).strip()):
        return False
    if (risk := re.match(r"(?:the\s+)?risk of\s+(.+)$", c, re.I)) and (
        _GENERIC_TERM.match(risk.group(1)) or _VAGUE.match(risk.group(1))
    ):
        return False
    if _APPOSITIVE.match(c) or _WHO.match(c) or _USE_LABEL.match(c):
        return False
    bare = _without_parentheses(c)
    if len(bare.split()) > 16 or not re.search(r"[A-Za-z]{3}", bare):
        return False
    if re.fullmatch(
        r"(?:genotypes?|types?|stages?|grades?|class(?:es)?|phases?)\s+[\w-]{1,4}", bare.strip(), re.I
    ):
        return False  # "genotype 4" names a subtype, not the condition
    if c.count("(") != c.count(")") or negated(c) or _VERB.search(bare) or _ORGANISMS.search(bare):
        return False
    if re.search(
        r"^(?:meaning|i\.e|known as|called|such as|including|like)\b|\b(?:such as|including|like)$", c, re.I
    ):
        return False
    if re.match(r"^(?:a|an)\s.*\bof\b", c, re.I) or re.fullmatch(r"[A-Za-z-]+(?:ous|al|ic|ive|ary|ory)", c):
        return False
    return not re.search(r"\b(?:mg|mcg|ml|ClCr|CrCl|clearance|ml/min)\b|^\(?(?:IM|IV|SC|PO)\)?$", c, re.I)


def _one_word_condition(word: str) -> bool:
    """A single word names a condition only if it looks like one: "bronchitis", "sneezing", "Lupus" —
    not "primarily", "joints", "unresectable", "treatment" or "infants"."""
    if re.fullmatch(
        r"[a-z-]+ly|[\w-]*(?:ed|able|ible|risk|threatening|\d)|[a-z]+(?:al|ic|ous|ive|ary)", word, re.I
    ):
        return False
    if re.fullmatch(
        r"treatment|relief|signs?|symptoms?|procedures?|condition|disease|doctor|night|also|different|frequency|"
        r"therapy|use|uses|prevention|support|health|viruses|bacteria|infants|newborns|adults|children|"
        r"throat|joints?|bones?|bladder|appendix|urethra|skin|eyes?|ears?|nose|mouth|lungs?|heart|liver|kidneys?|"
        r"creams?|shampoos?|biopsies|endoscopy|surgery|dry|discomfort|irritation",
        word,
        re.I,
    ):
        return False
    return True


def _without_parentheses(text: str) -> str:
    return re.sub(r"\([^()]*\)", " ", text)
