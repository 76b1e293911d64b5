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
from .text import hedged, negated, sentences

# what a clause says the product is for; the condition follows the match
_USED_FOR = re.compile(
    r"\b(?:(?:short-term|long-term|symptomatic|temporary|adjunctive|adjunct|first-line|second-line|"
    r"maintenance|supportive|preventive|prophylactic|local|topical)\s+)?"
    r"(?:treatment|management|prevention|prophylaxis|relief|control|therapy|alleviation|reduction|resolution)"
    r"\s+(?:of|for|from)\s+"
    r"|\b(?:uses?|applications?|indications?)\s+(?:is|are)\s+(?:in|for)\s+"
    r"|\b(?:to|helps?|help to|and|or|can|may|also|effectively|primarily|mainly)\s+"
    r"(?:(?:help|helps|also|effectively)\s+)?(?:(?:to)\s+)?"
    r"(?:(?:treat|manage|prevent|relieve|control)\s+(?:and|or)\s+)?"
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
    r"\b(?:bacteria|organisms|microorganisms|microbes|pathogens|species|fungi|spectrum|strains|gram-(?:positive|negative))\b",
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
    for context, item, is_bullet in items_with_context(section.blocks):
        before = len(found)
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
            found.extend(_indications_of(item, context, section.component))
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


def _indications_of(item: Item, context: str | None, component: str | None) -> list[Indication]:
    source = item.text
    if hedged(item.text) or _negated_use(item.text):
        return []
    if item.label:
        named = _listed_examples(item.rest) if item.rest else []
        listed = _short_list(item.rest) if item.rest and not named else []
        if not _CLINICAL_WORD.search(item.label) and (within := _leading_condition(item.rest)):
            conditions = named or within  # "**Ears:** Acute otitis media": the label is only a site
        else:
            # a label names one heading: "Post-surgical swelling and inflammation", but "A or B" is two
            split = concepts(item.label)
            shared = (
                len({p.split()[-1].lower() for p in split}) == 1 and len(split) > 1
            )  # "Allergic and non-allergic rhinitis"
            labelled = split if re.search(r"\bor\b", item.label) or shared else [item.label]
            conditions = named or [*(_condition_text(c) for c in labelled), *listed]
        return [
            Indication(c, source, group=item.label, component=component) for c in conditions if _acceptable(c)
        ]
    head = re.split(r"\s+[-–—:]\s+|:\s+|(?<=[a-z)])\.\s+", item.text, maxsplit=1)[0].rstrip(".")
    if _VERB.search(_without_parentheses(head)) or len(head.split()) > 14:
        return _from_prose(item.text, component, group=context)
    site = re.fullmatch(r"(?P<site>[^()]+?)\s*\((?P<inner>[^()]+)\)", head)
    if site and not _CLINICAL_WORD.search(site.group("site")) and _CLINICAL_WORD.search(site.group("inner")):
        head = site.group("inner")  # "Mouth (odontogenic infections)"
    return [
        Indication(c, source, group=context, component=component)
        for c in (_condition_text(head),)
        if _acceptable(c)
    ]


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
        for condition in _conditions_in(sentence, lenient):
            if condition.lower() not in {o.condition.lower() for o in out}:
                out.append(Indication(condition, sentence, group=group, component=component))
    return out


def _conditions_in(sentence: str, lenient: bool) -> list[str]:
    found: list[str] = []
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
            what = re.sub(r"(?:,?\s*(?:and|or|as well as)|,)\s*(?:to\s*)?$", "", what.strip())
            end = _CLAUSE_END.search(what)
            what = what[: end.start()] if end else what
            if "reduce" in m.group(0).lower() and not _CLINICAL_WORD.search(what):
                continue  # "reduce cystine levels" names no condition
            prevention = re.search(r"prevent|prophyla", m.group(0), re.I)
            found.extend(
                f"prevention of {c}" if prevention and not re.match(r"prevention|prophylaxis", c, re.I) else c
                for c in _split_conditions(what)
                if _acceptable(c)
            )
    return [c for c in found if _acceptable(c)]


def _inside(later: re.Match, earlier: re.Match, clause: str) -> bool:
    """The later cue opens the earlier one's phrase ("used for the management of X", "used to help
    treat"), rather than starting the next item of a list."""
    between = clause[earlier.end() : later.start()]
    return len(between.split()) <= 4 and not re.search(r",|\band\b|\bor\b", between)


def _split_conditions(what: str) -> list[str]:
    who = _WHO_LEAD.match(what.strip())
    if who and (population := _POPULATION.match(who.group(0))):
        # "adults and children (5 years and older) with active SLE" → "active SLE in adults and children (...)"
        what = f"{what.strip()[who.end() :]} in {population.group(0).strip()}"
    what = _WHO_LEAD.sub("", what.strip())
    named = _examples(what)
    if named:
        return [_condition_text(c) for c in named]
    qualifier = _QUALIFIES.search(f"{what} ")
    if not qualifier:
        return [_condition_text(c) for c in _concepts(what)]
    # "nausea and vomiting associated with pregnancy, surgery": the qualifier holds for each place it names
    head, cue = what[: qualifier.start()], qualifier.group(0).rstrip()
    tail = re.split(r",\s+(?:an?|the)\s", what[qualifier.end() :])[0].strip()
    if _GENERIC_TERM.match(tail) or _VAGUE.match(tail):
        tail = ""  # "associated with several conditions" qualifies nothing
    heads = [head.strip()] if "," not in head and len(head.split()) <= 3 else _concepts(head)
    if not tail:
        return [_condition_text(c) for c in heads]
    places = _concepts(tail)
    if len(places) < 2 or any(len(p.split()) > 5 for p in places):
        places = [tail]
    return [_condition_text(c) for c in [*heads[:-1], *(f"{heads[-1]}{cue} {p}" for p in places)]]


def _concepts(text: str) -> list[str]:
    """concepts(), keeping "nausea and vomiting" whole: as an indication it is one complaint."""
    protected = re.sub(r"\bnausea and vomiting\b", "nausea_AND_vomiting", text, flags=re.I)
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
