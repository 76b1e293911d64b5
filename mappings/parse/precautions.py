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

from ..model import Interaction, Monograph, Statement, Unmapped, Warning
from .content import looks_like_disclaimer
from .document import RawSection
from .lists import concepts, is_placeholder, items_with_context, phrase_list
from .text import hedged, sentences, split_top_level, strip_parenthetical

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
_CONTRA_LABEL = re.compile(
    r"contraindicat|do not (?:use|take)|should not (?:be used|take)|who should not", re.I
)
_INTERACT_LABEL = re.compile(r"interact|other (?:medications|drugs|medicines)|concomitant|combin", re.I)

# --- what a sentence states -------------------------------------------------------------------------

# "contraindicated", "do not use", "should not be used/given", "must not", "should be avoided"
_MUST_NOT = re.compile(
    r"\b(?:is|are|be|being|considered|strictly|absolutely)?\s*contraindicat(?:ed|ion|ions)\b"
    r"|\b(?:should|must|can)\s*(?:not|never)\s+(?:\w+ly\s+)?(?:be\s+)?(?:used|use|take|taken|given|give|administered|"
    r"administer|applied|apply|receive|received|start|started|prescribed|injected|mixed|combined)\b"
    r"|\bmust not\b|\bshould never\b|\bmust never\b"
    r"|^(?:do not|don't|never)\s+(?:use|take|give|administer|apply|inject)\b"
    r"|\bshould\s+(?:(?:also|\w+ly)\s+)?(?:be\s+)?avoid(?:ed)?\b|\bmust\s+(?:(?:also|\w+ly)\s+)?(?:be\s+)?avoid(?:ed)?\b"
    r"|\b(?:is|are)\s+not\s+(?:suitable|to be used|to be given)\b",
    re.I,
)
# the modal is softened or made conditional: a warning, not a contraindication
_SOFTENED = re.compile(
    r"\b(?:generally|usually|typically|often|normally|preferably|ideally|relatively|may be|might be|"
    r"if possible|whenever possible|where possible|unless|without (?:consulting|medical|a doctor|a physician|"
    r"specific|prior|first|your|professional|the advice|guidance|supervision|a prescription)|except|"
    r"until|for (?:more|longer) than|longer than|more than|exceed|caution|cautious(?:ly)?|carefully|"
    r"under (?:close |strict |careful )?(?:medical )?supervision|in large amounts|high doses|excessive|"
    r"prolonged|long-term|relative)\b",
    re.I,
)
# "use with caution", "monitor", "not recommended", "consult": a precaution, whatever the label says
_WARNING_MODALITY = re.compile(
    r"\bcaution|\bcareful|\bmonitor|\bnot (?:\w+ )?recommended|\bnot advised|\bconsult|\bdiscuss|"
    r"\b(?:may|might|can) (?:need|require)|\bdose (?:adjustment|reduction)|\bdosage adjustment|^avoid\b",
    re.I,
)
# a way of giving the drug as a sentence's subject: "Intramuscular injection is contraindicated in children"
_USE_SUBJECT = re.compile(r"\b(?:use|injections?|administration|application|infusion|route|form)\b", re.I)
# the drug itself, as a sentence's subject ("Ketorolac", "this medication", "it")
_SELF = re.compile(
    r"^(?:it|they|its use|both|(?:this|these|both|either|its)\s+.+|the\s+(?:\w+\s+)?(?:medications?|medicines?|"
    r"drugs?|products?|combination|formulation|preparation|vaccines?|cream|ointment|gel|solution|injection|"
    r"tablets?|capsules?|supplements?|treatment|therapy|agents?|antibiotics?|use))$",
    re.I,
)
_NOT_A_DRUG = re.compile(
    r"\b(?:risks?|effects?|excretion|safety|use|usage|interactions?|levels?|results?|patients|adults|children|people|"
    r"individuals|women|men|elderly|doses?|dosage|symptoms|signs|caution|consumption|intake|drinking)\b",
    re.I,
)
# a population or condition as a sentence's subject ("Individuals with allergies to X", "Children")
_WHO_SUBJECT = re.compile(
    r"^(?:(?:a|an|the|any|all)\s+)?(?:patients?|individuals?|people|persons?|those|anyone|someone|users|"
    r"subjects|women|men|mothers|children|infants|neonates|newborns|adolescents|adults|elderly|"
    r"older adults|pregnant|breast-?feeding|nursing|lactating|you)\b",
    re.I,
)
_LEAD_IN = re.compile(
    r"^(?:(?:in|by|for|to|during|with|on|among|into|if|when|while|at)\s+)?"
    r"(?:(?:the|a|an)\s+)?"
    r"(?:(?:patients|individuals|people|persons|those|anyone|subjects|users|someone|you)\s+"
    r"(?=with|who|that|having|known|suffering|experiencing|undergoing|taking|receiving|sensitive|allergic|"
    r"hypersensitive))?"
    r"(?:(?:with|who|that)\s+(?:have received|have undergone|have had|have|are|has|had|suffer from|experience|"
    r"are known to have)\s+(?!or\b)(?!taking|receiving|using)"
    r"|(?:who|that)\s+(?:are\s+)?(?=taking|receiving|using|take|use|receive)"
    r"|(?:with|having|known to have|suffering from|experiencing|undergoing)\s+"
    r"|(?:are|is|have|has)\s+)?"
    r"(?:(?:a|an|the)\s+)?",
    re.I,
)
_CONDITION_END = re.compile(
    r"\s*[.;](?:\s|$)|,?\s+(?:due to|because|since|as (?:it|this|they|there|these|the|its|an?)|which|"
    r"owing to|given the|in order to|to avoid|to prevent|so as|unless|except|whereas|while|but|"
    r"and (?:should|must|may|can|is|are|it)|as (?:well as )?(?:this|it) (?:may|can|could))\b",
    re.I,
)
_ADVICE = re.compile(
    r"^(?:always\s+|please\s+|\w+ly\s+|always \w+ly\s+|it is (?:important|essential|crucial|vital) to\s+|it'?s (?:important|essential|"
    r"crucial|vital) to\s+|be sure to\s+|make sure to\s+)?"
    r"(?:inform|tell|consult|talk|ask|discuss|check|speak|let|contact|notify|report|seek|read|follow|"
    r"keep|store|disclose)\b"
    r"|\b(?:inform|tell|consult|notify)\s+(?:your|a|the)\s+(?:doctor|physician|pharmacist|healthcare|health care|"
    r"provider|professional)\b"
    r"|\bnot an? (?:exhaustive|complete) list\b|\bfor a (?:complete|full) list\b|^(?:note|important)\b"
    r"|\b(?:if|should) you (?:experience|notice|develop|have) any\b|\bany (?:new|unusual|serious|concerning|"
    r"adverse|side)\b.*\b(?:report|contact|consult|seek|tell|inform)\b",
    re.I,
)
# the statement is about other drugs, foods or alcohol
_INTERACT_SENTENCE = re.compile(
    r"\binteract|\bconcomitant|\bconcurrent|\bco-?administ|\bcombin(?:ed|ing|ation) (?:\w+ )?with\b|"
    r"\btaken (?:together )?with\b(?! (?:or without )?(?:food|meals|water|a glass|plenty))|"
    r"\b(?:use|used|using|taking|given) (?:\w+ )?(?:together )?with\b(?! (?:caution|care|food|meals|water))|"
    r"\bin combination with\b|"
    r"\b(?:effects?|action|levels?|absorption|metabolism|excretion|clearance|efficacy|effectiveness|toxicity) of\b|"
    r"\b(?:increased|decreased|reduced|enhanced|potentiated|affected|inhibited|altered) by\b",
    re.I,
)
_INTERACTANTS = re.compile(
    r"(?:interact(?:s|ions?)?(?:\s+\w+)?\s+with|interfere(?:s)?\s+with|"
    r"(?:concomitant|concurrent|simultaneous)\s+(?:use|administration)\s+of|"
    r"(?:concomitant|concurrent|combined|simultaneous|co-?)\s*(?:use|administration|therapy|treatment|"
    r"administered)?\s*(?:of\s+[\w-]+\s+)?with|co-?administ\w*\s+(?:of\s+[\w-]+\s+)?with|"
    r"(?:taken|used|use|using|taking|given|combining|combined|mixing|mixed)\s+(?P<mid>(?:[\w-]+\s+){0,5}?)"
    r"with(?!\s+(?:caution|care|(?:or without )?food|meals|water|a (?:full )?glass|plenty|their|your|a doctor))|"
    r"in combination with|"
    r"(?:the\s+)?(?:effects?|action|actions|levels?|concentrations?|absorption|metabolism|excretion|clearance|"
    r"efficacy|effectiveness|toxicity|activity|response)\s+(?:of|to)|"
    r"(?:increased|decreased|reduced|enhanced|potentiated|affected|inhibited|altered|impaired)\s+by)"
    r"\s+(?P<what>.+)",
    re.I,
)
_EFFECT_SPLIT = re.compile(
    r",?\s+(?=(?:potentially|possibly|which|leading|resulting|increasing|decreasing|reducing|causing|as (?:this|it|they)|"
    r"because|due to|and (?:may|can|could)|may|can|could|might|is|are|should|must|will|to (?:avoid|prevent))\b)"
    r"|[;:]\s+|,\s+(?=\w+ing\b)|\s+(?:in|for) (?=(?:patients|people|individuals|those|some|elderly|children)\b)",
    re.I,
)
# "(e.g., opioids, alcohol)", "such as A and B": the named examples of a class
_EXAMPLE_PAREN = re.compile(
    r"\((?:e\.g\.,?|i\.e\.,?|such as|including|like|especially|particularly)?\s*([^()]+)\)", re.I
)
_SUBJECT = re.compile(
    r"^(?P<who>[A-Z0-9][^;:]*?)\s+(?:can|may|might|could|should|will|must|is|are|reduces?|increases?|"
    r"decreases?|enhances?|potentiates?|inhibits?|interferes?|affects?|alters?|prolongs?|raises?|lowers?)\b",
)
_FOOD = re.compile(r"grapefruit|food|juice|dairy|milk|yogh?urt|cheese|caffeine|coffee|tea\b|tyramine", re.I)


