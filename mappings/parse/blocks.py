"""Markdown → a flat list of blocks (headings, paragraphs, lists with nested items).

markdown-it-py does the Markdown; this module only turns its syntax tree into plain-text
blocks that keep what the section parsers need: a leading bold label ("**Oral:** ..."),
the text after it, nested list items, and the source line for ordering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from .text import clean


@dataclass
class Item:
    """A paragraph or list item as plain text, split into bold label and rest."""

    text: str  # the whole plain text
    label: str | None = None  # leading bold text without its trailing colon
    rest: str = ""  # text after the label (== text when there is no label)
    colon: bool = False  # the label ended with ":" ("**Oral:**" or "**Oral**:")
    children: list[Item] = field(default_factory=list)  # nested list items

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Block:
    kind: str  # heading | paragraph | list | hr | code | table
    line: int  # 0-based first line in the body
    end: int  # line after the block
    item: Item | None = None  # heading/paragraph/code/table content
    items: list[Item] = field(default_factory=list)  # list items
    level: int = 0  # heading level

    @property
    def text(self) -> str:
        if self.item is not None:
            return self.item.text
        return " ".join(i.text for it in self.items for i in it.walk() if i.text)  # "0." is an empty item


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def parse_blocks(body: str) -> list[Block]:
    root = SyntaxTreeNode(_md().parse(body))
    return [b for node in root.children if (b := _block(node)) is not None]


def _block(node: SyntaxTreeNode) -> Block | None:
    start, end = node.map or (0, 0)
    if node.type == "heading":
        return Block("heading", start, end, item=_inline_item(node.children[0]), level=int(node.tag[1]))
    if node.type == "paragraph":
        return Block("paragraph", start, end, item=_inline_item(node.children[0]))
    if node.type in ("bullet_list", "ordered_list"):
        return Block("list", start, end, items=[_list_item(li) for li in node.children])
    if node.type == "hr":
        return Block("hr", start, end)
    if node.type in ("code_block", "fence", "html_block"):
        text = clean(node.content)
        return Block("code", start, end, item=_plain(text)) if text else None
    if node.type == "table":
        rows = [" | ".join(_inline_text(c.children[0]) for c in tr.children) for tr in _rows(node)]
        return Block("table", start, end, item=_plain("\n".join(rows)))
    if node.type == "blockquote":
        texts = [b.text for child in node.children if (b := _block(child))]
        return Block("paragraph", start, end, item=_label_split(" ".join(texts)))
    return None


def _rows(table: SyntaxTreeNode):
    for section in table.children:
        yield from section.children


def _list_item(li: SyntaxTreeNode) -> Item:
    texts: list[str] = []
    first: Item | None = None
    children: list[Item] = []
    for child in li.children:
        if child.type == "paragraph":
            item = _inline_item(child.children[0])
            if first is None:
                first = item
            texts.append(item.text)
        elif child.type in ("bullet_list", "ordered_list"):
            children.extend(_list_item(sub) for sub in child.children)
        else:
            block = _block(child)
            if block is not None:
                texts.append(block.text)
    text = " ".join(t for t in texts if t)
    if first is None:
        return Item(text=text, rest=text, children=children)
    extra = text[len(first.text) :].strip()
    rest = f"{first.rest} {extra}".strip() if extra else first.rest
    return Item(text=text, label=first.label, rest=rest, colon=first.colon, children=children)


def _plain(text: str) -> Item:
    return Item(text=text, rest=text)


def _inline_text(inline: SyntaxTreeNode) -> str:
    return clean("".join(_render(inline.children)))


_SUP = str.maketrans("0123456789+-−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _render(nodes, script: list[str] | None = None) -> list[str]:
    """Inline nodes → text. <sup>6</sup> → ⁶ and <sub>2</sub> → ₂, so "10<sup>6</sup>" stays 10⁶
    (not 106) and "m<sup>2</sup>" reads m²; other tags are dropped, their text kept."""
    script = script if script is not None else []
    out: list[str] = []
    for node in nodes:
        if node.type in ("text", "code_inline"):
            text = node.content
            if script and script[-1] == "sup":
                text = text.translate(_SUP)
            elif script and script[-1] == "sub":
                text = text.translate(_SUB)
            out.append(text)
        elif node.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif node.type == "image":
            out.append(node.content)
        elif node.type == "html_inline":
            tag = node.content.strip("<>/ ").split()[0].lower() if node.content.strip("<>/ ") else ""
            if tag in ("sup", "sub"):
                if node.content.startswith("</"):
                    if script:
                        script.pop()
                else:
                    script.append(tag)
        elif node.children:
            out.extend(_render(node.children, script))
    return out


def _inline_item(inline: SyntaxTreeNode) -> Item:
    """Split "**Label:** rest" using the strong node, not a regex over the raw line."""
    nodes = [n for n in inline.children if not (n.type == "text" and not n.content.strip())]
    text = _inline_text(inline)
    if not nodes or nodes[0].type != "strong":
        return Item(text=text, rest=text)
    label = clean("".join(_render(nodes[0].children)))
    rest = clean("".join(_render(nodes[1:])))
    colon = False
    if label.endswith(":"):
        label, colon = label[:-1].strip(), True
    elif rest.startswith(":"):
        rest, colon = rest[1:].strip(), True
    if not label:
        return Item(text=text, rest=text)
    return Item(text=text, label=label, rest=rest, colon=colon)


def _label_split(text: str) -> Item:
    return Item(text=text, rest=text)
