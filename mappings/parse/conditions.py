"""The conditions a contraindication states, without its lead-in: "should not be used in patients with
severe liver or kidney disease" → "severe liver disease", "severe kidney disease"; "hypersensitivity to it"
names the product."""

from __future__ import annotations

import re

from .lists import concepts, phrase_list
from .modality import MUST_NOT, USE_SUBJECT, WHO_SUBJECT, Product, bare_text, is_self, strip_subject
from .text import split_top_level, strip_parenthetical

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


def conditions(sentence: str, product: Product, listed: bool = False) -> list[str]:
    """The conditions a contraindication sentence names, without its lead-in."""
    m = MUST_NOT.search(sentence)
    listing = m and re.match(
        r"\s*(?:,\s*)?(?:including|include|such as|e\.g\.,?|are|:)\s*", sentence[m.end() :], re.I
    )
    if m and re.search(r"contraindications?$", m.group(0), re.I) and listing:
        what = sentence[m.end() + listing.end() :]  # "has specific contraindications, including A and B"
    elif m:
        subject = strip_subject(sentence[: m.start()])
        after = sentence[m.end() :]
        if USE_SUBJECT.search(subject) and not is_self(
            subject, product.own
        ):  # "Intramuscular injection is contraindicated in pediatric patients": the use is the item
            place = re.match(r"\s*((?:in|for|during)\s+.+)", after, re.I)
            what = f"{subject} {place.group(1)}" if place else subject
        elif is_self(subject, product.own) or not subject:
            what = _complement(after, product.own)
        elif (
            WHO_SUBJECT.match(subject)
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
    pieces = [e for p in concepts(what, product.drugs) for e in _with_examples(p)]
    return [c for c in (_resolve(_clean_condition(p), product.name) for p in pieces) if _is_condition(c)]


def _with_examples(piece: str) -> list[str]:
    """ "Fluid overload conditions (e.g., pulmonary edema, heart failure)" → the group and each example;
    "a history of severe skin reactions (AGEP, SJS) after taking X" → one history per reaction."""
    by_example = _by_example(piece)
    if len(by_example) > 1:
        return [piece, *by_example]
    inner = _outer_parenthesis(piece)
    # "a severe reaction (e.g., encephalopathy) to a previous dose": the example needs the rest
    if inner is None or not piece.rstrip().endswith(")"):
        return [piece]
    cue = re.match(r"\s*(?:e\.g\.,?|such as|including|like)\s+", inner, re.I)
    examples = [
        e
        for e in (split_top_level(inner[cue.end() :]) if cue else [])
        if not re.match(r"(?:other|etc|certain|some|depending|depends|if|when|as|for)\b", e, re.I)
    ]
    if len(examples) < 2 or any(len(bare_text(e).split()) > 6 for e in examples):
        return [piece]
    if re.match(r"(?:those|patients|people|individuals|persons)\b", examples[0], re.I):
        return [piece]  # "(including those with HIV or undergoing chemotherapy)": who, within the group
    # "allergy to lincosamides (such as clindamycin or lincomycin)": an allergy to each
    allergy = _ALLERGY_TO.match(piece[: piece.index("(")])
    return [piece, *(f"{allergy.group('head')}{e}" if allergy else e for e in examples)]


_ALLERGY_TO = re.compile(
    r"^(?P<head>.*?\b(?:hypersensitiv\w*|allerg\w*|sensitiv\w*|intoleran\w*|reactions?|anaphyla\w*)\s+(?:to|of)\s+)",
    re.I,
)


def _outer_parenthesis(text: str) -> str | None:
    """The text of the first top-level parenthesis, nested ones kept: "(AGEP, DRESS (a syndrome), ...)"."""
    start = text.find("(")
    depth = 0
    for i in range(start, len(text)) if start >= 0 else ():
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1 : i]
    return None


def _by_example(piece: str) -> list[str]:
    """ "A history of severe skin reactions (AGEP, SJS, or vasculitis) after taking X" → one history per
    reaction it names: the examples are the contraindications, the class only groups them."""
    lead = re.match(r"^(?:an?\s+)?history of\s+[^()]+?s\s*\(", piece, re.I)
    inner = _outer_parenthesis(piece) if lead else None
    # a plural class ("skin reactions (A, B)"), not a gloss ("angioedema (swelling of the face)") nor an
    # allergy whose signs the parenthesis lists ("allergic reactions (hives, wheezing) to penicillin")
    if inner is None or re.search(r"allerg|hypersensitiv|anaphyla", lead.group(0), re.I):
        return [piece]
    tail = piece[lead.end() + len(inner) + 1 :]
    inner = re.sub(r"^(?:e\.g\.,?|such as|including)\s+", "", inner, flags=re.I)
    examples = split_top_level(inner, r",|;|\bor\b")
    if len(examples) < 2 or any(len(bare_text(e).split()) > 8 for e in examples) or "(" in tail:
        return [piece]
    head = re.match(r"^(?:an?\s+)?history of\s+", piece, re.I).group(0)
    return [f"{head}{e}{tail}" for e in examples]


def _resolve(condition: str, name: str) -> str:
    """ "hypersensitivity to it / the drug" → "hypersensitivity to <the drug's name>"."""
    return re.sub(
        r"\b(to|of)\s+(?:it|the drug|the medication|this medication|the medicine|this medicine|this drug|"
        r"the product|this product)\b",
        lambda m: f"{m.group(1)} {name}",
        condition,
        flags=re.I,
    )


def _top_level_cue(text: str) -> bool:
    """ "such as A, B" outside parentheses: the examples are the items."""
    m = re.search(r"\b(?:such as|including|e\.g\.|like)\b", text, re.I)
    return bool(m) and text[: m.start()].count("(") <= text[: m.start()].count(")")


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
    bare = bare_text(text)
    if not bare or len(bare.split()) > 14 or not re.search(r"[A-Za-z]{3}", bare):
        return False
    if re.search(r"\b(?:is|are)\s+not\s+(?:suitable|appropriate|recommended)\b|\beveryone\b", bare, re.I):
        return False  # "This combination is not suitable for everyone" is a clause, not a condition
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


def lead_list(body: str) -> list[str]:
    """A bullet under a contraindication lead-in: the condition(s) it names."""
    text = body.strip().rstrip(".")
    text = re.split(r"\s+[-–—]\s+|:\s+|(?<=[a-z)])\.\s+", text, maxsplit=1)[0]
    text = _CONDITION_END.split(text)[0]
    pieces = [e for p in concepts(text) for e in _with_examples(p)]
    return [c for c in (_clean_condition(p) for p in pieces) if _is_condition(c)] or [text]
