"""Narrative XHTML rules (txt-1, txt-2): the constraints say only `htmlChecks()`, so the rules are
those of the HL7 validator: a <div> in the XHTML namespace, HTML 4 formatting elements and
attributes only (no script, forms, event handlers or javascript: links), and some content."""

from __future__ import annotations

import re
from functools import lru_cache

import defusedxml.ElementTree as safe_et

XHTML = "{http://www.w3.org/1999/xhtml}"
ALLOWED_ELEMENTS = frozenset(
    "p br div h1 h2 h3 h4 h5 h6 a span b em i strong small big tt dfn q var abbr acronym cite blockquote "
    "hr address bdo kbd sub sup ul ol li dl dt dd pre table caption colgroup col thead tr tfoot tbody th td "
    "code samp img map area ins del s u font center strike".split()
)
ALLOWED_ATTRIBUTES = frozenset(
    "title style class id lang dir accesskey tabindex span rules valign align border cellpadding cellspacing "
    "frame summary width height colspan rowspan headers abbr scope axis char charoff href name src alt start "
    "type value compact shape coords datetime cite color size face bgcolor nowrap reversed".split()
)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
UNSAFE_URL = re.compile(r"^\s*(javascript|vbscript):", re.I)
URL_IGNORED = re.compile(r"[\x00-\x20]")  # browsers drop these from URLs: "jav&#9;ascript:" runs
URL_INVALID = re.compile(r"[{}|\\^`]")  # never allowed in a URI (RFC 3986), escaped or not
# XHTML 1.0's p holds inline content only (a nested block is a different document in browsers)
BLOCK_ELEMENTS = frozenset("p div ul ol dl table pre blockquote address hr h1 h2 h3 h4 h5 h6".split())


def xhtml_problems(div: str) -> tuple[tuple[str, str], ...]:
    """((rule, message)...) for a Narrative.div string; empty when it is acceptable."""
    if isinstance(div, str) and len(div) > CACHED_DIV_LENGTH:  # the cache keeps its keys: 2048 x 10 MB
        return _xhtml_problems.__wrapped__(div)
    return _xhtml_problems(div)


CACHED_DIV_LENGTH = 8192


@lru_cache(maxsize=2048)
def _xhtml_problems(div: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(div, str):
        return (("txt-1", "the narrative div is not a string"),)
    try:
        root = safe_et.fromstring(div, forbid_dtd=True, forbid_entities=False, forbid_external=True)
    except Exception as exc:  # ParseError and defusedxml refusals alike
        return (("txt-1", f"the narrative is not well-formed XHTML: {exc}"),)
    problems = []
    if root.tag != XHTML + "div":
        problems.append(("txt-1", f"the narrative root is <{root.tag}>, not an XHTML <div>"))
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        local = tag[len(XHTML) :] if tag.startswith(XHTML) else None
        if local not in ALLOWED_ELEMENTS:
            problems.append(("txt-1", f"element <{tag}> is not allowed in narrative"))
        for attr, value in el.attrib.items():
            if attr != XML_LANG and attr not in ALLOWED_ATTRIBUTES:
                problems.append(("txt-1", f"attribute '{attr}' on <{local}> is not allowed in narrative"))
            elif attr in ("href", "src") and UNSAFE_URL.match(URL_IGNORED.sub("", value)):
                problems.append(("txt-1", f"'{attr}' with a script URL is not allowed in narrative"))
            elif attr in ("href", "src") and (bad := sorted(set(URL_INVALID.findall(value)))):
                problems.append(("txt-1", f"'{attr}' is not a valid URL (it contains {' '.join(bad)})"))
        if local == "p":
            for child in el:
                tag = child.tag if isinstance(child.tag, str) else ""
                if tag[len(XHTML) :] in BLOCK_ELEMENTS:
                    problems.append(("txt-1", f"<{tag[len(XHTML) :]}> is not allowed inside a paragraph"))
    text = "".join(root.itertext()).strip()
    if not text and root.find(f".//{XHTML}img") is None:
        problems.append(("txt-2", "the narrative has no content"))
    return tuple(problems)