def topic_of(text: str) -> str:
    for topic, pattern in TOPICS:
        if pattern.search(text):
            return topic
    return "other"


def is_advice(sentence: str) -> bool:
    """Advice or a disclaimer that names no topic: "Inform your doctor about all medications you take"."""
    return bool(_ADVICE.search(sentence)) and topic_of(sentence) == "other" and not _MUST_NOT.search(sentence)


# what makes a sentence of dosing prose a precaution rather than dosing detail
_PRECAUTION = re.compile(
    r"\bcaution|\bcareful(?:ly)?\b|\bmonitor|\bnot (?:\w+ )?recommended|\bnot advised|\bavoid(?:ed)?\b(?! side effects)|"
    r"\bcontraindicat|\bshould not\b|\bmust not\b|\bnever\b|\bdo not\b|\bdiscontinu|\bnot (?:been )?(?:\w+ )?established|"
    r"\bsafety and (?:effectiveness|efficacy)\b|\bonly under\b|\bunder (?:close |strict )?(?:medical )?supervision|"
    r"\bdos(?:e|age) adjustments? (?:is |are |may be |might be )?(?:necessary|required|needed|crucial)",
    re.I,
)


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
    if not _PRECAUTION.search(sentence) or looks_like_disclaimer(sentence) or is_advice(sentence):
        return False
    if re.search(
        r"\b(?:informational|illustrative|general understanding|self-?medicat\w*|self-?administ\w*|"
        r"substitute|prescribing physician|tailored|individuali[sz]ed)\b",
        sentence,
        re.I,
    ):
        return False
    if re.search(r"\bto (?:avoid|prevent|minimi[sz]e)\b", sentence, re.I) and not _MUST_NOT.search(sentence):
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


