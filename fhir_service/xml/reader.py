"""FHIR XML → the JSON form (R5 xml.html, json.html), in one pass over expat's events.

Each element is looked up in the plan of its parent (schema.py), so the work per element is
constant and a document is read in linear time. What the JSON form cannot carry — element order,
unknown elements and attributes, text inside elements, a primitive without a value — is reported
as validation issues (with the element's path and line) attached to the resource they occur in
(`XmlResource.xml_issues`); the validator adds them to its own. A document that is not well-formed
XML, declares a DTD or entities, or is not UTF-8 is refused outright (XmlFormatError).
"""

from __future__ import annotations

import re
from pyexpat import ExpatError, ParserCreate, errors

from fhir_service.jsontext import number
from fhir_service.limits import current
from fhir_service.validation.issues import Issue
from fhir_service.xml.errors import XmlFormatError, XmlTooDeep
from fhir_service.xml.schema import (
    COMPLEX,
    FHIR_NS,
    PRIMITIVE,
    RESOURCE,
    XHTML,
    XHTML_NS,
    XSI_NS,
    Child,
    plan,
    resource_plan,
)

MAX_ISSUES = 100  # per document: a hostile body must not make a hostile OperationOutcome

_INTEGER = re.compile(r"0|[-+]?[1-9][0-9]*")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_INTEGER_TYPES = frozenset(("integer", "positiveInt", "unsignedInt"))
_XML_SPACE = " \t\r\n"
_START_TAG_END = re.compile(rb"""(?:[^>"']|"[^"]*"|'[^']*')*>""")
_UTF8 = ("utf-8", "utf8")

_WRAP = 4  # a resource's wrapper element (<contained>, <resource>): holds one resource element


class XmlResource(dict):
    """A resource read from XML: its JSON form plus what only the XML showed was wrong."""

    __slots__ = ("xml_issues", "document_issues")

    def __init__(self, *args):
        super().__init__(*args)
        self.xml_issues: list[Issue] = []  # in this resource, not in those it contains
        self.document_issues = 0  # in the whole document (set on the root)


class _Frame:
    __slots__ = (
        "kind",
        "plan",
        "obj",
        "parent",
        "child",
        "index",
        "owner",
        "last",
        "last_key",
        "attach",
        "lists",
        "value",
        "ext",
        "texted",
        "line",
    )

    def __init__(self, kind, plan_, obj, parent, child, index, owner, line):
        self.kind = kind
        self.plan = plan_
        self.obj = obj
        self.parent = parent
        self.child = child
        self.index = index
        self.owner = owner  # the _Frame of the resource this element belongs to
        self.last = -1
        self.last_key = None
        self.attach = True
        self.lists = None  # keys of repeating primitives (their _key arrays are tidied at the end)
        self.value = None
        self.ext = None
        self.texted = False
        self.line = line


