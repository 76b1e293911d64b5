"""List helpers: walk bullets with their bold labels and nested bullets, split list phrases."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .blocks import Block, Item
from .text import split_top_level, tidy_item

_EXAMPLES = re.compile(
    r"\b(?:such as|including|include[sd]?(?:\s+conditions)?(?:\s+like)?|conditions like|like|e\.g\.,?|namely)\s+",
    re.I,
)
_LIST_END = re.compile(
    r"(?:[.;:]\s|[.;:]$|,\s+(?:where|which|when|while|in which|as well as|among|and (?:is|are|it|can|may|to))\b|\s+-\s)",
    re.I,
)
_LEAD = re.compile(
    r"^(?:including|such as|especially|particularly|like|e\.g\.,?|certain|some|for|even|also)\s+", re.I
)


def items_with_context(
    blocks: list[Block], intro_context: bool = False
) -> Iterator[tuple[str | None, Item, bool]]:
    """Yield (context, item, is_bullet) for every paragraph and bullet, depth-first.

    context is the label of the enclosing standalone "**Label:**" paragraph, or of the parent
    bullet for nested bullets, so "**Adults:**" / "* **Oral:**" reach the bullets under them.
    With intro_context, a lead-in paragraph such as "X is contraindicated in patients with:" is
    the context too; it keeps its trailing colon so callers can tell it from a label."""
    context: str | None = None
    for block in blocks:
        if block.kind == "list":
            for item in block.items:
                yield from _walk(item, context)
        elif block.item is not None and block.kind != "heading":
            item = block.item
            if item.label and item.colon and not item.rest:
                context = item.label
            elif intro_context and not item.label and item.text.rstrip().endswith(":"):
                context = item.text.strip()
            yield context, item, False


def _walk(item: Item, context: str | None) -> Iterator[tuple[str | None, Item, bool]]:
    yield context, item, True
    for child in item.children:
        yield from _walk(child, item.label or item.text or context)


def examples_in(text: str, max_words: int = 10, keep_head: bool = False) -> list[str]:
    """ "... such as A, B, and C, where ..." → [A, B, C]; [] when the text names no list.

    keep_head: "X and certain Y, such as Z" → [X, Z]: the items before the examples are kept,
    except the last, which the examples spell out."""
    m = _EXAMPLES.search(text)
    if not m:
        return []
    tail = text[m.end() :]
    end = _LIST_END.search(tail)
    examples = _short_concepts(tail[: end.start()] if end else tail, max_words)
    head = _short_concepts(text[: m.start()], max_words)[:-1] if keep_head and examples else []
    return head + examples


def _short_concepts(text: str, max_words: int) -> list[str]:
    """concepts(), or [] when a piece is too long to be a name (it is prose)."""
    found = [_LEAD.sub("", c).strip() for c in concepts(text)]
    if not found or any(len(_without_parentheses(c).split()) > max_words for c in found):
        return []
    return [c for c in found if c]


_ADJECTIVES = {
    "itchy",
    "watery",
    "runny",
    "stuffy",
    "dry",
    "sore",
    "swollen",
    "inflamed",
    "irritated",
    "acute",
    "chronic",
    "severe",
    "mild",
    "moderate",
    "recurrent",
    "persistent",
    "refractory",
    "moderate-to-severe",
    "mild-to-moderate",
    "resistant",
    "serious",
    "painful",
    "inflammatory",
}


def phrase_list(text: str, max_words: int = 10) -> list[str]:
    """ "A, B, and C" → [A, B, C]; [] when a piece is too long to be a name (it is prose).
    Stacked adjectives stay with their noun: "acute, chronic pain" is one item."""
    merged: list[str] = []
    for piece in (_LEAD.sub("", p).strip() for p in split_top_level(text)):
        if not piece:
            continue
        if merged and merged[-1].lower() in _ADJECTIVES:
            merged[-1] = f"{merged[-1]}, {piece}"
        else:
            merged.append(piece)
    if not merged or any(len(_without_parentheses(p).split()) > max_words for p in merged):
        return []
    return merged


def _without_parentheses(text: str) -> str:
    return re.sub(r"\([^()]*\)", " ", text)


# --- whole clinical concepts ----------------------------------------------------------------------

# words that modify a following noun ("liver" in "liver disease", "renal" in "renal impairment"); a
# list piece that ends in one of them has lost its head noun to the last piece of the list
_MODIFIERS = {
    "liver",
    "kidney",
    "head",
    "neck",
    "brain",
    "breast",
    "colon",
    "prostate",
    "stomach",
    "muscle",
    "nerve",
    "pregnant",
    "breastfeeding",
    "breast-feeding",
    "nursing",
    "lactating",
    "renal",
    "hepatic",
    "heart",
    "cardiac",
    "cardiovascular",
    "lung",
    "pulmonary",
    "respiratory",
    "bone",
    "joint",
    "eye",
    "ear",
    "nasal",
    "gastric",
    "duodenal",
    "intestinal",
    "urinary",
    "bladder",
    "thyroid",
    "adrenal",
    "blood",
    "skin",
    "soft",
    "upper",
    "lower",
    "allergic",
    "non-allergic",
    "bacterial",
    "fungal",
    "viral",
    "acute",
    "chronic",
    "primary",
    "secondary",
    "systemic",
    "local",
    "topical",
    "oral",
    "physical",
    "mental",
    "neurological",
    "psychiatric",
    "muscular",
    "musculoskeletal",
    "vascular",
    "peripheral",
    "central",
    "seasonal",
    "perennial",
    "inflammatory",
    "infectious",
    "partial",
    "generalized",
    "focal",
}
# nouns among them: "liver or kidney disease" is two diseases, "head and neck cancer" is one
_NOUN_MODIFIERS = {
    "liver",
    "kidney",
    "heart",
    "lung",
    "bone",
    "joint",
    "eye",
    "ear",
    "bladder",
    "thyroid",
    "blood",
    "skin",
    "soft",
    "head",
    "neck",
    "brain",
    "breast",
    "colon",
    "prostate",
    "stomach",
    "muscle",
    "nerve",
}
_HYPHEN_MODIFIER = re.compile(
    r"^\w+-(?:acquired|associated|induced|related|resistant|dependent|sensitive|onset)$", re.I
)
# qualifiers that a shared head keeps for every member: "severe liver or kidney disease"
_QUALIFIER = re.compile(
    r"^(?:(?:mild[- ]to[- ]moderate|moderate[- ]to[- ]severe|known|severe|mild|moderate|active|significant|"
    r"serious|uncontrolled|untreated|pre-existing|existing|advanced|end-stage|impaired|decompensated|"
    r"malignant|benign|"
    r"(?:a )?history of)\s+)+",
    re.I,
)
_DETERMINER = re.compile(r"^(?:other|certain|some|various|any|all)\s+", re.I)
# "hypersensitivity to A, B, or C": the head distributes over the drugs it names
_ALLERGY_HEAD = re.compile(
    r"^(?P<head>.*?\b(?:hypersensitiv\w*|allerg\w*|sensitiv\w*|intoleran\w*|reactions?|anaphyla\w*)"
    r"(?:\s*\([^()]*\))?\s+(?:to|of)\s+)(?P<obj>\S.*)$",
    re.I,
)
_DRUGLIKE = re.compile(
    r"\b(?:components?|ingredients?|excipients?|formulation|drugs?|medications?|medicines?|antibiotics?|agents?|"
    r"compounds?|analogu?e?s?|derivatives?|products?|vaccines?|an(?:a)?esthetics?|inhibitors?|blockers?|nsaids?|"
    r"opioids?|salicylates?|sulfonamides?|sulfa|penicillins?|cephalosporins?|(?:fluoro)?quinolones?|"
    r"tetracyclines?|macrolides?|statins?|benzodiazepines?|sympathomimetics?|phenothiazines?|aminoglycosides?|"
    r"(?:cortico)?steroids?|streptogramins?|carbapenems?|beta-lactams?|sulfites?|latex|gelatin|eggs?|"
    r"proteins?|preservatives?|it|this|them)\b"
    r"|^(?:other|related|similar|any|its)\b"
    r"|^\w+(?:ine|ines|ol|ols|cin|cins|mycin|cillin|pril|sartan|azole|mab|vir|pam|lam|fen|ide|ides|one|ate|ates|"
    r"in|ins|xacin|cycline)$",
    re.I,
)
_CONDITION_WORD = re.compile(
    r"\b(?:diseases?|disorders?|impairment|dysfunction|failure|insufficiency|syndromes?|infections?|injur(?:y|ies)|"
    r"deficiency|conditions?|problems?|ulcers?|bleeding|hypertension|hypotension|pregnan\w*|breast-?feeding|"
    r"lactat\w*|women|mothers|men|patients|people|individuals|those|children|infants|history|use|users|"
    r"asthma|epilepsy|diabetes|gout|shock|depression|seizures?|stroke|coma|obstruction|perforation|"
    r"hemorrhage|retention|transplant\w*|surgery|trauma|burns?|wounds?|dehydration|overdose|"
    r"\w+(?:itis|osis|emia|aemia|oma|pathy|plasia|trophy|ism|ia|sy))\b",
    re.I,
)
# "infections of the urinary tract, bones and joints": the head distributes over short sites
_SITE_HEAD = re.compile(
    r"^(?P<head>.*?\b(?:infections?|diseases?|disorders?|cancers?|tumou?rs?|inflammation|pain)\s+(?:of|in|affecting)\s+)"
    r"(?P<obj>\S.*)$",
    re.I,
)
_POPULATION_WORD = re.compile(
    r"(?:adults|children|adolescents|infants|neonates|women|men|the elderly|elderly)", re.I
)
_PREPOSITION = re.compile(r"\s(?:in|of|on|at|affecting)\s", re.I)
# pieces that continue a clause rather than start a new item ("who are or may become pregnant")
_CONTINUATION = re.compile(r"^(?:may|might|are|is|have|has|had|were|will|can|become|becoming)\b", re.I)


def concepts(text: str, drugs: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Split a list phrase into whole clinical concepts that keep their qualifiers.

    "severe liver or kidney disease" → ["severe liver disease", "severe kidney disease"];
    "hypersensitivity to A, B, or any component" → one "hypersensitivity to …" per drug, stopping at
    the first piece that is a condition of its own; "upper and lower respiratory tract infections" →
    both infections. Pieces that only continue a clause stay joined to the one before. `drugs` are
    names known to be drugs (the product's ingredients), so an allergy head reaches them too."""
    if alternatives := _alternatives(text.strip()):
        return alternatives
    if _ONE_SITE.search(text):  # "advanced or recurrent head and neck cancer": one site, read as a word
        joined = _ONE_SITE.sub(lambda m: m.group(0).replace(" and ", "_AND_"), text)
        return [c.replace("_AND_", " and ") for c in concepts(joined, drugs)]
    pieces: list[str] = []
    joiners: list[str] = []
    for piece, joiner in _pieces_with_joiners(text):
        if pieces and (
            _CONTINUATION.match(piece)
            # "in postmenopausal women and men at high risk of fracture": the population goes on
            or (
                joiner in ("and", "or")
                and re.search(rf"\bin\s+(?:[\w-]+\s+)?{_POPULATION_WORD.pattern}$", pieces[-1], re.I)
                and _POPULATION_WORD.match(piece)
            )
            # "patients with IgA antibodies and a history of hypersensitivity": both hold for one group
            or (
                joiner == "and"
                and re.match(r"an?\s+(?:history|known)\b", piece, re.I)
                and re.search(r"\bwith\b", pieces[-1], re.I)
            )
            # "skin and skin structures": the second names a part of the first, one site
            or (
                joiner == "and"
                and len(piece.split()) <= 3
                and piece.split()[0].lower() == pieces[-1].split()[-1].lower()
            )
            # "neonates and infants under 2 years of age": the age holds for both
            or (
                joiner in ("and", "or")
                and _POPULATION_WORD.fullmatch(re.sub(r"^(?:in|for)\s+", "", pieces[-1], flags=re.I))
                and re.match(
                    rf"{_POPULATION_WORD.pattern}\s+(?:under|over|below|above|aged|younger|older)\b",
                    piece,
                    re.I,
                )
            )
            # "pains in muscles and joints": the conjunction joins the objects of a preposition
            or (
                joiner in ("and", "or")
                and _PREPOSITION.search(_without_parentheses(pieces[-1]))
                and not (  # "allergic reactions to amoxicillin or clavulanic acid": the head takes both
                    (allergy := _ALLERGY_HEAD.match(pieces[-1]))
                    and not _PREPOSITION.search(f" {_without_parentheses(allergy.group('obj'))}")
                )
                and not re.match(r"(?:in|for|during)\s", piece, re.I)
                and len(piece.split()) <= 2
                and (not _CONDITION_WORD.search(piece) or _POPULATION_WORD.fullmatch(piece))
                and not _SITE_HEAD.match(pieces[-1])
            )
        ):
            pieces[-1] = f"{pieces[-1]} {joiner} {piece}".replace("  ", " ")
        else:
            pieces.append(piece)
            joiners.append(joiner)
    pieces = _share_object(_share_head_noun(pieces, joiners))
    return _share_site(_share_head(_join_lone_adjectives(pieces), drugs))


