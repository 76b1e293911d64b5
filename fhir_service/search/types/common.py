"""Helpers shared by the type modules: prefixes, value escaping, LIKE patterns."""

from __future__ import annotations

import re

from ..errors import SearchError

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
MAX_CHAR = "\U0010ffff"  # sorts after every other character: `>= p AND < p+MAX_CHAR` is a prefix match
_PREFIXED = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)(?=[-+0-9.]|\d{4})")


def split_prefix(raw: str) -> tuple[str, str]:
    m = _PREFIXED.match(raw)
    return (m.group(1), raw[2:]) if m else ("eq", raw)


def split_escaped(raw: str, sep: str, maxsplit: int = -1) -> list[str]:
    """Split on `sep` unless escaped with a backslash; unescape `\\,` `\\|` `\\$` `\\\\`."""
    parts, cur, i, n = [], [], 0, 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            cur.append(raw[i + 1])
            i += 2
            continue
        if ch == sep and (maxsplit < 0 or n < maxsplit):
            parts.append("".join(cur))
            cur = []
            n += 1
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def unsupported(modifier: str, type_name: str) -> SearchError:
    return SearchError(
        f"Modifier ':{modifier}' is not supported on {type_name} parameters", code="not-supported"
    )
