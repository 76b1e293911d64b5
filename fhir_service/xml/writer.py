"""The JSON form of a resource → FHIR XML (R5 xml.html): elements in definition order, primitives
as value attributes (decimals, dates and strings as written), `_name` ids and extensions on their
element, resources inside their wrapper element, the narrative div as it is.

One pass over each object: a key's place, kind and tags come from a table made once per element
definition (`_Table`), and an object whose keys already follow the definition (what the service
stores) is written in the order it is read; any other order is sorted first."""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from fhir_service import jsontext
from fhir_service.jsontext import LexicalDecimal
from fhir_service.xml.schema import COMPLEX, FHIR_NS, PRIMITIVE, RESOURCE, XHTML, Plan, plan, resource_plan

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_SKIP, _EXTENSION_OF = -1, -2  # an attribute or resourceType (written elsewhere); a `_name` key


class XmlWriteError(ValueError):
    """The resource has content its type does not define, which XML cannot place."""


class _Entry:
    """How one JSON key of an object is written."""

    __slots__ = (
        "close",
        "empty",
        "ext_key",
        "kind",
        "name",
        "open",
        "order",
        "start",
        "target",
        "value_open",
    )

    def __init__(self, order: int, kind: int, name: str):
        self.order, self.kind, self.name = order, kind, name
        self.ext_key = "_" + name
        self.open, self.start, self.close, self.empty = f"<{name}", f"<{name}>", f"</{name}>", f"<{name}/>"
        self.value_open = f'<{name} value="'
        self.target: _Table | None = None


class _Table:
    """The keys one object (a resource, a datatype, a backbone element) may have."""

    __slots__ = ("attributes", "entries", "path")

    def __init__(self, plan_: Plan):
        self.path = plan_.path
        self.attributes = tuple(sorted(plan_.attributes))
        self.entries: dict[str, _Entry] = {}


_TABLES: dict[tuple[str, str], _Table] = {}
_RESOURCES: dict[str, _Table | None] = {}
# Built under it, published (_RESOURCES, _extensions) only when complete: no thread sees a half-filled one.
_BUILDING = threading.RLock()


def _table(type_name: str, path: str) -> _Table:
    """The table of a plan, and of every plan below it (made once: recursive types share theirs)."""
    key = (type_name, path)
    table = _TABLES.get(key)
    if table is not None:
        return table
    plan_ = plan(type_name, path)
    table = _TABLES[key] = _Table(plan_)
    entries = table.entries
    for attribute in plan_.attributes:
        entries[attribute] = _Entry(_SKIP, _SKIP, attribute)
    if plan_.is_resource:
        entries["resourceType"] = _Entry(_SKIP, _SKIP, "resourceType")
    for name, child in plan_.children.items():
        entry = entries[name] = _Entry(child.order, child.kind, name)
        if child.kind == COMPLEX:
            entry.target = _table(*child.target)
        elif child.kind == PRIMITIVE:
            entries[entry.ext_key] = _Entry(child.order, _EXTENSION_OF, name)
    return table


def _resource_table(resource_type: str) -> _Table | None:
    try:
        return _RESOURCES[resource_type]
    except KeyError:
        pass
    with _BUILDING:
        if resource_type not in _RESOURCES:
            known = resource_plan(resource_type) is not None
            _RESOURCES[resource_type] = _table(resource_type, resource_type) if known else None
        return _RESOURCES[resource_type]


@cache
def _extensions() -> _Table:
    """A primitive's `extension` (the same for every primitive type)."""
    with _BUILDING:
        return _table("string", "string")


def write(resource: dict, pretty: bool = False) -> bytes:
    out: list[str] = [DECLARATION]
    _resource(resource, out, "\n" if pretty else "", f' xmlns="{FHIR_NS}"')
    if pretty:
        out.append("\n")
    return "".join(out).encode("utf-8")


