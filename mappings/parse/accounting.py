"""The "nothing silently dropped" check: every sentence of the body must be found somewhere in
the parsed model (a structured field, a text field or `unmapped`).

Markup is not content: heading markers, bullets, bold markers and "Q:"/"A:" prefixes are
removed, and a line that is only a group label ("**Adults:**") counts as structure, like a
heading. Comparison is on lower-case letters and digits, so whitespace and punctuation the
parser normalised do not matter.
"""

from __future__ import annotations

import re

import frontmatter

from ..model import Monograph, dump
from .text import clean, normalise_for_match, sentences

_BULLET = re.compile(r"^\s*(?:#+|[*+-]|\d+\.)\s+")
_QA = re.compile(r"\*\*|(?:^|(?<=\s)|(?<=\*\*))\*?[QA]\s*:\s")
_GROUP_LABEL = re.compile(r"\s*(?:[*+-]\s+)?\*\*.+:\*\*\s*")


def model_text(mono: Monograph) -> str:
    """All strings of the model except the raw section bodies (which would make the check trivial)."""
    return " | ".join(normalise_for_match(s) for s in _strings(dump(mono)))


def _strings(obj, key: str | None = None):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "front_matter":
                continue
            if k == "sections":
                yield from (s["heading"] for s in v)
                continue
            yield from _strings(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v, key)
    elif isinstance(obj, str):
        yield obj


def unaccounted_lines(text: str, mono: Monograph) -> list[str]:
    """Body lines with a sentence that appears nowhere in the model."""
    haystack = model_text(mono)
    missing = []
    for line in frontmatter.loads(text).content.splitlines():
        if not line.strip() or _GROUP_LABEL.fullmatch(line):
            continue
        bare = _BULLET.sub("", line)
        if normalise_for_match(bare) in haystack:
            continue
        if line.lstrip().startswith("#") and ":" in bare:  # "### How it Works: text" → the text
            bare = bare.split(":", 1)[1]
        pieces = (normalise_for_match(s) for part in _QA.split(bare) for s in sentences(clean(part)))
        if any(p and p not in haystack for p in pieces):
            missing.append(line)
    return missing