def parse(data: bytes | str) -> XmlResource:
    """The resource in `data` (FHIR XML, UTF-8); XmlFormatError if it is not a readable one."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _Reader(data).run()


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.stack: list[_Frame] = []
        self.root: XmlResource | None = None
        self.skip = 0
        self.depth = 0
        self.limit = current().json_depth + 1  # + 1: a primitive's value is one element deeper in XML
        self.issue_count = 0
        self.pending_ns: list[tuple[str | None, str]] = []
        self.div: _Div | None = None
        parser = ParserCreate("utf-8", " ")
        parser.namespace_prefixes = True
        parser.ordered_attributes = True
        parser.buffer_text = True
        parser.buffer_size = 65536
        parser.XmlDeclHandler = self._declaration
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        parser.UnparsedEntityDeclHandler = self._entity
        parser.ExternalEntityRefHandler = self._external
        parser.StartNamespaceDeclHandler = self._namespace
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.CommentHandler = self._comment
        parser.SetParamEntityParsing(0)  # XML_PARAM_ENTITY_PARSING_NEVER
        self.parser = parser

    def run(self) -> XmlResource:
        data = self.data
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise XmlFormatError("FHIR XML must be UTF-8 encoded (this document is UTF-16)")
        try:
            self.parser.Parse(data, True)
        except ExpatError as exc:
            raise XmlFormatError(
                f"Malformed XML: {errors.messages[exc.code]}: line {exc.lineno}, column {exc.offset}"
            ) from exc
        if self.root is None:
            raise XmlFormatError("The XML document holds no FHIR resource")
        self.root.document_issues = self.issue_count
        return self.root

    # -- refusals: no DTD, no entities, UTF-8 only --------------------------------------------

    def _declaration(self, version, encoding, standalone):
        if encoding is not None and encoding.lower() not in _UTF8:
            raise XmlFormatError(f"FHIR XML must be UTF-8 encoded, not '{encoding[:40]}'")

    def _doctype(self, *args):
        raise XmlFormatError("XML with a DOCTYPE is not accepted (FHIR XML has no DTD)")

    def _entity(self, *args):
        raise XmlFormatError("XML with entity declarations is not accepted")

    def _external(self, *args):
        raise XmlFormatError("XML with external entities is not accepted")

    # -- issues ----------------------------------------------------------------------------

    def issue(self, frame: _Frame | None, message: str, rule: str, extra: str = "", code: str = "structure"):
        self.issue_count += 1
        if self.issue_count > MAX_ISSUES:
            return
        owner = frame.owner if frame is not None else None
        if owner is None:
            return
        path = _path(frame) + extra
        line = self.parser.CurrentLineNumber
        if self.issue_count == MAX_ISSUES:
            message, rule = f"more than {MAX_ISSUES} problems in the XML; the rest are not listed", "xml"
        owner.obj.xml_issues.append(Issue("error", code, path, f"{message} (line {line})", rule, line))

    # -- events ----------------------------------------------------------------------------

    def _namespace(self, prefix, uri):
        self.pending_ns.append((prefix, uri))

    def _start(self, name: str, attrs: list):
        self.depth += 1
        if self.depth > self.limit:
            raise XmlTooDeep(self.limit - 1)
        if self.skip:
            self.skip += 1
            self.pending_ns.clear()
            return
        if self.div is not None:
            self.div.start(name, attrs, self.pending_ns)
            self.pending_ns.clear()
            return
        stack = self.stack
        line = self.parser.CurrentLineNumber
        uri, _, local = name.partition(" ")
        if " " in local:
            local = local.split(" ", 1)[0]
        if not stack:
            self._root(uri, local, attrs, line)
            self.pending_ns.clear()
            return
        top = stack[-1]
        kind = top.kind
        if kind == _WRAP:
            self._wrapped(top, uri, local, attrs, line)
            self.pending_ns.clear()
            return
        child = top.plan.children.get(local) if uri == FHIR_NS else None
        if child is None:
            if uri == XHTML_NS and local == "div":
                child = top.plan.children.get("div")
                if child is not None and child.kind == XHTML:
                    self._place(top, child)
                    self.div = _Div(self, top, child, name, attrs, self.pending_ns)
                    self.pending_ns.clear()
                    return
            shown = local if uri == FHIR_NS else f"{{{uri}}}{local}" if uri else local
            self.issue(top, f"unknown element '{shown}'", "unknown-element", f".{local}")
            self.skip = 1
            self.pending_ns.clear()
            return
        self.pending_ns.clear()
        if child.kind == XHTML:
            self.issue(top, "the narrative div must be in the XHTML namespace", "txt-1", ".div")
            self.skip = 1
            return
        attach = self._place(top, child)
        if kind == PRIMITIVE and top.obj is None:  # a primitive's extensions go in its `_name` object
            if top.ext is None:
                top.ext = {}
            top.obj = top.ext
        index = _index(top.obj, child) if child.many else None
        k = child.kind
        if k == PRIMITIVE:
            frame = _Frame(PRIMITIVE, plan(*child.target), None, top, child, index, top.owner, line)
            self._primitive_attributes(frame, attrs)
        elif k == COMPLEX:
            frame = _Frame(COMPLEX, plan(*child.target), {}, top, child, index, top.owner, line)
            if attrs:
                self._attributes(frame, attrs)
        else:  # RESOURCE
            frame = _Frame(_WRAP, None, None, top, child, index, top.owner, line)
            if attrs:
                self._attributes(frame, attrs)
        frame.attach = attach
        stack.append(frame)

    def _place(self, top: _Frame, child: Child) -> bool:
        """Check `child` comes in definition order under `top`; False if it must not be kept."""
        order = child.order
        if order > top.last:
            top.last, top.last_key = order, child.key
            return True
        if order < top.last:
            self.issue(
                top,
                f"element '{child.key}' is out of order (it must come before '{top.last_key}')",
                "element-order",
                f".{child.choice or child.key}",
            )
            return True
        if child.key != top.last_key:
            self.issue(
                top,
                f"more than one type given for {child.choice}[x] ({top.last_key}, {child.key})",
                "choice",
                f".{child.choice}",
            )
            return False
        if not child.many:
            self.issue(
                top, f"element '{child.key}' appears more than once (max 1)", "cardinality", f".{child.key}"
            )
            return False
        return True

    def _root(self, uri: str, local: str, attrs: list, line: int):
        if uri != FHIR_NS:
            raise XmlFormatError(
                f"The XML root element <{local}> is not in the FHIR namespace {FHIR_NS}"
                + (f" (its namespace is {uri[:100]})" if uri else "")
            )
        root_plan = resource_plan(local)
        if root_plan is None:
            raise XmlFormatError(f"Unknown resource type '{local[:100]}'")
        resource = XmlResource({"resourceType": local})
        frame = _Frame(RESOURCE, root_plan, resource, None, None, None, None, line)
        frame.owner = frame
        self.root = resource
        self.stack.append(frame)
        if attrs:
            self._attributes(frame, attrs)

    def _wrapped(self, top: _Frame, uri: str, local: str, attrs: list, line: int):
        if top.obj is not None:
            self.issue(top, "a resource wrapper element holds one resource only", "structure")
            self.skip = 1
            return
        resource_plan_ = resource_plan(local) if uri == FHIR_NS else None
        if resource_plan_ is None:
            self.issue(top, f"'{local}' is not a resource type", "resourceType")
            self.skip = 1
            return
        resource = XmlResource({"resourceType": local})
        top.obj = resource
        frame = _Frame(RESOURCE, resource_plan_, resource, top, None, None, None, line)
        frame.owner = frame
        self.stack.append(frame)
        if attrs:
            self._attributes(frame, attrs)

    def _attributes(self, frame: _Frame, attrs: list):
        allowed = frame.plan.attributes if frame.plan is not None else ()
        for i in range(0, len(attrs), 2):
            name = attrs[i]
            if name in allowed:
                if frame.obj is not None:
                    frame.obj[name] = attrs[i + 1]
                continue
            self._unknown_attribute(frame, name)

    def _primitive_attributes(self, frame: _Frame, attrs: list):
        for i in range(0, len(attrs), 2):
            name = attrs[i]
            if name == "value":
                frame.value = _convert(attrs[i + 1], frame.child.code)
            elif name == "id":
                if frame.ext is None:
                    frame.ext = {}
                frame.ext["id"] = attrs[i + 1]
            else:
                self._unknown_attribute(frame, name)

    def _unknown_attribute(self, frame: _Frame, name: str):
        if name.startswith(XSI_NS + " "):
            return  # xsi:schemaLocation and friends: about the document, not the resource
        shown = name.split(" ")[1] if " " in name else name
        self.issue(frame, f"unknown attribute '{shown}'", "unknown-attribute")

    def _end(self, name: str):
        self.depth -= 1
        if self.skip:
            self.skip -= 1
            return
        if self.div is not None:
            if self.div.end(name):
                self.div = None
            return
        frame = self.stack.pop()
        kind = frame.kind
        if frame.lists:
            _tidy(frame.obj, frame.lists)
        parent = frame.parent
        if kind == RESOURCE:
            return  # the root, or a wrapped resource the wrapper holds already
        if kind == PRIMITIVE:
            value, ext = frame.value, frame.ext
            if value is None and ext is None:
                self.issue(
                    parent,
                    "a primitive element has no value attribute and no extensions",
                    "ele-1",
                    _segment(frame),
                )
                return
            if not frame.attach:
                return
            child = frame.child
            key = child.key
            obj = parent.obj
            if child.many:
                if key not in obj and "_" + key not in obj:
                    obj[key] = []
                    obj["_" + key] = []
                    if parent.lists is None:
                        parent.lists = []
                    parent.lists.append(key)
                obj[key].append(value)
                obj["_" + key].append(ext)
            else:
                if value is not None:
                    obj[key] = value
                if ext is not None:
                    obj["_" + key] = ext
            return
        if kind == _WRAP:
            value = frame.obj
            if value is None:
                self.issue(frame, "a resource wrapper element holds no resource", "structure")
                return
        else:
            value = frame.obj
        if not frame.attach:
            return
        key = frame.child.key
        obj = parent.obj
        if frame.child.many:
            existing = obj.get(key)
            if existing is None:
                obj[key] = [value]
            else:
                existing.append(value)
        else:
            obj[key] = value

    def _text(self, data: str):
        if self.div is not None:
            if not self.skip:
                self.div.text(data)
            return
        if self.skip or not self.stack:
            return
        if data.strip(_XML_SPACE):
            frame = self.stack[-1]
            if not frame.texted:
                frame.texted = True
                self.issue(
                    frame, "text is not allowed inside this element (values go in value attributes)", "text"
                )

    def _comment(self, data: str):
        if self.div is not None:
            self.div.comment(data)


def _convert(text: str, code: str):
    """The JSON value of a value attribute; text JSON cannot hold as that type stays a string,
    for the validator to report as an invalid value."""
    if code == "boolean":
        return True if text == "true" else False if text == "false" else text
    if code in _INTEGER_TYPES:
        return int(text) if _INTEGER.fullmatch(text) and len(text) < 20 else text
    if code == "decimal":
        return number(text) if _JSON_NUMBER.fullmatch(text) and len(text) < 1000 else text
    return text


def _index(obj: dict, child: Child) -> int:
    existing = obj.get(child.key)
    if existing is None:
        existing = obj.get("_" + child.key)
    return len(existing) if existing is not None else 0


def _tidy(obj: dict, keys: list[str]) -> None:
    """A repeating primitive's `_key` array goes when no item has an id or extension, its value
    array when no item has a value (as the R5 examples write them)."""
    for key in keys:
        if not any(e is not None for e in obj["_" + key]):
            del obj["_" + key]
        elif not any(v is not None for v in obj[key]):
            del obj[key]


def _segment(frame: _Frame) -> str:
    child = frame.child
    if child is None:
        return ""
    name = f"{child.choice}.ofType({child.code})" if child.choice else child.key
    return f".{name}[{frame.index}]" if frame.index is not None else f".{name}"


def _path(frame: _Frame) -> str:
    """The FHIRPath of `frame`'s element from its resource, as the validator names locations."""
    parts = []
    while frame is not None and frame.owner is not frame:
        parts.append(_segment(frame))
        frame = frame.parent
    root = frame.obj["resourceType"] if frame is not None else ""
    return root + "".join(reversed(parts))