# "muscle stiffness and spasms": a site noun that qualifies the symptoms listed after it
_SITE = re.compile(
    r"^(?P<site>muscle|joint|skin|back|abdominal|stomach|chest|leg|nerve)\s+(?P<symptom>\w+)$", re.I
)
_SITED_SYMPTOM = re.compile(
    r"^(?:spasms?|cramps?|cramping|stiffness|pain|aches?|weakness|swelling|inflammation|redness|irritation|"
    r"tension|itching|tenderness|soreness|dryness|peeling)$",
    re.I,
)


def _share_site(pieces: list[str]) -> list[str]:
    """["muscle stiffness", "spasms"] → ["muscle stiffness", "muscle spasms"]."""
    site = _SITE.match(pieces[0]) if pieces else None
    if not site or not _SITED_SYMPTOM.match(site.group("symptom")):
        return pieces
    return [pieces[0], *(f"{site.group('site')} {p}" if _SITED_SYMPTOM.match(p) else p for p in pieces[1:])]


# anatomical pairs that name one site
_ONE_SITE = re.compile(r"\b(?:head and neck|skin and (?:soft tissue|skin[- ]structure)s?)\b", re.I)
_ALLERGY_NOUN = re.compile(r"\b(?:anaphyla\w*|hypersensitivit\w*|allerg\w*|reactions?)$", re.I)


