"""What a sentence says a product is used for: the conditions a use clause names ("used to treat A, B and
C", "treatment of A", "indicated for A"), each whole with its qualifiers, without hedged, negated or
restricted uses. The usage section walker (usage.py) reads bullets and labels with it.
"""

from __future__ import annotations

import re

from ..model import Indication
from .lists import concepts, examples_in
from .text import hedged, negated, sentences, split_top_level

# what a clause says the product is for; the condition follows the match
USED_FOR = re.compile(
    r"\b(?:(?:short-term|long-term|symptomatic|temporary|adjunctive|adjunct|first-line|second-line|"
    r"maintenance|supportive|preventive|prophylactic|local|topical)\s+)?"
    r"(?:(?:treatment|management|prevention|prophylaxis|relief|control)\s+(?:and|or)\s+)?"
    r"(?:treatment|management|prevention|prophylaxis|relief|control|therapy|alleviation|reduction|resolution)"
    r"\s+(?:of|for|from)\s+"
    r"|\b(?:uses?|applications?|indications?)\s+(?:is|are)\s+(?:in|for)\s+"
    r"|(?<!not )\b(?:also\s+)?effective\s+against\s+"
    r"|\b(?:to|helps?|help to|and|or|can|may|also|effectively|primarily|mainly)\s+"
    r"(?:(?:help|helps|also|effectively|actively)\s+)?(?:(?:to)\s+)?"
    r"(?:(?:treat|manage|prevent|relieve|control)\s+(?:and|or)\s+(?:delay\s+)?)?"
    r"(?:treat|manage|prevent|relieve|control|alleviate|ease|combat|fight|soothe|reduce the symptoms of|reduce|"
    r"relieve the symptoms of|protect against|immuni[sz]e against|protect (?:\w+\s+){0,4}?against)\s+"
    r"|\b(?:treats|treating|manages|managing|prevents|preventing|relieves|relieving|controls|controlling|"
    r"alleviates|alleviating|combats|combating)\s+"
    r"|\b(?:used|taken|combined(?:\s+in\s+\w+)?)\s+(?:\w+ly\s+)?to\s+(?:help\s+)?"
    r"(?P<benefit>support|enhance|improve|promote|maintain|boost)\s+"
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
    r"(?<!\b[A-Z])\s*[.;:!?](?:\s|$)|\s+[-–—]\s+|\s*\((?:e\.g|i\.e|such as|including)\b"
    r"|\s+to\s+(?:help\s+)?(?:visuali[sz]e|detect|diagnose|assess|evaluate|identify|highlight|enhance|image)\b"
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
WHO_LEAD = re.compile(
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
# "associated with conditions like A and B": the umbrella between the qualifier and its examples
_QUALIFIED_EXAMPLES = re.compile(
    r"\b(?P<cue>associated with|caused by|related to|resulting from|secondary to|due to|induced by|linked to)\s+"
    r"(?:\w+\s+)?(?:conditions|diseases|disorders|illnesses)\s*,?\s*(?:such as|like|including)\s+",
    re.I,
)
_ORGANISMS = re.compile(
    r"\b(?:bacteria|organisms|microorganisms|microbes|pathogens|species|fungi|(?:broad|wide|narrow)[- ]spectrum|"
    r"spectrum of|gram-(?:positive|negative))\b",
    re.I,
)
# a bold label that says what kind of use follows, not which condition
USE_LABEL = re.compile(
    r"^(?:(?:primary|secondary|main|major|other|additional|common|approved|labell?ed|off[- ]label|unlabell?ed|"
    r"therapeutic|medical|clinical|general|specific|fda[- ]approved|key|important|typical|usual|potential|"
    r"possible|investigational|emerging|traditional|experimental|current|less common|rare|"
    r"[a-z]+(?:al|ic)|\w+)\s+)*"
    r"(?:uses?|indications?|applications?|purposes?|areas? of use|use cases?)(?:\s*\([^()]*\))?$"
    r"|^off[- ]label(?:\s+uses?)?$|^(?:important\s+)?notes?$|^important$|^indicated for$|^used for$",
    re.I,
)
# a noun-phrase bullet, not a sentence: no finite verb of its own
VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|can|may|might|will|should|must|helps?|works?|treats?|used|reduces?|"
    r"prevents?|relieves?|acts?|provides?|includes?|causes?|affects?|has|have)\b",
    re.I,
)
GENERIC_TERM = re.compile(
    r"^(?:(?:various|certain|some|many|several|other|specific|a (?:variety|range|number) of|different|"
    r"numerous|multiple|related|similar)\s+)+(?:[\w-]+\s+)?(?:conditions|disorders|diseases|problems|issues|infections|"
    r"symptoms|ailments|uses|situations|cases)\b",
    re.I,
)
# umbrella phrases that name no condition in particular: "various bacterial infections", "several cancers"
VAGUE = re.compile(
    r"^(?:various|several|numerous|a (?:wide |broad )?(?:variety|range|number) of|"
    r"(?:several|various|many|different) (?:types|kinds|forms) of)\s",
    re.I,
)
# a label that names a benefit or an action, not a condition: "Improved digestion", "Modulate the immune system"
BENEFIT = re.compile(
    r"^(?:improv|enhanc|reduc|increas|boost|support|promot|maintain|restor|strengthen|compet|modulat|regulat|"
    r"balanc|aid|help|protect|better|optimi|detox|stimulat|nourish|moistur|hydrat|soothing)\w*\b",
    re.I,
)
# a verb in -ing, not a symptom noun such as "bleeding" or "vomiting"
GERUND = re.compile(
    r"^(?!(?:bleeding|swelling|itching|vomiting|sneezing|wheezing|coughing|burning|tingling|bloating|"
    r"ringing|stinging|scarring|wasting|fainting|sweating|flushing|bedwetting|hiccuping|snoring)\b)"
    r"[a-z]+ing\b",
    re.I,
)
# words that make a label a clinical condition rather than a body site or a kind of use
CLINICAL_WORD = re.compile(
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


def negated_use(text: str) -> bool:
    return bool(
        re.search(
            r"\bnot\s+(?:\w+\s+){0,3}?(?:recommended|suitable|indicated|intended|approved|effective|used|"
            r"appropriate|a (?:\w+ )?(?:treatment|cure|substitute|replacement))\b|\b(?:does|do|will|can)\s*(?:not|n't)\s+"
            r"(?:treat|cure|prevent|replace)\b|\bnot for\b|\bnever\b",
            text,
            re.I,
        )
    )


def from_prose(
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
    sentence = re.sub(
        r",?\s+but (?:is|are) not limited to\b,?", "", sentence, flags=re.I
    )  # widens, negates nothing
    # "BPH – an enlarged prostate gland – and male pattern baldness": an apposition between dashes
    sentence = re.sub(r"\s+[–—-]\s+(?:an?|the)\s[^–—.;]+?\s+[–—-]\s+", " ", sentence)
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
            found.extend(condition_text(c) for c in examples(clause))
            continue
        matches = list(USED_FOR.finditer(clause))
        if not matches and lenient and not VERB.search(clause):
            matches = [re.match(r"", clause)]  # "**Primary Use:** Anxiety disorders and panic attacks."
        for i, m in enumerate(matches):
            later = matches[i + 1] if i + 1 < len(matches) else None
            if later and _inside(later, m, clause):
                continue  # "used for the management of X": the later cue names X
            if negated_use(clause[: m.end()]) or negated(clause[max(0, m.start() - 25) : m.end()]):
                continue
            if _CLASS_ACTION.search(clause[: m.start()]) and not re.match(
                r"(?:helps?|can|may)\b", m.group(0), re.I
            ):
                continue  # "An antifungal agent that combats fungal infections" says what kind of drug it is
            what = clause[m.end() : later.start() if later else len(clause)]
            what = _TRAILING.sub("", what.strip())
            end = _CLAUSE_END.search(what)
            # "breast cancer that has spread ...": the bare condition would lose the restriction
            restricted = bool(end and _RESTRICTED.match(what[end.start() :]))
            what = _TRAILING.sub("", what[: end.start()]) if end else what
            if re.search(r"effective", m.group(0), re.I) and (
                _ORGANISMS.search(what) or not CLINICAL_WORD.search(what.split(",")[0])
            ):
                continue  # "effective against Candida species, the fungus ..." names organisms
            if "reduce" in m.group(0).lower() and not CLINICAL_WORD.search(what):
                continue  # "reduce cystine levels" names no condition
            if benefit := m.groupdict().get("benefit"):
                # "used to support cardiovascular health": the stated purpose, with its verb
                found.extend(
                    f"{benefit.lower()} {c}"
                    for c in _split_conditions(what)
                    if acceptable(c) and len(without_parentheses(c).split()) <= 4 and not _BARE_VERB.match(c)
                )
                continue
            prevention = re.search(r"prevent|prophyla", m.group(0), re.I)
            # "short-term relief of", "symptomatic relief of": how the use is limited belongs to the item
            limited = re.match(
                r"(short-term|symptomatic|temporary)\s+(\w+)\s+(?:of|for|from)\s", m.group(0), re.I
            )
            # "to treat and prevent X", "treatment and prevention of X": both uses are stated
            treated = prevention and re.search(r"treat|manage|control", m.group(0), re.I)
            for c in _split_conditions(what)[: -1 if restricted else None]:
                if not acceptable(c):
                    continue
                if treated:
                    found.append(c)
                if prevention and not re.match(r"prevention|prophylaxis", c, re.I):
                    c = f"prevention of {c}"
                elif limited:
                    c = f"{limited.group(1)} {limited.group(2)} of {c}"
                if acceptable(c):
                    found.append(c)
    return [t for c in found if acceptable(c) or BENEFIT.match(c) for t in by_type(c)]


# a piece that starts another action: "(support overall health and) address potential deficiencies"
_BARE_VERB = re.compile(
    r"^(?:address|provide|help|make|keep|give|fight|protect|reduce|increase|lower|raise|aid|boost|maintain)\b",
    re.I,
)


def parenthesised_examples(condition: str) -> list[str]:
    """The conditions a parenthesis names as examples ("(like pneumonia and bronchitis)", "(such as A and B)")
    or lists ("(bacterial meningitis, pneumonia, and other serious infections)"); none for a gloss
    ("(middle ear infection)"), a qualifier ("(animal or human)") or an abbreviation."""
    out: list[str] = []
    for inner in re.findall(r"\(([^()]+)\)", condition):
        cue = re.match(
            r"\s*(?:such as|including|e\.g\.,?|like|for example|especially|particularly)\s+", inner, re.I
        )
        # a listed parenthesis must name conditions piece by piece: "(infection of the brain and spinal cord)"
        # is one gloss
        pieces = concepts(inner[cue.end() :]) if cue else split_top_level(inner)
        items = [
            condition_text(c)
            for c in pieces
            if not re.match(r"(?:other|many|various|several|some)\b", c, re.I)
        ]
        items = [c for c in items if not re.match(r"(?:within|inside|part of|of|in|on|at)\b", c, re.I)]
        clinical = [c for c in items if CLINICAL_WORD.search(c)]
        lone = [c for c in items if len(c.split()) == 1 and one_word_condition(c) and not c.isupper()]
        if (
            cue and len(items) >= 2
        ):  # "(including pneumonia)" alone qualifies the group; two or more name kinds
            named = [c for c in items if acceptable(c)]
        elif len(clinical) == len(items) >= 2 or (
            len(items) >= 3 and len(clinical) + len(lone) == len(items)
        ):
            named = [c for c in items if acceptable(c)]
        else:
            named = []
        out.extend(c for c in named if c.lower() != condition.lower())
    return out


def by_type(condition: str) -> list[str]:
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
    r"|\s+that\s+(?:hasn't|haven't|hasn’t|haven’t|did not|does not|do not|cannot|can't|includes?|involves?)\b"
    r"|\s+that\s+(?:causes?|produces?)\s+symptoms\b"
    r"|,?\s+(?:where|when|in which)\s+other\s+(?:[\w-]+\s+){0,2}(?:are|is|have|has)\s+(?:ineffective|failed|not|"
    r"unsuitable|contraindicated|poorly)\b",
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
    who = WHO_LEAD.match(what.strip())
    if who and (population := _POPULATION.match(who.group(0))):
        # "adults and children (5 years and older) with active SLE" → "active SLE in adults and children (...)"
        what = f"{what.strip()[who.end() :]} in {population.group(0).strip()}"
    what = WHO_LEAD.sub("", what.strip())
    what = re.split(r",\s+(?:a|an)\s", what)[0]  # "yellow fever, a serious viral fever ...": an apposition
    # "inflammation associated with conditions like arthritis": the qualifier holds for each example
    what = _QUALIFIED_EXAMPLES.sub(r"\g<cue> ", what)
    named = examples(what)
    if named:
        return [condition_text(c) for c in named]
    if GENERIC_TERM.match(what) or VAGUE.match(what):
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
        return [condition_text(c) for c in split_concepts(what)]
    # "nausea and vomiting associated with pregnancy, surgery": the qualifier holds for each place it names
    head, cue = what[: qualifier.start()], qualifier.group(0).rstrip()
    tail = re.split(r",\s+(?:an?|the)\s", what[qualifier.end() :])[0].strip()
    if GENERIC_TERM.match(tail) or VAGUE.match(tail):
        return []  # "rhinorrhea associated with several conditions": the list that follows qualifies it
    heads = [head.strip()] if "," not in head and len(head.split()) <= 3 else split_concepts(head)
    if not tail:
        return [condition_text(c) for c in heads]
    # "... schizophrenia or bipolar I disorder in adults experiencing acute episodes": who holds for each
    who = re.search(
        r"\s+in\s+(?:adults?|children|adolescents|infants|patients|elderly|women|men)\b.*$", tail, re.I
    )
    population = who.group(0) if who else ""
    places = split_concepts(tail[: who.start()] if who else tail)
    if (
        len(places) < 2
        or any(len(p.split()) > 5 for p in places)
        or not re.search(r"\b(?:and|or)\b", tail)  # "thick, sticky mucus": adjectives, not a list
    ):
        places, population = [tail], ""
    return [condition_text(c) for c in [*heads[:-1], *(f"{heads[-1]}{cue} {p}{population}" for p in places)]]


def split_concepts(text: str) -> list[str]:
    """concepts(), keeping a named syndrome whole ("postoperative nausea and vomiting", "nausea and vomiting
    associated with pregnancy", "procedural sedation and analgesia"); bare "nausea and vomiting" is two."""

    def protect(m: re.Match) -> str:
        named = (m.group("mod") and not _JOINER.fullmatch(m.group("mod").strip())) or m.group("tail")
        return m.group(0).replace(" and ", "_AND_") if named else m.group(0)

    protected = _SYNDROME.sub(protect, text)
    return [c.replace("_AND_", " and ") for c in concepts(protected)]


_SYNDROME = re.compile(
    r"(?P<mod>\b[\w-]+\s+)?\b(?:nausea and vomiting|sedation and analgesia)\b"
    r"(?P<tail>\s+(?:associated|caused|induced|due|related|resulting|in|after|following)\b|\s*\()?",
    re.I,
)
_JOINER = re.compile(
    r"and|or|of|as well as|from|for|with|to|relieve|prevent|treat|manage|control|reduce", re.I
)


def examples(text: str) -> list[str]:
    """examples_in, following chained cues: "includes various subtypes like A, B" → [A, B]."""
    named = examples_in(text, keep_head=True)
    head = named[: len(named) - len(examples_in(text))]
    # "pain and inflammation associated with joint disorders like RA": a piece of the qualifier is no item
    if head and (_QUALIFIES.search(f" {head[-1]} ") or _QUALIFIES.search(f"{text.split(head[-1])[0]} ")):
        named.remove(head[-1])
        head = head[:-1]
    if named and examples_in(named[0]):
        return [*examples_in(named[0]), *named[1:]]
    return [*head, *kinds_of(text, named[len(head) :])]


# a drug class and the action that defines it: "an antibiotic that (fights ...)", "an agent which (kills ...)"
_CLASS_ACTION = re.compile(
    r"\b(?:an?|the)\s+(?:[\w-]+\s+){0,3}?(?:agents?|drugs?|antibiotics?|antifungals?|antibacterials?|antivirals?|"
    r"antihistamines?|compounds?|substances?|enzymes?)\s+(?:that|which)\s*$",
    re.I,
)


def kinds_of(text: str, named: list[str]) -> list[str]:
    """ "various forms of leishmaniasis, including cutaneous, mucosal, and visceral" → one kind per adjective."""
    of = re.search(
        r"\b(?:forms?|types?|kinds?|cases?)\s+of\s+(?P<noun>[\w-]+)\s*,?\s*(?:including|such as|like)\b",
        text,
        re.I,
    )
    if not of or not named:
        return named
    last = named[-1]
    kinds = [k for n in named for k in split_top_level(n)]
    if not all(re.fullmatch(r"[a-z-]+(?:ous|al|ic|ary|ive|ed|ar)", k, re.I) for k in kinds):
        return named
    return [f"{k} {of.group('noun')}" for k in kinds] if last else named


_PREVENTING = re.compile(r"^preventing\s+", re.I)
_GERUND_LEAD = re.compile(r"^(?:treating|managing|relieving|controlling|combating|alleviating)\s+", re.I)
_MANAGEMENT_TAIL = re.compile(r"\s+management$", re.I)
_TREATMENT_OF = re.compile(r"^(?:the\s+)?(?:treatment|management) of\s+", re.I)
_FROM_CONDITIONS = re.compile(r"^from\s+(?:conditions?\s+(?:like|such as)\s+)?", re.I)
_AND_OTHER_TAIL = re.compile(r",?\s+(?:and|or) other\s+[^,;()]+$", re.I)
_IN_SITUATIONS_TAIL = re.compile(
    r"\s+in (?:specific|certain|some|selected) (?:situations|cases|circumstances)$", re.I
)
_EMPHASIS_LEAD = re.compile(
    r"^(?:particularly|especially|specifically|mainly|mostly|primarily|typically|usually|often|notably|"
    r"including|also|even|potentially)\s+",
    re.I,
)
_APPOSITION_OF = re.compile(r"^(?:a|an)\s.*\bof\b", re.I)
_ADVERB_TAIL = re.compile(
    r"\s+(?:simultaneously|effectively|quickly|together|alone|only|including|such as|like)$", re.I
)


def condition_text(text: str) -> str:
    text = _PREVENTING.sub("prevention of ", text.strip())
    text = _GERUND_LEAD.sub("", text)
    text = _MANAGEMENT_TAIL.sub("", text)
    # a label's "Treatment of X"; "from conditions like X"; "RA and other arthritic conditions"
    text = _TREATMENT_OF.sub("", text)
    text = _FROM_CONDITIONS.sub("", text)
    text = _AND_OTHER_TAIL.sub("", text)
    text = _IN_SITUATIONS_TAIL.sub("", text)
    text = _EMPHASIS_LEAD.sub("", text.strip(" ,.;:*"))
    text = WHO_LEAD.sub("", text)
    if not _APPOSITION_OF.match(text):  # "a common cause of X" stays an apposition
        text = _ARTICLE.sub("", text)
    text = _ADVERB_TAIL.sub("", text)
    return text.strip(" ,.;:*")


_REFERENCE = re.compile(
    r"\b(?:this|these|that|such|its)\s+(?:conditions?|diseases?|infections?|problems?)\b", re.I
)


def acceptable(condition: str) -> bool:
    c = condition.strip()
    if not c or c.lower() in _PRONOUNS or GENERIC_TERM.match(c) or VAGUE.match(c) or GERUND.match(c):
        return False
    if re.search(r"\b(?:the|of|a|an|with|to|and|or|in|for|from|by)$", c, re.I):
        return False  # a phrase cut off at a lead-in: "infections of the:"
    if re.fullmatch(r"(?:symptomatic |temporary |short-term )?relief|(?:\w+\s+)?therapy", c, re.I):
        return False  # "used for symptomatic relief" names no condition
    if re.fullmatch(r"(?:(?:prevention|treatment) of )?other\s+[\w-]+", c, re.I) or re.match(
        r"(?:other\s+(?:forms|types|kinds)\s+of|any|all)\s", c, re.I
    ):
        return False  # "other cancers", "any health problems" stand for no condition in particular
    if (_REFERENCE.search(c) and not CLINICAL_WORD.search(_REFERENCE.sub(" ", c))) or re.fullmatch(
        r"(?:specific|particular|underlying)\s+[\w-]+", c, re.I
    ):
        return False  # "hospitalization in patients with this condition", "specific infection" refer back
    if re.match(
        r"(?:it|it's|it’s|its|they|this|these|in|on|at|to|for|with|by|potentially|improve|enhance|help)\b",
        c,
        re.I,
    ):
        return False
    if BENEFIT.match(c) and not CLINICAL_WORD.search(c):
        return False  # "Improved digestion" names a benefit
    if len(without_parentheses(c).split()) == 1 and not one_word_condition(without_parentheses(c).strip()):
        return False
    if (risk := re.match(r"(?:the\s+)?risk of\s+(.+)$", c, re.I)) and (
        GENERIC_TERM.match(risk.group(1)) or VAGUE.match(risk.group(1))
    ):
        return False
    if _APPOSITIVE.match(c) or _WHO.match(c) or USE_LABEL.match(c):
        return False
    bare = without_parentheses(c)
    if len(bare.split()) > 16 or not re.search(r"[A-Za-z]{3}", bare):
        return False
    if re.fullmatch(
        r"(?:genotypes?|types?|stages?|grades?|class(?:es)?|phases?)\s+[\w-]{1,4}", bare.strip(), re.I
    ):
        return False  # "genotype 4" names a subtype, not the condition
    if c.count("(") != c.count(")") or negated(c) or VERB.search(bare) or _ORGANISMS.search(bare):
        return False
    if re.search(
        r"^(?:meaning|i\.e|known as|called|such as|including|like)\b|\b(?:such as|including|like)$", c, re.I
    ):
        return False
    if re.match(r"^(?:a|an)\s.*\bof\b", c, re.I) or re.fullmatch(r"[A-Za-z-]+(?:ous|al|ic|ive|ary|ory)", c):
        return False
    return not re.search(r"\b(?:mg|mcg|ml|ClCr|CrCl|clearance|ml/min)\b|^\(?(?:IM|IV|SC|PO)\)?$", c, re.I)


def one_word_condition(word: str) -> bool:
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


def without_parentheses(text: str) -> str:
    return re.sub(r"\([^()]*\)", " ", text)