class _Rendered:
    """Stored JSON bytes → their XML document (bytes; key: content, pretty) or their element inside
    another (str; key: content, indentation), the most recently used kept up to a total size.
    Sound because the key is the content itself: the same bytes always make the same document,
    whichever database, version or id they came from."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.items: OrderedDict[tuple[bytes, bool | str], bytes | str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[bytes, bool | str]) -> bytes | str | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple[bytes, bool | str], document: bytes | str) -> None:
        cost = _size(key[0], document)
        if cost > self.limit // 8:  # one large resource must not push out everything else
            return
        with self.lock:
            if key in self.items:
                return
            self.items[key] = document
            self.size += cost
            while self.size > self.limit:
                (content, _), dropped = self.items.popitem(last=False)
                self.size -= _size(content, dropped)


def _size(content: bytes, document: bytes | str) -> int:
    """Memory held, not length: an element with one non-ASCII character is a UCS-2 or UCS-4 string."""
    return sys.getsizeof(content) + sys.getsizeof(document)


def _cache_bytes(environ=os.environ) -> int:
    try:
        return max(0, int(environ.get("FHIR_SERVICE_XML_CACHE_BYTES", "")))
    except ValueError:
        return 8 << 20


# Each process keeps its own; FHIR_SERVICE_XML_CACHE_BYTES=0 renders every read.
RENDERED = _Rendered(_cache_bytes())


def write_stored(content: bytes, pretty: bool = False) -> bytes:
    """The XML document of a stored resource's JSON bytes (kept: a read of the same version again
    costs a lookup)."""
    if RENDERED.limit <= 0:
        return write(jsontext.loads(content), pretty)
    key = (content, pretty)
    document = RENDERED.get(key)
    if document is None:
        document = write(jsontext.loads(content), pretty)
        RENDERED.put(key, document)
    return document


def _stored_element(content: bytes, nl: str) -> str:
    """A stored resource's element inside another (no namespace) at indentation `nl`, kept."""
    key = (content, nl)
    element = RENDERED.get(key) if RENDERED.limit > 0 else None
    if element is None:
        out: list[str] = []
        _resource(jsontext.loads(content), out, nl)
        element = "".join(out)
        if RENDERED.limit > 0:
            RENDERED.put(key, element)
    return element


def write_bundle(head: dict, entries: Iterable[dict], pretty: bool = False) -> bytes:
    """A Bundle whose entries come one at a time (after everything `head` holds, as in Bundle's
    definition, where entry follows link): each is written and dropped before the next is read, so
    a large page never exists as dicts and strings all at once, only as the bytes of its parts. An
    entry's resource may be its stored JSON bytes (its element then comes from the kept ones)."""
    if "entry" in head or head.get("resourceType") != "Bundle":
        raise XmlWriteError("write_bundle: the head must be a Bundle without entries")
    nl = "\n" if pretty else ""
    text = write(head, pretty).decode("utf-8")
    cut = text.rindex(f"{nl}</Bundle>")
    parts = [text[:cut].encode("utf-8")]
    bundle = _resource_table("Bundle")
    for entry in entries:
        out: list[str] = []
        _children({"entry": entry}, bundle, out, nl + "  " if nl else "")
        parts.append("".join(out).encode("utf-8"))
    parts.append(text[cut:].encode("utf-8"))
    return b"".join(parts)


def _resource(resource, out: list[str], nl: str, namespace: str = "") -> None:
    rtype = resource.get("resourceType") if isinstance(resource, dict) else None
    table = _resource_table(rtype) if type(rtype) is str else None
    if table is None:
        raise XmlWriteError(f"not a resource of a known type: {str(rtype)[:60]}")
    out.append(f"{nl}<{rtype}{namespace}>")
    _children(resource, table, out, nl + "  " if nl else "")
    out.append(f"{nl}</{rtype}>")