def _share_object(pieces: list[str]) -> list[str]:
    """ "anaphylaxis or severe systemic reactions to IgG": what the reactions are to, the anaphylaxis is to."""
    out = list(pieces)
    for i in range(len(out) - 2, -1, -1):
        allergy = _ALLERGY_HEAD.match(out[i + 1])
        if allergy and _ALLERGY_NOUN.search(out[i]) and not _ALLERGY_HEAD.match(out[i]):
            out[i] = f"{out[i]} {allergy.group('head').split()[-1]} {allergy.group('obj')}"
    return out


# "renal failure with oliguria or anuria (low or no urine output) not related to hypovolemia"
_WITH_ALTERNATIVES = re.compile(
    r"^(?P<head>\S.*?\bwith\s+)(?P<a>[\w-]+)\s+or\s+(?P<b>[\w-]+)(?:\s*\([^()]*\))?(?P<tail>\s+\S.*)?$", re.I
)


def _alternatives(text: str) -> list[str]:
    """One condition per alternative a "with A or B" phrase names, each with the shared head and tail;
    [] when the text is not one such phrase."""
    m = _WITH_ALTERNATIVES.match(text)
    if not m or not (m.group("tail") or _CONDITION_WORD.fullmatch(m.group("a"))) or "," in m.group("head"):
        return []
    if m.group("head").count("(") != m.group("head").count(")"):
        return []  # "... (including those with HIV or undergoing chemotherapy)": inside a parenthesis
    tail = m.group("tail") or ""
    return [f"{m.group('head')}{m.group('a')}{tail}", f"{m.group('head')}{m.group('b')}{tail}"]


