"""Plain-text helpers shared by the section parsers: whitespace, sentences, list splitting."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")

# A sentence ends at . ! ? followed by space and a capital/opening char; "e.g." and
# decimals ("0.25 mg") are not followed by that, so they survive.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'*\[])")
_ABBREV_BEFORE = re.compile(r"(?:\b(?:e\.g|i\.e|approx|vs|Dr|St|No|etc)\.)$", re.I)


def clean(text: str) -> str:
    """Collapse whitespace and drop inline HTML tags (<sub>2</sub> → 2)."""
    return _WS.sub(" ", _TAG.sub("", text)).strip()


def sentences(text: str) -> list[str]:
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text):
        piece = piece.strip()
        if not piece:
            continue
        if parts and _ABBREV_BEFORE.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts


_BRACKET = re.compile(r"[(\[\])]")


def split_top_level(text: str, separators: str = r",|;|\band\b|\bor\b|\band/or\b") -> list[str]:
    """Split a list phrase at commas/"and"/"or" that are not inside parentheses."""
    pattern = re.compile(separators, re.I)
    out: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            # jump to the next place a separator matches, unless a bracket comes first
            m = pattern.search(text, i)
            if m is None:
                break
            bracket = _BRACKET.search(text, i)
            if bracket and bracket.start() <= m.start():
                i = bracket.start()
                continue
            i = m.start()
            if m.end() > i:
                out.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    out.append(text[start:])
    return [p for p in (tidy_item(p) for p in out) if p]


_LEADING_JOINER = re.compile(r"^(?:and/or|and|or)\s+", re.I)


def tidy_item(text: str) -> str:
    text = text.strip(" \t.:;,-–*")
    text = _LEADING_JOINER.sub("", text)
    if text.lower() in {"etc", "and", "or", "others", "and others", "more", "among others"}:
        return ""
    return text.strip(" \t.:;,-–")


def strip_parenthetical(text: str, min_words: int = 2) -> str:
    """Drop explanatory parentheses "(a neuromuscular disorder)" but keep acronyms "(NSAIDs)"."""

    def keep(m: re.Match) -> str:
        return "" if len(m.group(1).split()) >= min_words else m.group(0)

    return _WS.sub(" ", re.sub(r"\s*\(([^()]*)\)", keep, text)).strip()


def normalise_for_match(text: str) -> str:
    """Lower-case letters and digits only (NFKC: "10⁶" → "106"), to check that text is accounted for."""
    return " ".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).lower()))


# statements that are not facts: hedged, investigational or awaiting evidence
_HEDGE = re.compile(
    r"\b(?:more|further|additional|ongoing|robust)\s+(?:\w+\s+)?(?:research|studies|study|evidence|trials?|investigation)\b"
    r"|\b(?:some|limited|preliminary|emerging|early|animal)\s+(?:\w+\s+)?(?:research|studies|evidence|data|trials?)\s+"
    r"(?:suggests?|shows?|indicates?|has shown|have shown|points?)\b"
    r"|\bresearch (?:is|are|remains?) (?:ongoing|needed|limited|still|exploring)|\bresearch suggests\b"
    r"|\b(?:studies|research|trials?)\s+(?:\w+\s+)?(?:explore|explores|exploring|investigate|investigating)\b"
    r"|\b(?:trials?|studies|research|evidence)\s+(?:are|is)\s+(?:still\s+)?needed\b"
    r"|\bproponents\b|\b(?:evidence|claims?)\b[^.]*\bstill being evaluated\b"
    r"|\b(?:is|are|being|been) (?:being )?(?:studied|investigated|explored|researched|evaluated) (?:for|as|in)\b"
    r"|\bunder (?:investigation|study|research)\b|\b(?:in|within) (?:clinical trials|research settings)\b"
    r"|\b(?:limited|insufficient|little|lack of|weak|inconclusive|mixed|conflicting|no (?:strong|conclusive|"
    r"clear|definitive|scientific))\s+(?:scientific\s+|clinical\s+)?(?:evidence|data|proof)\b"
    r"|\bcannot be (?:guaranteed|established|determined|confirmed|assured)\b"
    r"|\bnot (?:as |yet |been |fully |well[- ]|well |definitively |conclusively )*(?:proven|conclusive|established|"
    r"understood|documented)\b|\bless[- ](?:defined|established)\b"
    r"|\bpotential (?:benefits?|uses?|role|applications?|efficacy|effectiveness)\b|\bmay have a role\b"
    r"|\b(?:may|might|could) offer\b"
    r"|\b(?:hypothetical|theoretical|claimed|purported|anecdotal|speculative|unproven|investigational|experimental)\b"
    r"|\b(?:thought|believed|claimed|said) to\b|\b(?:historically|formerly|previously|once)\s+(?:been\s+)?used\b"
    r"|\bin the past\b|\bno longer\b",
    re.I,
)
# a negation cue that keeps what follows from being stated as a fact
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|cannot|without)\b(?!\s+only\b)|n't\b|\b(?:unsuitable|inappropriate|ineffective)\b",
    re.I,
)


# what would have been or was likely: a product described after the fact, not a statement of what it does
_HYPOTHETICAL = re.compile(
    r"\bwould (?:have|likely|probably)\b|\b(?:was|were|is|are) (?:likely|probably|presumably) (?:to have been|"
    r"prescribed|used|given|contraindicated)\b|\blikely included\b",
    re.I,
)


def hypothetical(text: str) -> bool:
    """ "Cloprednol would have likely been contraindicated in ...", "It was likely prescribed to ..."."""
    return bool(_HYPOTHETICAL.search(text))


def hedged(text: str) -> bool:
    """ "more research is needed", "some studies suggest", "potential benefits", "under investigation"."""
    return bool(_HEDGE.search(text)) or hypothetical(text)


def negated(text: str) -> bool:
    """A negation cue ("not", "never", "isn't", "without") anywhere in the text."""
    return bool(_NEGATION.search(text))