class _Reader:
    """Turns one bullet or paragraph into contraindications, interactions and one warning."""

    def __init__(self, section: RawSection, mono: Monograph, strict: bool = False):
        self.section = section
        self.mono = mono
        self.strict = strict  # prose of another section: only sentences that state a precaution
        self.component = section.component
        names = [mono.title, mono.generic_name, *mono.components]
        self.own = {_bare(n).lower().strip() for n in names if n} | {n.lower().strip() for n in names if n}
        self.name = section.component or mono.generic_name or mono.title
        self.drugs = frozenset(w for n in self.own for w in (n, n.split()[0]) if w)

    def unit(self, body: str, source: str, label: str | None, role: str | None, lead: str | None) -> None:
        if lead and role == "contraindication" and not _MUST_NOT.search(body):
            # a bullet under "contraindicated in patients with:" names the condition itself
            self._contraindications(_lead_list(body), source)
            return
        warned: list[str] = []
        placed = False
        for sentence in sentences(body):
            kind = self._kind(sentence, role, label)
            if kind == "contraindication":
                found = self.conditions(sentence, listed=role == "contraindication")
                if found:
                    self._contraindications(found, source)
                    placed = True
                else:
                    warned.append(sentence)
            elif kind == "interaction":
                names, effect = self.interactants(sentence, listed=role == "interaction")
                if names:
                    self._interactions(names, effect, source)
                    placed = True
                # "X may interact with other medications" names no interactant: no statement
            elif kind == "warning" and (not self.strict or _PRECAUTION.search(sentence)):
                warned.append(sentence)
        if self.strict:
            warned = [s for s in warned if _PRECAUTION.search(s)]
        for text in _by_topic(warned) if not label else ([" ".join(warned)] if warned else []):
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
        if is_advice(sentence):
            return None
        about_drugs = role == "interaction" or (
            _INTERACT_SENTENCE.search(sentence) and self._names_other_drug(sentence)
        )
        must_not = _MUST_NOT.search(sentence)
        if must_not and re.search(
            r"\bno\s+(?:\w+\s+)?contraindications?\b|\bnot\s+contraindicated\b", sentence, re.I
        ):
            must_not = None  # "no specific contraindications are listed"
        if must_not and not hedged(sentence) and not _SOFTENED.search(_after_modal(sentence)):
            subject = _strip_subject(sentence[: must_not.start()])
            if _INTERACT_SENTENCE.search(sentence) and self._names_other_drug(sentence):
                return "interaction"
            if (
                subject
                and not _is_self(subject, self.own)
                and not _WHO_SUBJECT.match(subject)
                and not _USE_SUBJECT.search(subject)
                and not re.search(r"\b(?:a|an)\s+contraindication", sentence, re.I)
            ):  # "Live vaccines should be avoided": another drug is the subject
                return "interaction" if role == "interaction" or _looks_like_drug(subject) else "warning"
            if re.search(r"avoid", must_not.group(0), re.I) and not re.search(
                r"allerg|hypersensitiv|sensitiv", sentence, re.I
            ):
                # "should be avoided" is a contraindication for an allergy; for a situation ("during
                # breastfeeding", "in patients over 70") it is a precaution
                return "warning"
            return "contraindication"
        if must_not or _WARNING_MODALITY.search(sentence) or hedged(sentence):
            return "interaction" if about_drugs else "warning"
        if about_drugs:
            return "interaction"
        if _INTERACTANTS.search(sentence) and re.search(r"\binteract", sentence, re.I):
            return None  # "X can interact with various medications" names nothing
        return "contraindication" if role == "contraindication" else "warning"

    def _names_other_drug(self, sentence: str) -> bool:
        return bool(self.interactants(sentence, listed=False)[0])

    # --- contraindications ------------------------------------------------------------------------

    def conditions(self, sentence: str, listed: bool = False) -> list[str]:
        """The conditions a contraindication sentence names, without its lead-in."""
        m = _MUST_NOT.search(sentence)
        listing = m and re.match(
            r"\s*(?:,\s*)?(?:including|include|such as|e\.g\.,?|are|:)\s*", sentence[m.end() :], re.I
        )
        if m and re.search(r"contraindications?$", m.group(0), re.I) and listing:
            what = sentence[m.end() + listing.end() :]  # "has specific contraindications, including A and B"
        elif m:
            subject = _strip_subject(sentence[: m.start()])
            after = sentence[m.end() :]
            if _USE_SUBJECT.search(subject) and not _is_self(
                subject, self.own
            ):  # "Intramuscular injection is contraindicated in pediatric patients": the use is the item
                place = re.match(r"\s*((?:in|for|during)\s+.+)", after, re.I)
                what = f"{subject} {place.group(1)}" if place else subject
            elif _is_self(subject, self.own) or not subject:
                what = _complement(after, self.own)
            elif (
                _WHO_SUBJECT.match(subject)
                or re.search(r"\b(?:a|an)\s+contraindication", sentence, re.I)
                or re.search(r"\b(?:making|rendering)\s+\S+", sentence[: m.start()], re.I)
            ):
                what = subject
            else:
                what = _complement(after) if re.match(r"\s*(?:in|for|during)\b", after, re.I) else ""
        elif listed or re.search(r"\bcontraindications?\b", sentence, re.I):
            what = sentence
            cue = re.search(r"\b(?:such as|including|e\.g\.,?|like|namely)\s+", sentence, re.I)
            if cue and _top_level_cue(sentence):
                what = sentence[cue.end() :]
            elif not phrase_list(sentence.rstrip("."), max_words=14):
                return []
        else:
            return []
        what = _CONDITION_END.split(what)[0]
        cue = re.search(r"\b(?:such as|including|e\.g\.,?|namely)\s+", what, re.I)
        if cue and _top_level_cue(what):
            what = what[cue.end() :]
        pieces = concepts(what, self.drugs)
        return [c for c in (self._resolve(_clean_condition(p)) for p in pieces) if _is_condition(c)]

    def _resolve(self, condition: str) -> str:
        """ "hypersensitivity to it / the drug" → "hypersensitivity to <the drug's name>"."""
        return re.sub(
            r"\b(to|of)\s+(?:it|the drug|the medication|this medication|the medicine|this medicine|this drug|"
            r"the product|this product)\b",
            lambda m: f"{m.group(1)} {self.name}",
            condition,
            flags=re.I,
        )

    def _contraindications(self, conditions: list[str], source: str) -> None:
        for condition in conditions:
            self.mono.contraindications.append(Statement(condition, source, self.component))

    # --- interactions -----------------------------------------------------------------------------

    def interactants(self, sentence: str, listed: bool) -> tuple[list[str], str | None]:
        """The drugs, classes and foods a sentence names as interacting, and the effect it states."""
        candidates: list[tuple[str, str | None]] = []
        m = next((m for m in _INTERACTANTS.finditer(sentence) if self._joins_self(m.group("mid"))), None)
        if m:
            candidates.append((m.group("what"), None))
        s = _SUBJECT.match(sentence)
        who = _strip_subject(s.group("who")) if s else ""
        if s and who != s.group("who").strip(" ,"):
            s = None  # a clause boundary inside: not a noun phrase
        if (
            s
            and (m or listed or _MUST_NOT.search(sentence))
            and not is_advice(sentence)
            and not _is_self(who, self.own)
            and not _NOT_A_DRUG.search(_bare(who.split(",")[0]))
        ):
            # "Probenecid can decrease the renal excretion of cefonicid."
            candidates.append((s.group("who"), sentence[s.end("who") :].strip(" .") or None))
        cue = re.search(
            r"\b(?:including|such as|e\.g\.,?|particularly|especially)\s+(?:with\s+)?(?P<what>.+)"
            r"|^(?:these|they|examples|such (?:drugs|medications))\s+(?:may\s+)?includes?\s+(?P<listed>.+)",
            sentence,
            re.I,
        )
        if cue and (listed or is_advice(sentence) or cue.group("listed")):
            candidates.append((cue.group("what") or cue.group("listed"), None))
        if avoid := re.match(
            r"^avoid\s+(?P<what>.+?)\s+(?:while|when|during)\s+(?:taking|using|on|treatment)\b",
            sentence,
            re.I,
        ):  # "Avoid alcohol and other CNS depressants while using this medication."
            candidates.append((avoid.group("what"), None))
        for what, effect in candidates:
            split = _EFFECT_SPLIT.search(what)
            names_text = what[: split.start()] if split else what
            if effect is None and split:
                effect = what[split.end() :]
            names = self._names(re.split(r"\.\s|\.$", names_text)[0])
            if names:
                if effect:
                    effect = re.split(r"\.\s|\.$", effect)[0].strip(" ,.") or None
                return names, effect
        return [], None

    def _joins_self(self, mid: str | None) -> bool:
        """ "taken with", "using Choline C 11 with", "use of it with": what comes before "with" is the drug."""
        if not mid or not mid.strip():
            return True
        words = re.sub(
            r"\b(?:together|concomitantly|concurrently|simultaneously|of|in|combination)\b",
            " ",
            mid,
            flags=re.I,
        )
        return not words.strip() or _is_self(words.strip(), self.own)

    def _names(self, text: str) -> list[str]:
        out: list[str] = []
        head: str | None = None
        text = re.split(r"\s+in\s+(?!combination|conjunction)", text)[0]
        listed = _with_examples(text)
        first = re.sub(r"^(?:the|a|an)\s+", "", listed[0], flags=re.I) if listed else ""
        if (
            first
            and self._is_own(first)
            and (
                _SELF.match(first.lower())
                or re.search(r"\b(?:especially|particularly|including|such as)\b", text, re.I)
            )
        ):
            return []  # "the side effects of this medication, especially drowsiness" names no other drug
        for raw in listed:
            name = _NOISE.sub("", raw.strip()) if re.match(r"(?:many|various|several)\s", raw, re.I) else raw
            name = re.sub(r"^(?:the|a|an|with)\s+", "", name.strip(" .,:;*"), flags=re.I)
            if is_placeholder(name):
                head = _head_noun(name) or head
                continue
            name = re.sub(
                r"^(?:those|ones)\s+with\s+", "", name, flags=re.I
            )  # "those with strong CYP3A inhibitors"
            those = re.match(
                r"^(?:those|ones)\s+(?P<rest>(?:that|which|who)\b.*|\w+ing\b.*|\w+ed\b.*)$", name, re.I
            )
            if those:  # "other medications, especially those that prolong the QT interval"
                name = f"{head or 'medications'} {those.group('rest')}"
            bare = _bare(name)
            if self._is_own(name) or len(bare.split()) > 12 or not re.search(r"[A-Za-z]{2}", bare):
                continue
            if re.search(
                r"\b(?:you|your|their|doctor|physician|pharmacist|provider|healthcare|professional|"
                r"interactions?|caution|care|risk|side effects?|enzymes?)\b",
                bare,
                re.I,
            ) or re.match(
                r"(?:increase|decrease|reduce|enhance|affect|cause|lead|make|interfere|alter)s?\b", bare, re.I
            ):
                continue
            if re.search(
                r"\b(?:dosage|doses?|imaging|accuracy|results?|tests?|effects?)\b", bare, re.I
            ) or re.fullmatch(r"(?:therapy|treatment|medications?|drugs?|medicines?)", bare, re.I):
                continue
            if out and re.fullmatch(
                r"(?:inhibitors|inducers|blockers|agonists|antagonists|substrates)", name, re.I
            ):
                prefix = re.match(r"^(.*\s)\w+$", out[-1])  # "strong CYP3A inducers and inhibitors"
                name = f"{prefix.group(1)}{name}" if prefix else name
            out.append(name)
        return list(dict.fromkeys(out))

    def _is_own(self, name: str) -> bool:
        """The product itself or only its own ingredients ("Ceftazidime/Avibactam", "atorvastatin")."""
        parts = [
            p.strip(" .").lower()
            for p in re.split(r"\s*(?:[,/+;&]|\band\b|\bwith\b)\s*", _bare(name))
            if p.strip(" .")
        ]
        return bool(parts) and all(p in self.own or _SELF.match(p) for p in parts)

    def _interactions(self, names: list[str], effect: str | None, source: str) -> None:
        for name in names:
            kind = (
                "alcohol"
                if re.search(r"\balcohol\b", name, re.I)
                else "food"
                if _FOOD.search(name)
                else "drug"
            )
            self.mono.interactions.append(Interaction(name, source, effect, kind, self.component))


