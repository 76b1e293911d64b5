"""What a precaution sentence states: its topic, its modality (must not / caution / advice) and its
subject (the product itself, a population, another drug). Shared by the section walker
(precautions.py), the contraindication reader (conditions.py) and the interactant reader
(interactants.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

# --- what a sentence states -------------------------------------------------------------------------

# "contraindicated", "do not use", "should not be used/given", "must not", "should be avoided"
MUST_NOT = re.compile(
    r"\b(?:is|are|be|being|considered|strictly|absolutely)?\s*contraindicat(?:ed|ion|ions)\b"
    r"|\b(?:should|must|can)\s*(?:not|never)\s+(?:\w+ly\s+)?(?:be\s+)?(?:used|use|take|taken|given|give|administered|"
    r"administer|applied|apply|receive|received|start|started|prescribed|injected|mixed|combined)\b"
    r"|\bmust not\b|\bshould never\b|\bmust never\b"
    r"|^(?:do not|don't|never)\s+(?:use|take|give|administer|apply|inject)\b"
    r"|\bshould\s+(?:(?:also|\w+ly)\s+)?(?:be\s+)?avoid(?:ed)?\b|\bmust\s+(?:(?:also|\w+ly)\s+)?(?:be\s+)?avoid(?:ed)?\b"
    r"|\b(?:is|are)\s+not\s+(?:to be used|to be given)\b",
    re.I,
)
# the modal is softened or made conditional: a warning, not a contraindication
SOFTENED = re.compile(
    r"\b(?:generally|usually|typically|often|normally|preferably|ideally|relatively|may be|might be|"
    r"if possible|whenever possible|where possible|unless|without (?:consulting|medical|a doctor|a physician|"
    r"specific|prior|first|your|professional|the advice|guidance|supervision|a prescription)|except|"
    r"until|for (?:more|longer) than|longer than|more than|exceed|caution|cautious(?:ly)?|carefully|"
    r"under (?:close |strict |careful )?(?:medical )?supervision|in large amounts|high doses|excessive|"
    r"prolonged|long-term|relative)\b",
    re.I,
)
# "use with caution", "monitor", "not recommended", "consult": a precaution, whatever the label says
WARNING_MODALITY = re.compile(
    r"\bcaution|\bcareful|\bmonitor|\bnot (?:\w+ )?recommended|\bnot advised|\bconsult|\bdiscuss|"
    r"\b(?:may|might|can) (?:need|require)|\bdose (?:adjustment|reduction)|\bdosage adjustment|^avoid\b",
    re.I,
)
# a way of giving the drug as a sentence's subject: "Intramuscular injection is contraindicated in children"
USE_SUBJECT = re.compile(r"\b(?:use|injections?|administration|application|infusion|route|form)\b", re.I)
# the drug itself, as a sentence's subject ("Ketorolac", "this medication", "it")
SELF = re.compile(
    r"^(?:it|they|its use|both|(?:this|these|both|either|its)\s+.+|the\s+(?:\w+\s+)?(?:medications?|medicines?|"
    r"drugs?|products?|combination|formulation|preparation|vaccines?|cream|ointment|gel|solution|injection|"
    r"tablets?|capsules?|supplements?|treatment|therapy|agents?|antibiotics?|use))$",
    re.I,
)
NOT_A_DRUG = re.compile(
    r"\b(?:risks?|effects?|excretion|safety|use|usage|interactions?|levels?|results?|patients|adults|children|people|"
    r"individuals|women|men|elderly|doses?|dosage|symptoms|signs|caution|consumption|intake|drinking)\b",
    re.I,
)
# a population or condition as a sentence's subject ("Individuals with allergies to X", "Children")
WHO_SUBJECT = re.compile(
    r"^(?:(?:a|an|the|any|all)\s+)?(?:patients?|individuals?|people|persons?|those|anyone|someone|users|"
    r"subjects|women|men|mothers|children|infants|neonates|newborns|adolescents|adults|elderly|"
    r"older adults|pregnant|breast-?feeding|nursing|lactating|you)\b",
    re.I,
)
_ADVICE = re.compile(
    r"(?:^|;\s+)(?:always\s+|please\s+|\w+ly\s+|always \w+ly\s+|it is (?:important|essential|crucial|vital) to\s+|it'?s (?:important|essential|"
    r"crucial|vital) to\s+|be sure to\s+|make sure to\s+)?"
    r"(?:inform|tell|consult|talk|ask|discuss|check|speak|let|contact|notify|report|seek|read|follow|"
    r"keep|store|disclose)\b"
    r"|\b(?:inform|tell|consult|notify)\s+(?:your|a|the)\s+(?:doctor|physician|pharmacist|healthcare|health care|"
    r"provider|professional)\b"
    r"|\bnot an? (?:exhaustive|complete) list\b|\bfor a (?:complete|full) list\b|^(?:note|important)\b"
    r"|\b(?:if|should) you (?:experience|notice|develop|have) any\b|\bany (?:new|unusual|serious|concerning|"
    r"adverse|side)\b.*\b(?:report|contact|consult|seek|tell|inform)\b"
    r"|\bshould (?:be )?(?:reported|discuss(?:ed)?)\b(?:\s+\w+){0,4}\s+(?:to|with) (?:a|your|their|the) (?:doctor|"
    r"physician|healthcare|health care|pharmacist)",
    re.I,
)


def topic_of(text: str) -> str:
    for topic, pattern in TOPICS:
        if pattern.search(text):
            return topic
    return "other"


def is_advice(sentence: str) -> bool:
    """Advice or a disclaimer that names no topic: "Inform your doctor about all medications you take"."""
    return bool(_ADVICE.search(sentence)) and topic_of(sentence) == "other" and not MUST_NOT.search(sentence)


# what makes a sentence of dosing prose a precaution rather than dosing detail
PRECAUTION = re.compile(
    r"\bcaution|\bcareful(?:ly)?\b|\bmonitor|\bnot (?:\w+ )?recommended|\bnot advised|\bavoid(?:ed)?\b(?! side effects)|"
    r"\bcontraindicat|\bshould not\b|\bmust not\b|\bnever\b|\bdo not\b|\bdiscontinu|\bnot (?:been )?(?:\w+ )?established|"
    r"\bsafety and (?:effectiveness|efficacy)\b|\bonly under\b|\bunder (?:close |strict )?(?:medical )?supervision|"
    r"\bdos(?:e|age) adjustments? (?:is |are |may be |might be )?(?:necessary|required|needed|crucial)",
    re.I,
)


def bare_text(text: str) -> str:
    """The text without its parentheses, nested ones too."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", " ", text)
    return text.strip()