class _Div:
    """The XHTML div of a narrative: kept as written (a slice of the document) when it declares
    the XHTML default namespace itself and uses no prefix declared outside it; otherwise written
    again from its events with the XHTML namespace as default, as the JSON form requires."""

    def __init__(self, reader: _Reader, top: _Frame, child: Child, name: str, attrs: list, declared):
        self.reader = reader
        self.top = top
        self.child = child
        self.begin = reader.parser.CurrentByteIndex
        self.depth = 1
        self.verbatim = " " not in name.split(" ", 1)[1] and (None, XHTML_NS) in declared
        self.events: list = []
        self.scopes: list[set] = []
        self.start(name, attrs, declared, first=True)

    def start(self, name: str, attrs: list, declared, first: bool = False):
        if not first:
            self.depth += 1
        scope = {p for p, _ in declared}
        inherited = set().union(*self.scopes) if self.scopes else set()
        self.scopes.append(scope)
        if self.verbatim:
            for qname in [name, *attrs[0::2]]:
                parts = qname.split(" ")
                if (
                    len(parts) == 3
                    and parts[2] != "xml"
                    and parts[2] not in scope
                    and parts[2] not in inherited
                ):
                    self.verbatim = False
        self.events.append((0, name, attrs))

    def end(self, name: str) -> bool:
        self.depth -= 1
        self.scopes.pop()
        self.events.append((1, name, None))
        if self.depth:
            return False
        reader = self.reader
        if self.verbatim:
            data = reader.data
            at = reader.parser.CurrentByteIndex
            if at == self.begin:  # <div .../>: start and end are the one tag
                match = _START_TAG_END.match(data, at)
                stop = match.end() if match else len(data)
            else:
                stop = data.index(b">", at) + 1
            text = data[self.begin : stop].replace(b"\r\n", b"\n").replace(b"\r", b"\n").decode("utf-8")
        else:
            text = _serialise(self.events)
        top, key = self.top, self.child.key
        top.obj[key] = text
        return True

    def text(self, data: str):
        self.events.append((2, data, None))

    def comment(self, data: str):
        self.events.append((3, data, None))


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(text: str) -> str:
    return (
        _escape_text(text)
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def _serialise(events: list) -> str:
    """XHTML from a div's events with the XHTML namespace as the default (other namespaces are
    declared on the element that uses them)."""
    out: list[str] = []
    defaults = [XHTML_NS]
    open_tag = False  # the last start tag still lacks its ">" (it becomes "/>" if empty)
    for kind, a, b in events:
        if open_tag and kind != 1:
            out.append(">")
            open_tag = False
        if kind == 0:
            uri, local = _split(a)
            tag = [f"<{local}"]
            if len(defaults) == 1 and not out:
                tag.append(f' xmlns="{XHTML_NS}"')
            elif uri != defaults[-1]:
                tag.append(f' xmlns="{_escape_attr(uri)}"')
            defaults.append(uri)
            for i in range(0, len(b), 2):
                attr_uri, attr = _split(b[i])
                value = _escape_attr(b[i + 1])
                if not attr_uri:
                    tag.append(f' {attr}="{value}"')
                elif attr_uri == "http://www.w3.org/XML/1998/namespace":
                    tag.append(f' xml:{attr}="{value}"')
                else:
                    tag.append(f' xmlns:a{i}="{_escape_attr(attr_uri)}" a{i}:{attr}="{value}"')
            out.append("".join(tag))
            open_tag = True
        elif kind == 1:
            defaults.pop()
            if open_tag:
                out.append("/>")
                open_tag = False
            else:
                out.append(f"</{_split(a)[1]}>")
        elif kind == 2:
            out.append(_escape_text(a))
        else:
            out.append(f"<!--{a}-->")
    return "".join(out)


def _split(name: str) -> tuple[str, str]:
    """(namespace, local name) of an expat name ("uri local prefix", "uri local" or "local")."""
    parts = name.split(" ")
    return ("", parts[0]) if len(parts) == 1 else (parts[0], parts[1])
