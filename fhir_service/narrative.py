"""Narrative XHTML rules (txt-1, txt-2): the constraints say only `htmlChecks()`, so the rules are
those of the HL7 validator: a <div> in the XHTML namespace, HTML 4 formatting elements and
attributes only (no script, forms, event handlers or javascript: links), and some content. Beyond
those: no processing instructions, no data: URLs but raster images (in <img src> or a style's
url()), and no style that runs or loads anything from elsewhere (expression(), script URLs, @import,
a url() with a scheme or host)."""

from __future__ import annotations

import re
from functools import lru_cache
from xml.etree import ElementTree

from defusedxml.ElementTree import DefusedXMLParser

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
UNSAFE_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.I)
URL_IGNORED = re.compile(r"[\x00-\x20]")  # browsers drop these from URLs: "jav&#9;ascript:" runs
URL_INVALID = re.compile(r"[{}|\\^`]")  # never allowed in a URI (RFC 3986), escaped or not
# XHTML 1.0's p holds inline content only (a nested block is a different document in browsers)
BLOCK_ELEMENTS = frozenset("p div ul ol dl table pre blockquote address hr h1 h2 h3 h4 h5 h6".split())
URL_ATTRIBUTES = ("href", "src", "cite")
# The only data: URLs a narrative may hold: raster images in <img src>. SVG never (it carries script).
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp)[;,]", re.I)
# CSS that runs something (IE's expression() and behavior, XBL bindings, script URLs) or loads a
# style sheet; a url() may only be a raster data: image or relative (the R5 examples use both), never
# another origin's
UNSAFE_STYLE = re.compile(r"expression\(|javascript:|vbscript:|behavior:|-moz-binding|@import", re.I)
CSS_URL = re.compile(r"url\(['\"]?([^'\")]*)", re.I)
ABSOLUTE_URL = re.compile(r"^([a-z][a-z0-9+.\-]*:|[/\\]{2})", re.I)  # a scheme, or //host
CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.S)
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}\s?|.)", re.S)


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
    builder = _Builder()
    try:
        parser = DefusedXMLParser(
            target=builder, forbid_dtd=True, forbid_entities=False, forbid_external=True
        )
        parser.feed(div)
        root = parser.close()
    except Exception as exc:  # ParseError and defusedxml refusals alike
        return (("txt-1", f"the narrative is not well-formed XHTML: {exc}"),)
    problems = []
    if builder.instructions:
        problems.append(
            (
                "txt-1",
                f"processing instruction <?{builder.instructions[0][:40]}?> is not allowed in narrative",
            )
        )
    if root.tag != XHTML + "div":
        problems.append(("txt-1", f"the narrative root is <{root.tag}>, not an XHTML <div>"))
    for el in root.iter():
        if el.tag is ElementTree.ProcessingInstruction:
            continue  # reported above
        tag = el.tag if isinstance(el.tag, str) else ""
        local = tag[len(XHTML) :] if tag.startswith(XHTML) else None
        if local not in ALLOWED_ELEMENTS:
            problems.append(("txt-1", f"element <{tag}> is not allowed in narrative"))
        for attr, value in el.attrib.items():
            if attr != XML_LANG and attr not in ALLOWED_ATTRIBUTES:
                problems.append(("txt-1", f"attribute '{attr}' on <{local}> is not allowed in narrative"))
            elif attr in URL_ATTRIBUTES and _unsafe_url(local, attr, value):
                problems.append(("txt-1", f"'{attr}' with a script or data URL is not allowed in narrative"))
            elif attr == "style" and _unsafe_style(value):
                problems.append(
                    (
                        "txt-1",
                        "a 'style' with expression(), a script URL, @import or a url() to another site is not allowed in narrative",
                    )
                )
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


class _Builder(ElementTree.TreeBuilder):
    """Keeps processing instructions (ElementTree drops them, before and inside the root alike)."""

    def __init__(self):
        super().__init__()
        self.instructions: list[str] = []

    def pi(self, target, text=None):
        self.instructions.append(target or "")
        return super().pi(target, text)


def _unsafe_url(element: str | None, attr: str, value: str) -> bool:
    url = URL_IGNORED.sub("", value)
    if not UNSAFE_URL.match(url):
        return False
    return not (element == "img" and attr == "src" and DATA_IMAGE.match(url))


def _unsafe_style(value: str) -> bool:
    css = _css(value)
    urls = CSS_URL.findall(css)
    return bool(UNSAFE_STYLE.search(css)) or any(
        ABSOLUTE_URL.match(u) and not DATA_IMAGE.match(u) for u in urls
    )


def _css(value: str) -> str:
    """A style value as a browser reads it: comments gone, escapes resolved, no whitespace."""
    value = CSS_COMMENT.sub("", value)
    value = CSS_ESCAPE.sub(_unescape, value)
    return URL_IGNORED.sub("", value)


def _unescape(match: re.Match) -> str:
    escaped = match.group(1)
    if escaped[0] in "0123456789abcdefABCDEF":
        code = int(escaped.strip(), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return "" if escaped == "\n" else escaped
