"""The drugs, classes and foods a sentence names as interacting with the product, and the effect it
states: one name per drug, class or food; never placeholders ("other medications") or the product's own
ingredients; the examples a class names ("CNS depressants (e.g., opioids, alcohol)") are names too."""

from __future__ import annotations

import re

from ..model import Interaction
from .lists import is_placeholder
from .modality import MUST_NOT, NOT_A_DRUG, SELF, Product, bare_text, is_advice, is_self, strip_subject
from .text import split_top_level

# the statement is about other drugs, foods or alcohol
INTERACT_SENTENCE = re.compile(
    r"\binteract|\bconcomitant|\bconcurrent|\bco-?administ|\bcombin(?:ed|ing|ation) (?:\w+ )?with\b|"
    r"\btaken (?:together )?with\b(?! (?:or without )?(?:food|meals|water|a glass|plenty))|"
    r"\b(?:use|used|using|taking|given) (?:\w+ )?(?:together )?with\b(?! (?:caution|care|food|meals|water))|"
    r"\bin combination with\b|"
    r"\b(?:effects?|action|levels?|absorption|metabolism|excretion|clearance|efficacy|effectiveness|toxicity) of\b|"
    r"\b(?:increased|decreased|reduced|enhanced|potentiated|affected|inhibited|altered) by\b",
    re.I,
)
INTERACTANTS = re.compile(
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
    r"because|due to|and (?:may|can|could)|may|can|could|might|is|are|should|must|will|to (?:avoid|prevent)|"
    r"increases|decreases|reduces|raises|lowers|enhances|(?:significantly|greatly|markedly|substantially|"
    r"considerably|strongly)\s+\w+)\b)"
    r"|[;:]\s+|,\s+(?=\w+ing\b)|\s+(?:in|for) (?=(?:patients|people|individuals|those|some|elderly|children)\b)",
    re.I,
)
_NEXT_CLAUSE = re.compile(
    r",\s+(?:and|but|while|whereas)\s+(?=(?:[\w-]+\s+){1,4}(?:may|can|could|might|will|should|must|is|are)\s)",
    re.I,
)
# what happens to the product itself: "levothyroxine absorption", "its metabolism"
_OWN_PROCESS = re.compile(
    r"^(?:(?P<name>.+?)\s+)?(?:absorption|metabolism|levels?|effects?|action|efficacy|effectiveness|clearance|"
    r"excretion|concentrations?|activity|toxicity)$",
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


def interactants(sentence: str, product: Product, listed: bool) -> tuple[list[str], str | None]:
    """The drugs, classes and foods a sentence names as interacting, and the effect it states."""
    candidates: list[tuple[str, str | None]] = []
    matches = [m for m in INTERACTANTS.finditer(sentence) if _joins_self(m.group("mid"), product)]
    m = matches[0] if matches else None
    if m:
        candidates.append((m.group("what"), None))
    # "increase the effects of A, ..., and increase the risk of myopathy when used with B": every cue names
    later = [
        _names(product, _before_effect(sentence[n.start("what") :]))
        for n in _later_cues(sentence, product)
        # "reduce the effectiveness of the vaccine" refers back; "levels to dangerous levels" names nothing
        if re.search(r"\bwith\b|\bby\b|\bof\b", n.group(0)[: n.start("what") - n.start()], re.I)
        and not re.match(
            r"(?:the|this|these|its|their|it|them|in|to|a|an)\b", sentence[n.start("what") :], re.I
        )
    ]
    s = _SUBJECT.match(sentence)
    who = strip_subject(s.group("who")) if s else ""
    if s and who != s.group("who").strip(" ,"):
        s = None  # a clause boundary inside: not a noun phrase
    if (
        s
        and (m or listed or MUST_NOT.search(sentence))
        and not is_advice(sentence)
        and not is_self(who, product.own)
        and not NOT_A_DRUG.search(bare_text(who.split(",")[0]))
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
        # "... of aldesleukin, and antifungal agents may interact with progesterone": a new clause, not a name
        # (after a list, "A, B, and C may increase ..." is the list's own predicate)
        clause = _NEXT_CLAUSE.search(what)
        if clause and len(split_top_level(what[: clause.start()], r",|;")) == 1:
            what = what[: clause.start()]
        split = _EFFECT_SPLIT.search(what)
        names_text = what[: split.start()] if split else what
        if effect is None and split:
            effect = what[split.end() :]
        names = _names(product, re.split(r"\.\s|\.$", names_text)[0])
        if names:
            if effect:
                effect = re.split(r"\.\s|\.$", effect)[0].strip(" ,.") or None
            return list(dict.fromkeys([*names, *(n for found in later for n in found)])), effect
    return [], None


def _later_cues(sentence: str, product: Product) -> list[re.Match]:
    """The cues after the first in a sentence, each read from where it starts (its text runs to the end)."""
    out: list[re.Match] = []
    start = 0
    while first := INTERACTANTS.search(sentence, start):
        nxt = INTERACTANTS.search(sentence, first.start("what"))
        if not nxt:
            break
        if _joins_self(nxt.group("mid"), product):
            out.append(nxt)
        start = nxt.start()
    return out


def _before_effect(what: str) -> str:
    split = _EFFECT_SPLIT.search(what)
    return re.split(r"\.\s|\.$|,\s", what[: split.start()] if split else what)[0]


def names_in(text: str, product: Product) -> list[str]:
    """The drugs, classes and foods a noun phrase names (its placeholders and the product's own names
    left out)."""
    return _names(product, text)


def _joins_self(mid: str | None, product: Product) -> bool:
    """ "taken with", "using Choline C 11 with", "use of it with": what comes before "with" is the drug."""
    if not mid or not mid.strip():
        return True
    words = re.sub(
        r"\b(?:together|concomitantly|concurrently|simultaneously|of|in|combination)\b",
        " ",
        mid,
        flags=re.I,
    )
    return not words.strip() or is_self(words.strip(), product.own)


def _names(product: Product, text: str) -> list[str]:
    out: list[str] = []
    head: str | None = None
    text = re.split(r"\s+in\s+(?!combination|conjunction)", text)[0]
    listed = _with_examples(text)
    first = re.sub(r"^(?:the|a|an)\s+", "", listed[0], flags=re.I) if listed else ""
    if (
        first
        and _is_own(product, first)
        and (
            SELF.match(first.lower())
            or re.search(r"\b(?:especially|particularly|including|such as)\b", text, re.I)
        )
    ):
        return []  # "the side effects of this medication, especially drowsiness" names no other drug
    for raw in listed:
        name = _NOISE.sub("", raw.strip()) if re.match(r"(?:many|various|several)\s", raw, re.I) else raw
        name = re.sub(r"^(?:the|a|an|with)\s+", "", name.strip(" .,:;*"), flags=re.I)
        # "histamine dihydrochloride have not been established": a name ends where a verb begins
        name = re.split(
            r"(?<!\bthat)(?<!\bwhich)(?<!\bwho)\s+(?:have|has|had|does|do|did|would|could|will)\s",
            name,
            maxsplit=1,
        )[0]
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
        bare = bare_text(name)
        if _is_own(product, name) or len(bare.split()) > 12 or not re.search(r"[A-Za-z]{2}", bare):
            continue
        process = _OWN_PROCESS.match(bare)
        if process and (not process.group("name") or _is_own(product, process.group("name"))):
            continue  # "levothyroxine absorption", "metabolism": the product's own fate, not another drug
        if re.search(
            r"\b(?:you|your|their|doctor|physician|pharmacist|provider|healthcare|professional|"
            r"interactions?|caution|care|risk|side effects?|enzymes?)\b",
            bare,
            re.I,
        ) or re.match(
            r"(?:increase|decrease|reduce|enhance|affect|cause|lead|make|interfere|alter|potentiate|inhibit|prolong|raise|"
            r"lower|interact)s?\b",
            bare,
            re.I,
        ):
            continue
        if re.search(
            r"\b(?:dosage|doses?|imaging|accuracy|results?|tests?|effects?)\b", bare, re.I
        ) or re.fullmatch(r"(?:therapy|treatment|medications?|drugs?|medicines?)", bare, re.I):
            continue
        if re.match(
            r"(?:in|on|at|by|to|for|from)\b|(?:sometimes|often|also|\w+ly)$", bare, re.I
        ) or re.search(r"\b(?:is|are|was|were|outweighs?)\b", bare, re.I):
            continue  # "interacts with in a dangerous way", "sometimes": a manner, not a drug
        if out and re.fullmatch(
            r"(?:inhibitors|inducers|blockers|agonists|antagonists|substrates)", name, re.I
        ):
            prefix = re.match(r"^(.*\s)\w+$", out[-1])  # "strong CYP3A inducers and inhibitors"
            name = f"{prefix.group(1)}{name}" if prefix else name
        out.append(name)
    return list(dict.fromkeys(out))


def _is_own(product: Product, name: str) -> bool:
    """The product itself or only its own ingredients ("Ceftazidime/Avibactam", "atorvastatin")."""
    parts = [
        p.strip(" .").lower()
        for p in re.split(r"\s*(?:[,/+;&]|\band\b|\bwith\b)\s*", bare_text(name))
        if p.strip(" .")
    ]
    return bool(parts) and all(p in product.own or SELF.match(p) for p in parts)


def to_interactions(
    names: list[str], effect: str | None, source: str, component: str | None
) -> list[Interaction]:
    """One Interaction per name; alcohol and foods are told apart from drugs."""
    return [Interaction(name, source, effect, _kind(name), component) for name in names]


def _kind(name: str) -> str:
    return "alcohol" if re.search(r"\balcohol\b", name, re.I) else "food" if _FOOD.search(name) else "drug"


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
                head = piece[: inner.start()].strip()
                out.append(head)
                examples = [p for p in listed if p.lower() not in ("etc", "etc.")]
                if vaccines := re.match(r"^(?P<kind>.*?)\s*(?:virus\s+)?vaccines?$", head, re.I):
                    # "live attenuated virus vaccines (such as mumps, rubella)": each names a vaccine
                    kind = vaccines.group("kind")
                    examples = [
                        e if re.search(r"vaccin", e, re.I) else f"{kind} {e} vaccine".strip()
                        for e in examples
                    ]
                out.extend(examples)
            else:
                out.append(piece)
    return [p for p in out if p]


_RELATIVE = re.compile(
    r"(?P<head>\b(?:(?:other|certain|some)\s+)?(?:those|ones|medications|drugs|agents|products|foods|supplements)\s+"
    r"(?:that|which)?\s*(?:affecting|affect|containing|contain|used|taken|metabolized|known to|prolonging|"
    r"prolong|increasing|increase|with|have|having)\b\s*)(?P<objects>.+)$",
    re.I,
)


def _top_pieces(part: str) -> list[str]:
    """Split a list of names at top-level commas and conjunctions; a relative phrase ("drugs containing
    bicarbonate or carbonate") gives one name per object it lists."""
    whole = _RELATIVE.match(part.strip())
    if whole and "," in whole.group("objects"):  # "drugs affecting resistance, filling, or contractility"
        return [f"{whole.group('head')}{o}" for o in split_top_level(whole.group("objects"))]
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