def _children(obj: dict, table: _Table, out: list[str], nl: str, keys: list[str] | None = None) -> None:
    """Writes obj's keys (in `keys`' order if given); an object not in definition order is written
    again from the start, its keys sorted."""
    start = len(out)
    entries = table.entries
    inner = nl + "  " if nl else ""
    append = out.append
    last = -1
    for key, values in obj.items() if keys is None else [(k, obj[k]) for k in keys]:
        entry = entries.get(key)
        if entry is None:
            _unknown(key, table)
        kind = entry.kind
        if kind < 0:
            if kind == _SKIP or entry.name in obj:  # an attribute; `_name` beside its value
                continue
            values, extensions = None, values
        order = entry.order
        if order < last:
            del out[start:]
            ordered = sorted(obj, key=lambda k: entries[k].order if k in entries else -1)
            _children(obj, table, out, nl, ordered)
            return
        last = order
        if kind == PRIMITIVE:
            extensions = obj.get(entry.ext_key)
            if extensions is None:
                vtype = type(values)
                if vtype is list:
                    for value in values:
                        append(f'{nl}{entry.value_open}{_lexical(value)}"/>')
                elif vtype is str:
                    if (
                        "&" in values
                        or "<" in values
                        or '"' in values
                        or ">" in values
                        or "\n" in values
                        or "\r" in values
                        or "\t" in values
                    ):
                        values = _escape(values)
                    append(f'{nl}{entry.value_open}{values}"/>')
                else:
                    append(f'{nl}{entry.value_open}{_lexical(values)}"/>')
                continue
            _primitives(entry, values, extensions, out, nl)
        elif kind == COMPLEX:
            target = entry.target
            for item in values if type(values) is list else (values,):
                if type(item) is not dict:
                    raise XmlWriteError(f"'{key}' is not an object")
                if "id" in item or "url" in item:
                    head = entry.open
                    written = 0
                    for attribute in target.attributes:
                        if attribute in item:
                            head += f' {attribute}="{_text(item[attribute])}"'
                            written += 1
                    if len(item) == written:
                        append(f"{nl}{head}/>")
                        continue
                    append(f"{nl}{head}>")
                elif item:
                    append(nl + entry.start)
                else:
                    append(nl + entry.empty)
                    continue
                _children(item, target, out, inner)
                append(nl + entry.close)
        elif kind == _EXTENSION_OF:
            _primitives(entry, None, extensions, out, nl)
        elif kind == RESOURCE:
            for item in values if isinstance(values, list) else (values,):
                append(f"{nl}<{key}>")
                if type(item) is bytes:  # a stored resource's JSON (a search page's entry)
                    append(_stored_element(item, inner))
                else:
                    _resource(item, out, inner)
                append(f"{nl}</{key}>")
        elif kind == XHTML:
            if not isinstance(values, str):
                raise XmlWriteError(f"the narrative div in {table.path} is not a string")
            append(nl)
            append(values)


def _unknown(key: str, table: _Table):
    raise XmlWriteError(f"unknown element '{key}' in {table.path}")


def _primitives(entry: _Entry, values, extensions, out: list[str], nl: str) -> None:
    """A primitive (or a list of them) with its `_name` object(s): ids and extensions."""
    if isinstance(values, list) or isinstance(extensions, list):
        values = values if isinstance(values, list) else []
        extensions = extensions if isinstance(extensions, list) else []
        for i in range(max(len(values), len(extensions))):
            _primitive(
                entry,
                values[i] if i < len(values) else None,
                extensions[i] if i < len(extensions) else None,
                out,
                nl,
            )
    else:
        _primitive(entry, values, extensions, out, nl)


def _primitive(entry: _Entry, value, extension, out: list[str], nl: str) -> None:
    head = entry.open
    if extension is not None:
        if not isinstance(extension, dict):
            raise XmlWriteError(f"'_{entry.name}' is not an object")
        element_id = extension.get("id")
        if element_id is not None:
            head += f' id="{_text(element_id)}"'
    if value is not None:
        head += f' value="{_lexical(value)}"'
    extensions = extension.get("extension") if extension is not None else None
    if not extensions:
        out.append(f"{nl}{head}/>")
        return
    out.append(f"{nl}{head}>")
    _children({"extension": extensions}, _extensions(), out, nl + "  " if nl else "")
    out.append(f"{nl}{entry.close}")


def _lexical(value) -> str:
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return repr(value)
    if kind is LexicalDecimal:
        return value.text
    if isinstance(value, Decimal | int | float):
        return str(value)
    raise XmlWriteError(f"{type(value).__name__} is not a primitive value")


def _text(value) -> str:
    if type(value) is not str:
        return _lexical(value)
    if (
        "&" in value
        or "<" in value
        or '"' in value
        or ">" in value
        or "\n" in value
        or "\r" in value
        or "\t" in value
    ):
        return _escape(value)
    return value


def _escape(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )
