"""Front matter, title, components and the split of the body into sections of blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

import frontmatter
import yaml

from ..model import Section
from . import sections as sec
from .blocks import Block, Item, parse_blocks
from .text import clean


@dataclass
class RawSection:
    """A section as found, with its blocks, before the section parsers look at it."""

    heading: str
    kind: str  # a sections.KIND_ALIASES key, "preamble", "component" or "other"
    component: str | None
    blocks: list[Block] = field(default_factory=list)
    name: str | None = None  # the value of a "Generic Name: X" heading/label
    base_heading: str | None = None  # "Side Effects" for its per-ingredient part "Side Effects (X)"
    first_line: int = 0
    last_line: int = 0


@dataclass
class Document:
    front_matter: dict
    title: str
    components: list[str]
    body: str
    sections: list[RawSection]
    problems: list[str] = field(default_factory=list)  # e.g. front matter that is not valid YAML

    def model_sections(self) -> list[Section]:
        lines = self.body.splitlines()
        out = []
        for s in self.sections:
            text = "\n".join(lines[s.first_line : s.last_line]).strip()
            kind = "generic_name" if s.kind == "component" else s.kind
            out.append(Section(heading=s.heading, kind=kind, text=text, component=s.component))
        return out


def read(text: str, source_path: str) -> Document:
    meta, body, problems = _front_matter(text)
    blocks = parse_blocks(body)
    h1 = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
    title = clean(str(meta.get("title") or "")) or (h1.text if h1 else "") or _title_from_path(source_path)
    components = split_components(title) or split_components(_title_from_path(source_path))
    if h1 is not None:
        blocks = [b for b in blocks if b is not h1]
    return Document(meta, title, components, body, _split_sections(blocks, components), problems)


def _front_matter(text: str) -> tuple[dict, str, list[str]]:
    """(metadata, body, problems). Front matter that does not load (bad YAML or JSON, recursive
    aliases) is ignored with a problem naming why, and the body after it is still parsed."""
    try:
        post = frontmatter.loads(text)
        return {k: _jsonable(v) for k, v in post.metadata.items()}, post.content, []
    except (ValueError, RecursionError, yaml.YAMLError) as exc:  # JSONDecodeError is a ValueError
        handler = frontmatter.detect_format(text.strip(), frontmatter.handlers)
        raw, body = handler.split(text.strip()) if handler else ("", text)
        return {}, body.strip(), [f"front matter ignored, it does not load ({_reason(exc)}): {raw.strip()}"]


def _reason(exc: Exception) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        return f"{exc.problem} at line {exc.problem_mark.line + 1}"
    if isinstance(exc, RecursionError):
        return "a self-referencing alias"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _jsonable(value):
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _title_from_path(path: str) -> str:
    stem = PurePath(path).stem.removesuffix("_trunc")
    return " ".join(w.capitalize() for w in re.split(r"[-_]+", stem) if w)


# --- components -----------------------------------------------------------------------------

_TRUNCATION_TAIL = re.compile(r"[\s\-–.+/,]+$")


def split_components(title: str) -> list[str]:
    """ "A + B + C" → [A, B, C]. A slash joins synonyms ("Lidocaine/Lignocaine", "Levothyroxine/ T4")
    unless both sides are multi-word names ("Immune Globulin Human/ Recombinant Human Hyaluronidase").
    Truncated names ("Omega-", "Neomycin -", "Voglibose .") lose their dangling tail."""
    out: list[str] = []
    for part in _split_outside_parens(title, "+"):
        pieces = [p.strip() for p in _split_outside_parens(part, "/")]
        if len(pieces) > 1 and all(len(p.split()) > 1 for p in pieces):
            candidates = pieces
        else:
            candidates = [pieces[0]]
        for name in candidates:
            name = _TRUNCATION_TAIL.sub("", name).strip()
            if name and name.lower() not in {n.lower() for n in out}:
                out.append(name)
    return out


def _split_outside_parens(text: str, sep: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in (p.strip() for p in parts) if p]


# --- sections -------------------------------------------------------------------------------


def _split_sections(blocks: list[Block], components: list[str]) -> list[RawSection]:
    current = RawSection("(preamble)", "preamble", None)
    current.first_line = blocks[0].line if blocks else 0
    found = [current]
    component: str | None = None

    def open_section(heading: str, kind: str, comp: str | None, line: int, start_line: int) -> RawSection:
        current.last_line = line
        new = RawSection(heading, kind, comp, first_line=start_line)
        found.append(new)
        return new

    for block in blocks:
        if block.kind == "heading" and sec.is_question(block.text):
            text = block.text if block.text.lower().startswith("q") else f"Q: {block.text}"
            if current.kind != "faqs":
                current = open_section("FAQs", "faqs", component, block.line, block.line)
            current.blocks.append(Block("paragraph", block.line, block.end, item=Item(text, rest=text)))
            current.last_line = block.end
            continue
        if block.kind == "heading":
            h = sec.classify(block.text, components)
            if h.kind in ("component", "other"):
                component = h.component  # a new ingredient, or a shared "Combined use" part
            elif h.component:
                component = h.component
            current = open_section(h.title, h.kind, component, block.line, block.end)
            current.name = h.name
            if h.inline:
                current.blocks.append(
                    Block("paragraph", block.line, block.end, item=Item(h.inline, rest=h.inline))
                )
                current.first_line = block.line
            current.last_line = block.end
            continue
        opened = _bold_label_section(block, components)
        if opened is not None:
            kind, comp, label, rest = opened
            if kind == "component" and current.kind in sec.CONTENT_KINDS:
                # "**Atorvastatin:**" inside Side Effects: that ingredient's part of the same section
                kind, label = current.kind, f"{_base_heading(current)} ({label})"
                if rest:
                    block = Block("paragraph", block.line, block.end, item=Item(rest, rest=rest))
                component = comp
                current = open_section(label, kind, component, block.line, block.line)
                current.base_heading = _base_heading(found[-2])
                if rest:
                    current.blocks.append(block)
                current.last_line = block.end
                continue
            if comp:
                component = comp
            current = open_section(label, kind, component, block.line, block.line)
            if kind == "component":
                current.name = label
                if rest:
                    current.blocks.append(
                        Block("paragraph", block.line, block.end, item=Item(rest, rest=rest))
                    )
            elif kind == "generic_name":
                current.name = rest or None
                comp_named = sec.match_component(rest, components) if rest and "+" not in rest else None
                if comp_named:
                    component = current.component = comp_named
            elif rest:
                current.blocks.append(Block("paragraph", block.line, block.end, item=Item(rest, rest=rest)))
            current.last_line = block.end
            continue
        current.blocks.append(block)
        current.last_line = block.end
    return [s for s in found if s.blocks or s.kind != "preamble" or s.name]


def _base_heading(section: RawSection) -> str:
    return section.base_heading or section.heading


def _bold_label_section(block: Block, components: list[str]):
    """ "**Usage:** text" paragraphs open a section (the bold_label_sections format)."""
    if block.kind != "paragraph" or not block.item or not block.item.label:
        return None
    comp = sec.component_label(block.item.label, components)
    if comp and (block.item.colon or not block.item.rest):
        return "component", comp, block.item.label, block.item.rest  # "**Flurbiprofen:**" starts its part
    if not block.item.colon:
        return None
    found = sec.kind_of_label(block.item.label, components)
    if found is None:
        return None
    kind, comp = found
    return kind, comp, block.item.label, block.item.rest