def looks_like_drug(text: str) -> bool:
    return bool(
        re.search(
            r"\b(?:vaccines?|drugs?|medications?|medicines?|agents?|inhibitors?|blockers?|antibiotics?|"
            r"solutions?|supplements?|products?|juice|alcohol|antacids?|nsaids?|opioids?|\w+(?:ine|ol|cin|mycin|"
            r"cillin|pril|sartan|azole|mab|vir|pam|lam|ide|one|ate))\b",
            bare_text(text),
            re.I,
        )
    )


def by_topic(sentences_: list[str]) -> list[str]:
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


def after_modal(sentence: str) -> str:
    """The clause that holds the modal: its subject and what follows."""
    m = MUST_NOT.search(sentence)
    if not m:
        return sentence
    return f"{strip_subject(sentence[: m.start()])} {sentence[m.start() :]}"


def strip_subject(text: str) -> str:
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


def is_self(subject: str, own: set[str]) -> bool:
    s = bare_text(subject).lower().strip(" ,")
    s = re.sub(r"\s+(?:is|are)$", "", s)
    if not s:
        return True
    return (
        bool(SELF.match(s))
        or s in own
        or any(s.startswith(o) and len(s) <= len(o) + 25 for o in own if o)
        or any(o.startswith(s) and len(s) >= 5 for o in own if o)
        or _named_form(s, own)
    )


# "the yellow fever vaccine" for a Yellow Fever Virus product: the product by its own first words and a form
_FORM = re.compile(
    r"^(?:the\s+)?(?P<name>.+?)\s+(?:vaccines?|medications?|medicines?|drugs?|products?|tablets?|capsules?|"
    r"injections?|creams?|ointments?|gels?|solutions?|preparations?|formulations?|combination)$"
)


def _named_form(subject: str, own: set[str]) -> bool:
    m = _FORM.match(subject)
    words = m.group("name").split() if m else []
    return bool(words) and len(words[0]) >= 4 and any(o.split()[: len(words)] == words for o in own if o)


@dataclass(frozen=True)
class Product:
    """The product a precaution is read about: its own names (never its interactants) and the name that
    stands for "it" / "the drug"."""

    own: frozenset[str]
    drugs: frozenset[str]
    name: str

    @classmethod
    def of(cls, names: list[str], name: str) -> Product:
        own = frozenset(
            {bare_text(n).lower().strip() for n in names if n} | {n.lower().strip() for n in names if n}
        )
        return cls(own, frozenset(w for n in own for w in (n, n.split()[0]) if w), name)