_NOISE = re.compile(r"^(?:other|certain|some|many|various|several|any|all)\s+(?=\w+\s)", re.I)


def _with_examples(text: str) -> list[str]:
    """ "other CNS depressants (e.g., opioids, alcohol)" → [other CNS depressants, opioids, alcohol];
    "many medications, including A and B" → [many medications, A, B]; "drugs containing A or B" → one
    per A, B; "certain vitamins/minerals" → both."""
    out: list[str] = []
    cue = next(
        (
            c
            for c in re.finditer(
                r",?\s*\b(?:including|such as|e\.g\.,?|particularly|especially|like|notably)\s+", text, re.I
            )
            if text[: c.start()].count("(") <= text[: c.start()].count(")")
        ),
        None,
    )
    main, tail = (text[: cue.start()], text[cue.end() :]) if cue else (text, "")
    for part in [main, tail]:
        for piece in _top_pieces(part):
            inner = _EXAMPLE_PAREN.search(piece)
            listed = split_top_level(inner.group(1)) if inner else []
            cued = re.match(r"\((?:e\.g|such as|including|like)", inner.group(0), re.I) if inner else None
            names = len(listed) >= 2 and not any(
                len(p.split()) > 3 or re.search(r"\b(?:increased|decreased|risk|levels?|effects?)\b", p, re.I)
                for p in listed
            )
            if inner and (cued or names):
                out.append(piece[: inner.start()].strip())
                out.extend(p for p in listed if p.lower() not in ("etc", "etc."))
            else:
                out.append(piece)
    return [p for p in out if p]


