"""Text matching between what a conversion states and what a gold file says: a Dosage is tied to the gold
dose statements whose quote it contains (or is contained in, or overlaps at length), and a clinical-use
item is tied to the gold items whose words it states. The rules are deliberately small and strict
enough that a lost qualifier ("kidney disease" for "severe kidney disease") or a sentence standing in
for a concept does not match; fixtures/gold/README.md ("Scoring") states them in prose.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

_TAGS = re.compile(r"</?[a-zA-Z][^<>]*>")  # HTML tags only: "<50 kg (5 mg daily), >100 kg" is text
_PUNCT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise(text: str | None) -> str:
    """The quote comparison form: lower case, Markdown emphasis and HTML tags dropped, whitespace collapsed."""
    if not text:
        return ""
    s = _TAGS.sub("", text).translate(_PUNCT).replace("*", "")
    return " ".join(s.lower().split())


# a long common substring ties a Dosage to a quote only when it is at least this long...
MIN_OVERLAP_CHARS = 20
# ...and covers at least this share of the shorter of the two texts
MIN_OVERLAP_SHARE = 0.5


def _without_label(quote: str) -> str | None:
    """'motion sickness: 1-2 tablets ...' → '1-2 tablets ...': converters move a bold label out of the text."""
    head, sep, rest = quote.partition(": ")
    return rest if sep and len(head) <= 60 and rest else None


def quote_relation(dosage_text: str | None, quote: str) -> str | None:
    """'quote in text', 'text in quote', 'overlap' or None."""
    text, q = normalise(dosage_text), normalise(quote)
    if not text or not q:
        return None
    unlabelled = _without_label(q)
    if q in text or (unlabelled and unlabelled in text):
        return "quote in text"
    if text in q:
        return "text in quote"
    m = SequenceMatcher(None, text, q, autojunk=False).find_longest_match(0, len(text), 0, len(q))
    if m.size >= MIN_OVERLAP_CHARS and m.size >= MIN_OVERLAP_SHARE * min(len(text), len(q)):
        return "overlap"
    return None


# words that say nothing about which concept is meant
STOP_WORDS = frozenset(
    """a an the of to in on for with without and or nor but by as at from into onto than then that this these
    those there their its it is are was were be been being has have had do does did may might can could should
    would will shall must not no never patient patients people person persons individual individuals who whom
    which whose such e g eg i ie including include includes especially particularly etc also any all some
    if when while you your they them he she his her one ones during within due like via per more less most
    very often usually typically generally sometimes""".split()
)
# qualifiers a converter may leave out without changing the concept ("other NSAIDs" → "NSAIDs",
# "increased risk of bleeding" → "bleeding"); every other gold word must be stated
SOFT_WORDS_RAW = (
    "other",
    "certain",
    "known",
    "condition",
    "conditions",
    "use",
    "using",
    "used",
    "taking",
    "receiving",
    "increased",
    "risk",
    "type",
    "types",
    "form",
    "forms",
    "history",
    "treatment",
    "medication",
    "medications",
    "drug",
    "drugs",
    "agent",
    "agents",
    "medicine",
    "medicines",
    "symptom",
    "symptoms",
)
# one spelling per concept, applied to whole phrases first and then to single words
_PHRASES = (
    (r"\bolder (adults|people|patients|persons)\b", "elderly"),
    (r"\bbreast[- ]feeding\b", "breastfeeding"),
    (r"\bnursing mothers?\b", "breastfeeding"),
    (r"\bmonoamine oxidase\b", "mao"),
    (r"\bmaois?\b", "mao inhibitor"),
)
_SYNONYMS = {
    "allergic": "allergy",
    "allergies": "allergy",
    "hypersensitivity": "allergy",
    "hypersensitive": "allergy",
    "renal": "kidney",
    "hepatic": "liver",
    "diarrhoea": "diarrhea",
    "pregnant": "pregnancy",
    "lactation": "breastfeeding",
    "children": "child",
    "pediatric": "child",
    "paediatric": "child",
    "anaemia": "anemia",
    "oedema": "edema",
}
_SUFFIXES = ("ingly", "edly", "ing", "ed", "ly", "es", "s", "e")


def stem(word: str) -> str:
    """A crude suffix strip so that 'used'/'use', 'diseases'/'disease', 'allergies'/'allergy' meet."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ss", "us", "is")):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)]
    return word