def _join_lone_adjectives(pieces: list[str]) -> list[str]:
    """ "serious, potentially life-threatening fungal infections": a lone adjective qualifies the next piece."""
    out: list[str] = []
    for piece in pieces:
        if out and _lone_adjective(out[-1]):
            out[-1] = f"{out[-1]}, {piece}"
        else:
            out.append(piece)
    return out


def _lone_adjective(piece: str) -> bool:
    words = piece.split()
    return (
        bool(words)
        and len(words) <= 2
        and all(
            w.lower() in _ADJECTIVES
            or _QUALIFIER.fullmatch(f"{w} ")
            or re.fullmatch(r"[a-z-]+(?:ous|ive|ful|ly)", w, re.I)
            for w in words
        )
    )


def _pieces_with_joiners(text: str) -> list[tuple[str, str]]:
    """split_top_level, but each piece remembers the separator before it ("and", "or", ",")."""
    out: list[tuple[str, str]] = []
    depth = 0
    start = 0
    joiner = ""
    i = 0
    sep = re.compile(r",\s*(?:and/or|and|or|as well as)\b|,|;|\band/or\b|\band\b|\bor\b|\bas well as\b", re.I)
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and (m := sep.match(text, i)) and (i == 0 or not text[i - 1].isalnum() or ch in ",;"):
            out.append((text[start:i], joiner))
            joiner = re.sub(r"^,\s*", "", m.group(0)).strip() or ","
            start = i = m.end()
            continue
        i += 1
    out.append((text[start:], joiner))
    return [(p, j) for p, j in ((tidy_item(p), j) for p, j in out) if p]