_RELATIVE = re.compile(
    r"(?P<head>\b(?:(?:other|certain|some)\s+)?(?:those|ones|medications|drugs|agents|products|foods|supplements)\s+"
    r"(?:that|which)?\s*(?:affecting|affect|containing|contain|used|taken|metabolized|known to|prolonging|"
    r"prolong|increasing|increase|with)\b\s*)(?P<objects>.+)$",
    re.I,
)


def _top_pieces(part: str) -> list[str]:
    """Split a list of names at top-level commas and conjunctions; a relative phrase ("drugs containing
    bicarbonate or carbonate") gives one name per object it lists."""
    pieces: list[str] = []
    for chunk in split_top_level(part, r",|;"):
        rel = _RELATIVE.search(chunk)
        if rel:
            objects = split_top_level(rel.group("objects"), r"\band/or\b|\band\b|\bor\b")
            pieces.extend(f"{rel.group('head')}{o}" for o in objects)
            chunk = chunk[: rel.start()]
        for piece in split_top_level(chunk, r"\band/or\b|\band\b|\bor\b|\bas well as\b"):
            slash = re.fullmatch(r"(?P<q>(?:[\w-]+\s+)*)(?P<a>[A-Za-z-]{3,})/(?P<b>[A-Za-z-]{3,})", piece)
            if slash and not re.search(r"[A-Z]", slash.group("a")[:1] + slash.group("b")[:1]):
                pieces.extend(
                    [f"{slash.group('q')}{slash.group('a')}", f"{slash.group('q')}{slash.group('b')}"]
                )
            else:
                pieces.append(piece)
    return pieces


