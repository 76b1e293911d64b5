"""Generated XHTML narrative (Resource.text) from labelled rows.

Only elements the FHIR narrative rules allow (div, p, b, ul, li) are produced, every piece of
text is escaped, and the div is never empty (txt-1, txt-2).
"""

from __future__ import annotations

import re
from html import escape as _html_escape

XHTML_NS = "http://www.w3.org/1999/xhtml"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0


def escape(text: str, quote: bool = False) -> str:
    return _html_escape(_NOT_XML.sub("", text), quote=quote)


def _value(value) -> str:
    if isinstance(value, list | tuple):
        items = "".join(f"<li>{escape(str(v), quote=False)}</li>" for v in value if v not in (None, ""))
        return f"<ul>{items}</ul>" if items else ""
    return escape(str(value), quote=False)


def narrative(title: str, rows: list[tuple[str, object]]) -> dict:
    """`text` element: a bold title, then one paragraph (or list) per non-empty row."""
    parts = [f"<p><b>{escape(title, quote=False)}</b></p>"]
    for label, value in rows:
        if value in (None, "", [], ()):
            continue
        rendered = _value(value)
        if not rendered:
            continue
        if rendered.startswith("<ul>"):
            parts.append(f"<p>{escape(label, quote=False)}:</p>{rendered}")
        else:
            parts.append(f"<p>{escape(label, quote=False)}: {rendered}</p>")
    return {"status": "generated", "div": f'<div xmlns="{XHTML_NS}">{"".join(parts)}</div>'}