SOFT_WORDS = frozenset(stem(_SYNONYMS.get(w, w)) for w in SOFT_WORDS_RAW)
_NEGATION = re.compile(r"\b(not|no|never|without|cannot|can't|don't|doesn't|isn't|more research)\b")


def drop_parentheticals(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", text)
    return text


def words(text: str | None, *, parentheticals: bool = False) -> frozenset[str]:
    """Content words: normalised, parentheticals dropped (unless asked), stop words out, synonyms and stems."""
    s = normalise(text)
    if not parentheticals:
        stripped = drop_parentheticals(s)
        s = stripped if re.search(r"[a-z0-9]", stripped) else s
    for pattern, replacement in _PHRASES:
        s = re.sub(pattern, replacement, s)
    out = set()
    for token in re.findall(r"[a-z0-9]+", s):
        if token in STOP_WORDS:
            continue
        out.add(stem(_SYNONYMS.get(token, token)))
    return frozenset(out)


def negated(text: str | None) -> bool:
    return bool(_NEGATION.search(normalise(text)))


def joins_list(text: str | None) -> bool:
    """The item names several things: a comma, semicolon, slash, 'and', 'or', 'as well as' outside
    parentheses."""
    s = drop_parentheticals(normalise(text))
    return bool(re.search(r"[,;/&]| and | or | as well as | plus ", s))


# "in adults and children 5 years and older": who the item is for, which the CUD says in its population
_POPULATION = re.compile(
    r"\b(?:in|for)\s+(?:adults?|children|adolescents|infants|neonates|(?:pediatric|paediatric) patients)"
    r"(?:\s*(?:,|and|or)\s*(?:adults?|children|adolescents|infants|neonates))*"
    r"(?:\s+(?:aged\s+)?\d+(?:\s*(?:-|to)\s*\d+)?\s*(?:years?|months?)(?:\s+(?:of age|old))?"
    r"(?:\s+(?:and|or)\s+(?:older|above|over|younger))?)?"
)
# the tail after a comma that qualifies the head without changing it ("plague, treatment and prophylaxis")
_QUALIFYING_TAIL = re.compile(r"^(?:in|with|when|including|especially|treatment|prophylaxis|post)\b")


def gold_variants(item: str) -> list[str]:
    """The readings of a gold item a CUD may state: the item; each side of an ' / ' between two items of
    like size; each branch of 'X to A or B' with its shared head ('hypersensitivity to A', '... to B');
    the head before a comma when it is a concept of its own."""
    base = _POPULATION.sub(" ", drop_parentheticals(normalise(item)))
    base = re.sub(r"\s+([,;])", r"\1", " ".join(base.split())).strip(" ,;")
    out = [base]
    sides = [s.strip() for s in base.split(" / ")]
    if len(sides) == 2 and all(words(s) for s in sides):
        a, b = (len(words(s)) for s in sides)
        if min(a, b) / max(a, b) >= 0.75:
            out += sides
    for variant in list(out):
        found = re.match(r"^(.*\b(?:to|of)\s+)(.+?)\s+or\s+(.+)$", variant)
        if found:
            head, left, right = found.groups()
            out += [head + left, head + right]
    head, sep, tail = base.partition(", ")
    if sep and (len(words(head)) >= 2 or _QUALIFYING_TAIL.match(tail)):
        out.append(head)
    return list(dict.fromkeys(v for v in out if words(v)))


_EXAMPLES_LEAD = re.compile(r"\b(?:such as|including|e\.?g\.?,?|like|namely)\s+(.+)$")


def enumerated_examples(item: str) -> list[str]:
    """The examples a gold item enumerates in parentheses or after 'such as'/'including': 'muscle spasms in
    neurological disorders (multiple sclerosis, cerebral palsy)' names multiple sclerosis and cerebral palsy.
    Only enumerations count: 'severe liver or kidney disease' names no 'liver'."""
    s = normalise(item)
    groups = re.findall(r"\(([^()]*)\)", s)
    lead = _EXAMPLES_LEAD.search(drop_parentheticals(s))
    if lead:
        groups.append(lead.group(1))
    out = []
    for group in groups:
        group = _EXAMPLES_LEAD.sub(r"\1", group.strip())
        parts = [p.strip(" .;") for p in re.split(r",|;|\band\b|\bor\b", group)]
        if len(parts) >= 2:
            out += [p for p in parts if words(p)]
    return out


def states_item(
    cud_text: str | None, gold_item: str, *, extra_allowed: int | None = 3, examples: bool = True
) -> bool:
    """The CUD text states the gold item (one of its readings, gold_variants): every gold content word
    except soft qualifiers is in it (outside its parentheses: an "(e.g. opioids, alcohol)" gloss names no
    item), and, unless extra_allowed is None as for free-text warnings, it adds at most
    max(extra_allowed, n) other content words to the n required ones — a whole sentence is not a concept."""
    # a free-text warning states what its parentheses say too
    cud = words(cud_text, parentheticals=extra_allowed is None)
    if not cud:
        return False
    if (
        examples
        and extra_allowed is not None
        and any(cud == words(e) for e in enumerated_examples(gold_item))
    ):
        return True  # a narrower item the gold groups: one of the examples it enumerates
    for variant in gold_variants(gold_item):
        gold = words(variant)
        required = gold - SOFT_WORDS or gold
        if not required <= cud:
            continue
        if extra_allowed is None or len(cud - gold - SOFT_WORDS) <= max(extra_allowed, len(required)):
            return True
    return False


def contains_quote(text: str | None, quote: str | None) -> bool:
    """A free text (a warning's description) holds the gold quote, or is most of it."""
    t, q = normalise(text), normalise(quote)
    if not t or not q:
        return False
    return q in t or (t in q and len(t) >= 0.5 * len(q))


def alternatives(must_not_item: str) -> list[str]:
    """'several medications / all medications' → both; '(as interactant of X)' glosses are dropped later."""
    return [part.strip() for part in must_not_item.split(" / ") if part.strip()]


def hits_must_not(cud_text: str | None, must_not_item: str) -> bool:
    """The CUD is the trap or a piece of it (all its words are the trap's), or it holds the trap's words,
    adds no more than an item may (max(3, n) words) and has no negation that keeps the trap from being a
    fact."""
    cud = words(cud_text)
    if not cud:
        return False
    for alternative in alternatives(must_not_item):
        trap = words(alternative)
        if not trap:
            continue
        if cud <= trap:
            return True
        if trap <= cud and len(cud - trap) <= max(3, len(trap)) and not negated(cud_text):
            return True
    return False


def is_own_ingredient(cud_text: str | None, ingredients: list[str]) -> bool:
    """The item is nothing but the product's own ingredients ('Ceftazidime/Avibactam', 'amlodipine')."""
    s = drop_parentheticals(normalise(cud_text))
    parts = [p.strip(" .") for p in re.split(r"\s*(?:[,/+;&]|\band\b|\bwith\b)\s*", s) if p.strip(" .")]
    names = {" ".join(normalise(i).split()) for i in ingredients}
    return bool(parts) and all(part in names for part in parts)


_THE_PRODUCT = re.compile(r"\b(?:the|this) (?:drug|medication|medicine|product)\b", re.I)


def name_product(text: str, ingredients: list[str]) -> str:
    """'hypersensitivity to the medication' → '... to epoetin theta': the page's product by name."""
    return _THE_PRODUCT.sub(" and ".join(ingredients), text) if ingredients else text
