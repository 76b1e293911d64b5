"""FHIR wire formats: JSON and XML in and out, via fhir.resources.

The rest of the service works on plain JSON-shaped dicts; this module is the only place
that turns bytes into dicts and back. XML from clients goes through defusedxml first so a
DOCTYPE, entity declaration or external reference is refused before lxml sees it.
"""

from __future__ import annotations

import json

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException
from fhir.resources import get_fhir_model_class

JSON_MIME = "application/fhir+json"
XML_MIME = "application/fhir+xml"


class FormatError(ValueError):
    """Input that is not a well-formed FHIR JSON/XML document. The message is client-facing."""


def parse_json(data: bytes | str) -> dict:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"Malformed JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise FormatError("A FHIR JSON resource must be a JSON object")
    if not isinstance(value.get("resourceType"), str):
        raise FormatError("The JSON object has no 'resourceType'")
    return value


def parse_xml(data: bytes | str) -> dict:
    """XML → JSON-shaped dict (through the fhir.resources model of the root element)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        root = safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FormatError(f"XML with a DOCTYPE or entity declarations is not accepted: {exc}") from exc
    except safe_et.ParseError as exc:
        raise FormatError(f"Malformed XML: {exc}") from exc
    tag = root.tag
    if not tag.startswith("{http://hl7.org/fhir}"):
        raise FormatError("The XML root element is not in the FHIR namespace http://hl7.org/fhir")
    resource_type = tag.split("}", 1)[1]
    try:
        model = get_fhir_model_class(resource_type)
    except (KeyError, ValueError) as exc:
        raise FormatError(f"Unknown resource type '{resource_type}'") from exc
    try:
        resource = model.model_validate_xml(data)
    except Exception as exc:  # lxml and pydantic errors alike: the document is not valid FHIR XML
        raise FormatError(f"Invalid FHIR XML for {resource_type}: {exc}") from exc
    return json.loads(resource.model_dump_json(exclude_none=True))


def to_json(resource: dict, pretty: bool = False) -> bytes:
    if pretty:
        return json.dumps(resource, ensure_ascii=False, indent=2).encode("utf-8")
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def to_xml(resource: dict, pretty: bool = False) -> bytes:
    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource).model_dump_xml(pretty_print=pretty)
