"""The JSON form of a resource → FHIR XML (R5 xml.html): elements in definition order, primitives
as value attributes (decimals, dates and strings as written), `_name` ids and extensions on their
element, resources inside their wrapper element, the narrative div as it is."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from fhir_service.jsontext import LexicalDecimal
from fhir_service.xml.schema import COMPLEX, FHIR_NS, PRIMITIVE, RESOURCE, Plan, plan, resource_plan

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_ESCAPED = re.compile(r'[&<>"\t\n\r]')


class XmlWriteError(ValueError):
    """The resource has content its type does not define, which XML cannot place."""


def write(resource: dict, pretty: bool = False) -> bytes:
    out: list[str] = [DECLARATION]
    _resource(resource, out, "\n" if pretty else "", f' xmlns="{FHIR_NS}"')
    if pretty:
        out.append("\n")
    return "".join(out).encode("utf-8")


def write_bundle(head: dict, entries: Iterable[dict], pretty: bool = False) -> bytes:
    """A Bundle whose entries come one at a time (after everything `head` holds, as in Bundle's
    definition, where entry follows link): each is written and dropped before the next is read, so
    a large page never exists as dicts and strings all at once, only as the bytes of its parts."""
    if "entry" in head or head.get("resourceType") != "Bundle":
        raise XmlWriteError("write_bundle: the head must be a Bundle without entries")
    nl = "\n" if pretty else ""
    text = write(head, pretty).decode("utf-8")
    cut = text.rindex(f"{nl}</Bundle>")
    parts = [text[:cut].encode("utf-8")]
    bundle = resource_plan("Bundle")
    for entry in entries:
        out: list[str] = []
        _children({"entry": entry}, bundle, out, nl + "  " if nl else "")
        parts.append("".join(out).encode("utf-8"))
    parts.append(text[cut:].encode("utf-8"))
    return b"".join(parts)


def _resource(resource, out: list[str], nl: str, namespace: str = "") -> None:
    rtype = resource.get("resourceType") if isinstance(resource, dict) else None
    resource_plan_ = resource_plan(rtype) if isinstance(rtype, str) else None
    if resource_plan_ is None:
        raise XmlWriteError(f"not a resource of a known type: {str(rtype)[:60]}")
    out.append(f"{nl}<{rtype}{namespace}>")
    _children(resource, resource_plan_, out, nl + "  " if nl else "")
    out.append(f"{nl}</{rtype}>")


def _children(obj: dict, plan_: Plan, out: list[str], nl: str) -> None:
    children = plan_.children
    names = []
    last, ordered = -1, True
    for key in obj:
        child = children.get(key)
        if child is None:
            if key in plan_.attributes or (key == "resourceType" and plan_.is_resource):
                continue
            child = children.get(key[1:]) if key[:1] == "_" else None
            if child is None or child.kind != PRIMITIVE:
                raise XmlWriteError(f"unknown element '{key}' in {plan_.path}")
            if child.key in obj:
                continue  # written with its value
        order = child.order
        if order < last:
            ordered = False
        last = order
        names.append((order, child))
    if not ordered:
        names.sort(key=_first)
    inner = nl + "  " if nl else ""
    for _, child in names:
        name = child.key
        kind = child.kind
        if kind == PRIMITIVE:
            values, extensions = obj.get(name), obj.get("_" + name)
            if extensions is None:
                if type(values) is list:
                    for value in values:
                        out.append(f'{nl}<{name} value="{_lexical(value)}"/>')
                else:
                    out.append(f'{nl}<{name} value="{_lexical(values)}"/>')
            elif isinstance(values, list) or isinstance(extensions, list):
                values = values if isinstance(values, list) else []
                extensions = extensions if isinstance(extensions, list) else []
                for i in range(max(len(values), len(extensions))):
                    _primitive(
                        name,
                        values[i] if i < len(values) else None,
                        extensions[i] if i < len(extensions) else None,
                        out,
                        nl,
                    )
            else:
                _primitive(name, values, extensions, out, nl)
        elif kind == COMPLEX:
            target = plan(*child.target)
            value = obj[name]
            for item in value if type(value) is list else (value,):
                if type(item) is not dict:
                    raise XmlWriteError(f"'{name}' is not an object")
                head = f"{nl}<{name}"
                attributes = 0
                for attribute in target.attributes:
                    if attribute in item:
                        head += f' {attribute}="{_text(item[attribute])}"'
                        attributes += 1
                if len(item) == attributes:
                    out.append(head + "/>")
                else:
                    out.append(head + ">")
                    _children(item, target, out, inner)
                    out.append(f"{nl}</{name}>")
        elif kind == RESOURCE:
            value = obj[name]
            for item in value if isinstance(value, list) else (value,):
                out.append(f"{nl}<{name}>")
                _resource(item, out, inner)
                out.append(f"{nl}</{name}>")
        else:  # XHTML
            div = obj[name]
            if not isinstance(div, str):
                raise XmlWriteError(f"the narrative div in {plan_.path} is not a string")
            out.append(nl)
            out.append(div)


def _first(item) -> int:
    return item[0]


def _primitive(name: str, value, extension, out: list[str], nl: str) -> None:
    head = f"{nl}<{name}"
    if extension is not None:
        if not isinstance(extension, dict):
            raise XmlWriteError(f"'_{name}' is not an object")
        element_id = extension.get("id")
        if element_id is not None:
            head += f' id="{_text(element_id)}"'
    if value is not None:
        head += f' value="{_lexical(value)}"'
    extensions = extension.get("extension") if extension is not None else None
    if not extensions:
        out.append(head + "/>")
        return
    out.append(head + ">")
    _children({"extension": extensions}, plan("string", "string"), out, nl + "  " if nl else "")
    out.append(f"{nl}</{name}>")


def _lexical(value) -> str:
    kind = type(value)
    if kind is str:
        if _ESCAPED.search(value) is None:
            return value
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
    if _ESCAPED.search(value) is None:
        return value
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )
