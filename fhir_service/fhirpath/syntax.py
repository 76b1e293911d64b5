"""Expressions as text: the operands of a top-level union, an expression without its outer
parentheses (no parse tree needed, so cheap enough for every search parameter at start-up)."""

from __future__ import annotations


def split_union(expression: str) -> list[str]:
    """Top-level `|` operands (not inside parentheses or string literals)."""
    parts, depth, quote, start = [], 0, False, 0
    for i, ch in enumerate(expression):
        if ch == "'" and (i == 0 or expression[i - 1] != "\\"):
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and depth == 0 and ch == "|":
            parts.append(expression[start:i].strip())
            start = i + 1
    parts.append(expression[start:].strip())
    return [p for p in parts if p]


def strip_outer_parens(text: str) -> str:
    """`((a.b))` → `a.b`; `(a | b)`, `(a).b` and `(a) | (b)` stay as they are."""
    while text.startswith("(") and text.endswith(")") and split_union(text[1:-1]) == [text[1:-1].strip()]:
        inner = text[1:-1].strip()
        depth = 0
        balanced = True
        for ch in inner:
            depth += ch == "("
            depth -= ch == ")"
            if depth < 0:
                balanced = False
                break
        if not balanced:
            break
        text = inner
    return text
