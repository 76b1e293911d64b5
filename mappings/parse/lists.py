"""List helpers: walk bullets with their bold labels and nested bullets, split list phrases."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .blocks import Block, Item
from .text import split_top_level

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
    examples = phrase_list(tail[: end.start()] if end else tail, max_words)
    head = phrase_list(text[: m.start()], max_words)[:-1] if keep_head and examples else []
    return head + examples


_ADJECTIVES = {
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
