"""Section headings → canonical kind and component.

Handles every heading shape in the corpus: "### Usage", "### Usage:", "### Usage (Alprazolam)",
"### Norfloxacin: Usage", "### Finasteride Usage:", "### Generic Name: X", "### Alprazolam
(Generic Name)", a bare component name "### Alprazolam", "**Usage:**" bold labels, and a
heading that carries its body inline ("### Dosage: **NOT FOR INTERNAL USE.** ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# canonical kind → heading spellings (lower case, without trailing colon)
KIND_ALIASES: dict[str, tuple[str, ...]] = {
    "generic_name": ("generic name", "generic names"),
    "usage": ("usage", "uses", "indications", "indications and usage", "medical uses"),
    "dosage": ("dosage", "dosage and administration", "dosing"),
    "side_effects": ("side effects", "adverse effects", "adverse reactions", "side effect"),
    "mechanism": ("how it works", "mechanism of action", "mechanism", "how does it work"),
    "precautions": ("precautions", "warnings and precautions", "precautions and warnings", "cautions"),
    "contraindications": ("contraindications",),
    "interactions": ("interactions", "drug interactions"),
    "warnings": ("warnings", "warning"),
    "faqs": ("faqs", "faq", "frequently asked questions"),
    "storage": ("storage", "storage and handling", "how to store"),
    "disclaimer": ("disclaimer", "important disclaimer"),
}
# sections that make a file clinical; FAQs and storage count as content but not, alone, as clinical
CLINICAL_KINDS = {
    "usage",
    "dosage",
    "side_effects",
    "mechanism",
    "precautions",
    "contraindications",
    "interactions",
    "warnings",
}
CONTENT_KINDS = CLINICAL_KINDS | {"faqs", "storage"}

_ALIAS_TO_KIND = {alias: kind for kind, aliases in KIND_ALIASES.items() for alias in aliases}
_ALIASES = "|".join(sorted((re.escape(a) for a in _ALIAS_TO_KIND), key=len, reverse=True))
_KIND_FIRST = re.compile(rf"^(?P<kind>{_ALIASES})\b\s*(?P<rest>.*)$", re.I | re.S)
_KIND_LAST = re.compile(rf"^(?P<name>.+?)\s*[:\-–]?\s+(?P<kind>{_ALIASES})$", re.I)
_NAME_THEN_GENERIC = re.compile(r"^(?P<name>.+?)\s*\(generic name\)$", re.I)
_PAREN = re.compile(r"^\((?P<q>[^()]*)\)\s*:?\s*(?P<after>.*)$", re.S)


@dataclass
class Heading:
    kind: str  # one of KIND_ALIASES, "component" (a heading naming one ingredient) or "other"
    title: str  # the heading as shown, without markup and trailing colon
    component: str | None = None  # the ingredient it is about, when the heading says so
    inline: str = ""  # body text written on the heading line itself
    name: str | None = None  # the name after "Generic Name:"


def kind_of_label(label: str, components: list[str]) -> tuple[str, str | None] | None:
    """A bold label that opens a section ("**Usage:**", "**Sertindole FAQs:**") → (kind, component).

    Sub-labels such as "**Common Side Effects:**" or "**Adults:**" are not sections → None.
    """
    kind = _ALIAS_TO_KIND.get(_norm(label))
    if kind:
        return kind, None
    m = _KIND_FIRST.match(label.strip())
    if m and (q := _PAREN.match(m.group("rest").strip())) and not q.group("after"):  # "FAQs (Atorvastatin)"
        return _ALIAS_TO_KIND[m.group("kind").lower()], match_component(q.group("q"), components)
    m = _KIND_LAST.match(label.strip())  # "Sertindole FAQs", not "Paroxetine common side effects"
    if (
        m
        and (component := match_component(m.group("name"), components))
        and _norm(component) == _norm(m.group("name"))
    ):
        return _ALIAS_TO_KIND[m.group("kind").lower()], component
    return None


def classify(text: str, components: list[str]) -> Heading:
    title = text.strip().rstrip(":").strip()
    m = _KIND_FIRST.match(title)
    if m:
        return _kind_first(_ALIAS_TO_KIND[m.group("kind").lower()], title, m.group("rest"), components)
    m = _NAME_THEN_GENERIC.match(title)
    if m:
        name = m.group("name").strip()
        return Heading("component", title, component=match_component(name, components), name=name)
    bare, qualifier = _trailing_qualifier(title)
    m = _KIND_LAST.match(bare)
    if m:  # "Norfloxacin: Usage", "Common Side Effects (Solifenacin)"
        kind = _ALIAS_TO_KIND[m.group("kind").lower()]
        component = match_component(m.group("name"), components) or match_component(qualifier, components)
        return Heading(kind, title, component=component)
    component = match_component(re.sub(r"\s*\(.*?\)\s*", " ", title), components)
    if component is not None:
        return Heading("component", title, component=component, name=title)
    return Heading("other", title)


def _kind_first(kind: str, title: str, rest: str, components: list[str]) -> Heading:
    rest = rest.strip()
    if rest and rest[0] not in ":(":
        return Heading("other", title)  # "Dosage Adjustments" is not the Dosage section
    rest = rest.lstrip(":").strip()
    component = None
    qualifier = _PAREN.match(rest)
    if qualifier:  # "Usage (Alprazolam)", "FAQs (Not Applicable)"
        component = match_component(qualifier.group("q"), components)
        rest = qualifier.group("after").strip()
    rest = rest.lstrip(":").strip()
    if kind == "generic_name":
        name = rest or None
        if component is None and rest and "+" not in rest:  # "Generic Name: A + B" names the product
            component = match_component(rest, components)
        return Heading(kind, title, component=component, name=name)
    if rest:  # "Dosage: **NOT FOR INTERNAL USE.** ..." → body text on the heading line
        return Heading(
            kind, title[: len(title) - len(rest)].strip().rstrip(":").strip(), component, inline=rest
        )
    return Heading(kind, title, component)


_NOT_A_NAME = re.compile(
    r"side effects?|effects|common|serious|rare|dos(?:e|age|ing)|usage|faqs?|precautions|"
    r"together|combined|combination|interactions?|warnings?",
    re.I,
)


def component_label(label: str, components: list[str]) -> str | None:
    """ "**Atorvastatin:**", "**Butyl Alcohol (Butanol)**" name an ingredient; "**Paroxetine common side
    effects:**" or "**Atorvastatin and B Vitamins Taken Together:**" do not."""
    if is_question(label) or _NOT_A_NAME.search(label):
        return None
    bare = re.sub(r"\s*\([^()]*\)", "", label).strip()
    component = match_component(bare, components)
    if component and len(_norm(bare).split()) <= len(_norm(component).split()) + 2:
        return component
    return None


def _trailing_qualifier(title: str) -> tuple[str, str]:
    m = re.match(r"^(?P<bare>.+?)\s*\((?P<q>[^()]*)\)$", title)
    return (m.group("bare"), m.group("q")) if m else (title, "")


def is_question(text: str) -> bool:
    """A heading that is really an FAQ question ("### Q: How should I store X?")."""
    t = text.strip()
    return bool(re.match(r"^Q\s*[:.]", t)) or (t.endswith("?") and len(t.split()) > 2)


def match_component(name: str, components: list[str]) -> str | None:
    """The title component a heading names ("Cefuroxime Axetil" → "Cefuroxime"), if any."""
    wanted = _norm(name)
    if not wanted or len(components) < 2:
        return None
    for component in components:
        c = _norm(component)
        if c and (wanted == c or wanted.startswith(c + " ") or c.startswith(wanted + " ")):
            return component
    for component in components:
        c = _norm(component)
        if (
            c
            and len(c) > 3
            and re.search(rf"\b{re.escape(c)}\b", wanted)
            and len(wanted.split()) <= len(c.split()) + 3
        ):
            return component
    return None


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