def _head_noun(placeholder: str) -> str | None:
    m = re.search(
        r"\b(medications|medicines|drugs|agents|substances|products|supplements)\b", placeholder, re.I
    )
    return m.group(1).lower() if m else None


def _bare(text: str) -> str:
    return re.sub(r"\([^()]*\)", " ", text).strip()


def _looks_like_drug(text: str) -> bool:
    return bool(
        re.search(
            r"\b(?:vaccines?|drugs?|medications?|medicines?|agents?|inhibitors?|blockers?|antibiotics?|"
            r"solutions?|supplements?|products?|juice|alcohol|antacids?|nsaids?|opioids?|\w+(?:ine|ol|cin|mycin|"
            r"cillin|pril|sartan|azole|mab|vir|pam|lam|ide|one|ate))\b",
            _bare(text),
            re.I,
        )
    )


def _by_topic(sentences_: list[str]) -> list[str]:
    """Unlabelled prose: a sentence about a new topic (pregnancy, alcohol, ...) starts a new warning;
    sentences without one stay with the warning before them."""
    groups: list[list[str]] = []
    current = None
    for sentence in sentences_:
        topic = topic_of(sentence)
        if not groups or (topic != "other" and topic != current):
            groups.append([sentence])
            current = topic if topic != "other" else current
        else:
            groups[-1].append(sentence)
    return [" ".join(g) for g in groups]


