"""FHIR decimals as written: `12.50` stays `12.50` from JSON or XML into the store and back out.

A JSON number whose text Python's float would write back differently (`12.50`, `1e2`, a 20-digit
decimal) is read as a `LexicalDecimal`, a `decimal.Decimal` that keeps its text; every other number
stays an int or a float (their text already round-trips), so most resources hold no such value.
`dumps` writes a LexicalDecimal's text verbatim; `loads` reads stored JSON the same way.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal


class LexicalDecimal(Decimal):
    """A decimal that remembers the text it was read from."""

    __slots__ = ("text",)

    def __new__(cls, text: str):
        made = super().__new__(cls, text)
        made.text = text
        return made

    def __reduce__(self):
        return (LexicalDecimal, (self.text,))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return f"LexicalDecimal('{self.text}')"


def number(text: str) -> int | float | LexicalDecimal:
    """The value of a JSON number's text that serialises back to the same text."""
    if "." not in text and "e" not in text and "E" not in text:
        value = int(text)
        return value if str(value) == text else LexicalDecimal(text)
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value if repr(value) == text else LexicalDecimal(text)


def parse_float(text: str) -> float | LexicalDecimal:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value if repr(value) == text else LexicalDecimal(text)


# The C0 control U+0002 cannot occur in a stored string (formats.py refuses control characters and
# XML cannot carry them), so its escape at the start of a JSON string marks a decimal's text.
_MARK = "\x02"
_MARKED = re.compile(r'"\\u0002([-+.eE0-9]+)"')


def _default(value):
    if isinstance(value, LexicalDecimal):
        return _MARK + value.text
    if isinstance(value, Decimal):
        return _MARK + str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value, *, pretty: bool = False, sort_keys: bool = False) -> str:
    """json.dumps (non-ASCII as is; compact unless pretty) with decimals written as read."""
    if pretty:
        text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=sort_keys, default=_default)
    else:
        text = json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys, default=_default
        )
    return _MARKED.sub(r"\1", text) if "\\u0002" in text else text


def dumps_bytes(value, *, pretty: bool = False) -> bytes:
    return dumps(value, pretty=pretty).encode("utf-8")


def loads(data: bytes | str):
    """Stored (trusted) JSON, decimals as written."""
    return json.loads(data, parse_float=parse_float)