_CLASS_HEAD = re.compile(
    r"\b(?:antibiotics|drugs|medications|agents|an(?:a)?esthetics|analgesics|compounds|disease|diseases|"
    r"disorders?|impairment|dysfunction|problems|conditions|infections?|failure|insufficiency|injur(?:y|ies)|"
    r"wounds|lesions|ulcers|burns)$",
    re.I,
)


def _waits_for_head(word: str, last: str, joiner: str) -> bool:
    """A one-word piece that has lost its head noun to the list's last piece."""
    if joiner == "," and word.lower() not in _MODIFIERS:
        return False  # "serious, potentially life-threatening infections": coordinate adjectives, one noun
    if _is_modifier(word) or (re.fullmatch(r"[a-z-]{3,}ed", word, re.I) and joiner in ("or", "and")):
        return True  # "relapsed or refractory mantle cell lymphoma"
    # "penicillin or cephalosporin antibiotics", "coagulation or bleeding disorders"
    return (
        joiner in ("or", ",")
        and bool(_CLASS_HEAD.search(last))
        and not re.match(r"(?:other|related|similar)\b", last, re.I)
        and not _CONDITION_WORD.search(word)
        and word[:1].islower()
    )


def _shares_head(first_word: str, words: list[str]) -> bool:
    return (
        _is_modifier(first_word)
        or first_word.lower() in _ADJECTIVES
        or bool(re.fullmatch(r"[a-z-]{3,}(?:ory|ive|ed)", first_word, re.I))
        or bool(_CLASS_HEAD.search(" ".join(words)))
    )


_ADJECTIVE_SUFFIX = re.compile(r"[a-z-]{3,}(?:al|ic|ary|ous|eal)", re.I)


def _is_modifier(word: str) -> bool:
    return (
        word.lower() in _MODIFIERS
        or bool(_HYPHEN_MODIFIER.match(word))
        or bool(_ADJECTIVE_SUFFIX.fullmatch(word))
    )


def _one_state(pieces: list[str], run: list[int], i: int, joiners: list[str]) -> bool:
    """ "relapsed or refractory X": two states of one disease, said of one population."""
    return (
        len(run) == 1
        and joiners[i] == "or"
        and bool(
            re.fullmatch(r"(?:relapsed|recurrent|refractory|resistant|intolerant)", pieces[run[0]], re.I)
        )
        and bool(re.match(r"(?:relapsed|recurrent|refractory|resistant|intolerant)\s", pieces[i], re.I))
    )