def _top_level_cue(text: str) -> bool:
    """ "such as A, B" outside parentheses: the examples are the items."""
    m = re.search(r"\b(?:such as|including|e\.g\.|like)\b", text, re.I)
    return bool(m) and text[: m.start()].count("(") <= text[: m.start()].count(")")


def _only_possible(sentence: str) -> bool:
    """ "Drug interactions are possible." names nothing: no statement."""
    return bool(
        re.search(r"\binteractions?\b.*\b(?:possible|can occur|may occur|are common)\b", sentence, re.I)
    )


def _after_modal(sentence: str) -> str:
    """The clause that holds the modal: its subject and what follows."""
    m = _MUST_NOT.search(sentence)
    if not m:
        return sentence
    return f"{_strip_subject(sentence[: m.start()])} {sentence[m.start() :]}"


def _strip_subject(text: str) -> str:
    """The subject of the clause that holds the modal: "X is a category X drug, meaning it's" → "it";
    "Methotrexate passes into breast milk and" → "Methotrexate" (the verbs share the sentence's subject)."""
    text = text.strip()
    if re.search(r"(?:,\s*|\s)and$", text):
        first = re.match(
            r"^(.+?)\s+(?:is|are|was|has|have|can|may|might|passes|pass|crosses|cross|\w+s)\b", text
        )
        text = first.group(1) if first else ""
    text = re.split(
        r";\s+|,\s+(?=(?:so|and so|which|meaning|therefore|thus|hence|however|but|although|though|while|whereas|yet)\b)"
        r"|\s+(?:so|meaning|which means|therefore|thus|however|but)\s+",
        text,
    )[-1]
    text = re.sub(
        r"^(?:however|also|additionally|furthermore|importantly|therefore|thus|in addition|meaning|so|which),?\s+",
        "",
        text.strip(),
        flags=re.I,
    )
    text = re.sub(r"^(it|this|that)[’']s\b", r"\1", text, flags=re.I)
    previous = None
    while previous != text:
        previous, text = (
            text,
            re.sub(
                r"\s+(?:is|are)(?:\s+also)?(?:\s+an?)?(?:\s+(?:absolute|strict|relative))?$|\s+(?:also|strictly|absolutely)$",
                "",
                text,
            ),
        )
    text = re.sub(r"[’']s$", "", text.strip(" ,"))
    return re.sub(r"^(?:making|rendering)\s+", "", text)


