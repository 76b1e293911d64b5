"""What the XML form of each element is, worked out once per (type, path) from the R5 definitions:
child element names in definition order, repetition, primitive or complex, which are attributes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from fhir_service import definitions

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

RESOURCE_CODES = ("Resource", "DomainResource")
# The R5 snapshots mark these xmlAttr besides primitive values: Element.id and Extension.url.
ATTRIBUTE_ELEMENTS = ("id", "url")

PRIMITIVE, XHTML, RESOURCE, COMPLEX = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Child:
    """One XML element name (= JSON key) allowed under a parent."""

    key: str
    order: int  # position of its element in the definition (choice types share one)
    many: bool  # max != 1: an array in JSON
    kind: int  # PRIMITIVE | XHTML | RESOURCE | COMPLEX
    code: str  # type code ("decimal", "Quantity", "Resource")
    target: tuple[str, str] | None  # COMPLEX: (type name, definition path) of its own children
    choice: str | None  # the [x] element's name for choice types ("value")


@dataclass(frozen=True, slots=True)
class Plan:
    """The children and attributes of one element (or of a resource's root)."""

    type_name: str
    path: str
    children: dict[str, Child]
    attributes: frozenset[str]  # "id" (Element.id), "url" (Extension.url)
    is_resource: bool


@cache
def plan(type_name: str, path: str) -> Plan | None:
    td = definitions.type_def(type_name)
    if td is None:
        return None
    is_resource = td.kind == "resource" and "." not in path
    children: dict[str, Child] = {}
    attributes = set()
    order = 0
    seen: dict[str, int] = {}
    for key, element in td.children.get(path, {}).items():
        if element.path not in seen:
            seen[element.path] = order
            order += 1
        if not is_resource and element.name in ATTRIBUTE_ELEMENTS and not element.is_choice:
            if element.name == "id" or type_name == "Extension":
                attributes.add(element.name)
                continue
        if td.kind == "primitive-type" and element.name == "value":
            attributes.add("value")  # a primitive's value is its value attribute
            continue
        children[key] = _child(td, element, key, seen[element.path])
    return Plan(type_name, path, children, frozenset(attributes), is_resource)


def _child(td, element, key: str, order: int) -> Child:
    code = element.json_keys[key]
    many = element.max is None or element.max > 1
    choice = element.name if element.is_choice else None
    if element.content_reference:
        target = element.content_reference.split("#", 1)[1]
        return Child(key, order, many, COMPLEX, code, (td.name, target), choice)
    if code == "xhtml":
        return Child(key, order, many, XHTML, code, None, choice)
    if code in RESOURCE_CODES or code in definitions.resource_types():
        return Child(key, order, many, RESOURCE, code, None, choice)
    if code in definitions.primitive_types():
        return Child(key, order, many, PRIMITIVE, code, (code, code), choice)
    if element.path in td.children:  # a backbone element defined inline
        return Child(key, order, many, COMPLEX, code, (td.name, element.path), choice)
    return Child(key, order, many, COMPLEX, code, (code, code), choice)


def resource_plan(resource_type: str) -> Plan | None:
    if resource_type not in definitions.resource_types():
        return None
    return plan(resource_type, resource_type)