def _share_head_noun(pieces: list[str], joiners: list[str]) -> list[str]:
    """["severe liver", "kidney disease"] → ["severe liver disease", "severe kidney disease"]."""
    out: list[str] = []
    run: list[int] = []  # pieces waiting for the head noun of a later piece
    for i, piece in enumerate(pieces):
        bare = _DETERMINER.sub("", _QUALIFIER.sub("", piece))
        if (allergy := _ALLERGY_HEAD.match(bare)) and len(allergy.group("obj").split()) == 1:
            bare = allergy.group("obj")  # "known allergy to penicillin or cephalosporin antibiotics"
        words = bare.split()
        if (
            1 <= len(words) <= 2
            and i + 1 < len(pieces)
            and (len(words) == 1 or _ADJECTIVE_SUFFIX.fullmatch(words[-1]))
            and _waits_for_head(words[-1], pieces[i + 1], joiners[i + 1])
        ):  # "malignant pleural or peritoneal effusions"
            run.append(i)
            continue
        if run and _one_state(pieces, run, i, joiners):
            out.append(f"{pieces[run[0]]} or {piece}")  # "relapsed or refractory lymphoma": one population
            run = []
            continue
        if run:
            first = words[0] if words else ""
            # "head and neck cancer", "skin and soft tissue infections" name one thing
            whole = "and" in joiners[run[0] + 1 : i + 1] and all(
                _QUALIFIER.sub("", pieces[r]).lower() in _NOUN_MODIFIERS for r in run
            )
            if (
                not whole
                and len(words) >= 2
                and _shares_head(first, words)
                and all(_QUALIFIER.sub("", pieces[r]).split()[0].lower() != first.lower() for r in run)
            ):
                class_head = _CLASS_HEAD.search(" ".join(words))
                head = class_head.group(0) if class_head and not _is_modifier(first) else " ".join(words[1:])
                qualifier = _QUALIFIER.match(pieces[run[0]])
                shared = qualifier.group(0) if qualifier else ""
                if allergy_head := _ALLERGY_HEAD.match(pieces[run[0]]):
                    shared = allergy_head.group("head")
                out.extend(f"{pieces[r]} {head}" for r in run)
                own = _QUALIFIER.match(piece)
                out.append(piece if own or not shared else f"{shared}{piece}")
            else:
                joined = pieces[run[0]]
                for k in [*run[1:], i]:
                    joined = (
                        f"{joined}, {pieces[k]}"
                        if joiners[k] == ","
                        else f"{joined} {joiners[k]} {pieces[k]}"
                    )
                out.append(joined)
            run = []
            continue
        out.append(piece)
    out.extend(pieces[r] for r in run)
    return out


def _share_head(pieces: list[str], drugs: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """["hypersensitivity to A", "B", "glaucoma"] → ["hypersensitivity to A", "hypersensitivity to B", "glaucoma"]."""
    out: list[str] = []
    head: str | None = None
    site: str | None = None
    for piece in pieces:
        if re.match(r"(?:in|on|for|during|with|among)\s", piece, re.I):  # "and in neonates": a new item
            head = site = None
            out.append(re.sub(r"^(?:in|on|for|during|with|among)\s+", "", piece, flags=re.I))
            continue
        druglike = _DRUGLIKE.search(piece) or piece.lower() in drugs or len(piece.split()) <= 3
        if (
            head
            and druglike
            and not _CONDITION_WORD.search(piece)
            and len(piece.split()) <= 8
            and not _ALLERGY_HEAD.match(piece)
        ):
            out.append(f"{head}{piece}")
            continue
        if site and len(piece.split()) <= 5 and not _CONDITION_WORD.search(piece):
            out.append(f"{site}{piece}")
            continue
        head = site = None
        if m := _ALLERGY_HEAD.match(piece):
            head = m.group("head")
        elif m := _SITE_HEAD.match(piece):
            site = m.group("head")
        out.append(piece)
    return out


# "other medications", "many drugs", "any component of the formulation": stand for no drug in particular
_PLACEHOLDER = re.compile(
    r"^(?:(?:many|numerous|several|various|other|certain|some|all|any|multiple|most|different|a (?:number|variety|range) of|"
    r"a few|few|specific|particular|potential|possible|common|commonly used|prescription|over-the-counter|otc|"
    r"non-prescription|concomitant|concurrent|additional|similar|these|those|such|the)\s+)*"
    r"(?:medications?|medicines?|drugs?|agents?|substances?|products?|supplements?|vitamins?|minerals?|"
    r"herbal (?:remedies|products|supplements)|herbs|remedies|treatments?|therapies|prescriptions?|"
    r"(?:medications?|drugs?) or supplements|components?(?: of (?:the|this|its) (?:formulation|medication|product|vaccine))?|"
    r"ingredients?|them|it|others|ones|this|that|these|those)"
    r"(?:\s+(?:you|the patient|patients)\s+(?:are|is)?\s*(?:currently\s+)?(?:taking|take|use|using|receiving))?$",
    re.I,
)


def is_placeholder(name: str) -> bool:
    """A phrase that names no drug in particular: "other medications", "several drugs", "these"."""
    return bool(_PLACEHOLDER.match(name.strip(" .,;:")))