def _is_self(subject: str, own: set[str]) -> bool:
    s = _bare(subject).lower().strip(" ,")
    s = re.sub(r"\s+(?:is|are)$", "", s)
    if not s:
        return True
    return (
        bool(_SELF.match(s))
        or s in own
        or any(s.startswith(o) and len(s) <= len(o) + 25 for o in own if o)
        or any(o.startswith(s) and len(s) >= 5 for o in own if o)
    )


def _complement(after: str, own: set[str] = frozenset()) -> str:
    """What follows "should not be used": the condition, without "in patients with"; "" when the verb's
    object is something other than the drug ("never give adult doses to children")."""
    after = after.strip(" ,")
    for name in sorted(own, key=len, reverse=True):  # "Do not use ipratropium if ..."
        if name and re.match(rf"(?:\w+\s+)?{re.escape(name)}\b", after, re.I):
            after = re.sub(rf"^((?:\w+\s+)?){re.escape(name)}\b", r"\1it", after, count=1, flags=re.I)
            break
    after = re.sub(r"^\([^()]*\)\s*", "", after)  # "contraindicated (should not be used) in ..."
    verb = re.match(
        r"(?:(?:use|take|give|administer|apply|inject|start|receive|be\s+\w+ed|be)\s+)?"
        r"(?:(?:it|them|this|these|the|its|any)\s+(?:\w+\s+){0,2}?(?:medications?|medicines?|drugs?|products?|combination|"
        r"vaccines?|formulation|cream|treatment|therapy|supplements?)\s+|it\s+|them\s+|this\s+)?",
        after,
        re.I,
    )
    rest = after[verb.end() :] if verb else after
    if m := re.match(
        r"(?:if|when)\s+(?:you|the patient|patients)\s+(?:are|have|has|had)\s+(?:(?:a|an)\s+)?", rest, re.I
    ):
        return rest[m.end() :]
    if not re.match(
        r"(?:in|by|for|to|during|with|on|among|when|while|after|before|within|if|as)\b", rest, re.I
    ):
        return ""
    rest = re.sub(r"^(?:for|in)\s+(?:treating|the treatment of|use (?:on|in))\s+", "", rest, flags=re.I)
    return _LEAD_IN.sub("", rest, count=1)


def _clean_condition(text: str) -> str:
    text = _LEAD_IN.sub("", text.strip(" ,.;:"), count=1)
    text = re.sub(r"^(?:(?:are|is)\s+)?allergic\s+to\b", "allergy to", text, flags=re.I)
    text = re.sub(r"^(?:(?:are|is)\s+)?sensitive\s+to\b", "sensitivity to", text, flags=re.I)
    text = re.sub(r"^(?:a|an|the)\s+", "", text, flags=re.I)
    return strip_parenthetical(text).strip(" ,.;:")


def _is_condition(text: str) -> bool:
    bare = _bare(text)
    if not bare or len(bare.split()) > 14 or not re.search(r"[A-Za-z]{3}", bare):
        return False
    if re.match(
        r"^(?:it|this|them|these|those|they|certain conditions|other conditions|some conditions|"
        r"(?:certain|other|some|various)(?: other| medical| health)* conditions|specific contraindications|"
        r"conditions|the following|following)$",
        bare,
        re.I,
    ):
        return False
    return not re.search(
        r"\b(?:should|must|consult|doctor|physician|pharmacist|healthcare provider)\b", bare, re.I
    )


def _lead_list(body: str) -> list[str]:
    """A bullet under a contraindication lead-in: the condition(s) it names."""
    text = body.strip().rstrip(".")
    text = re.split(r"\s+[-–—]\s+|:\s+|(?<=[a-z)])\.\s+", text, maxsplit=1)[0]
    text = _CONDITION_END.split(text)[0]
    return [c for c in (_clean_condition(p) for p in concepts(text)) if _is_condition(c)] or [text]
