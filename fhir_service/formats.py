"""FHIR wire formats: JSON and XML in and out, via fhir.resources.

The rest of the service works on plain JSON-shaped dicts; this module is the only place
that turns bytes into dicts and back. XML from clients goes through defusedxml first so a
DOCTYPE, entity declaration or external reference is refused before lxml sees it.

Hostile input is refused here, before anything looks at the content: nesting deeper than
FHIR_SERVICE_MAX_JSON_DEPTH (limits.py), duplicate keys (two parsers could read two different
resources from one document), NaN/Infinity and numbers that overflow (1e999 would be stored as a
value no JSON can carry), and strings FHIR forbids (control characters, lone surrogates, which
PostgreSQL refuses and UTF-8 cannot encode).
"""

from __future__ import annotations

import json
import math
import re

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException
from fhir.resources import get_fhir_model_class
from pydantic import ValidationError

from fhir_service.limits import LimitExceeded, current, element_too_deep, too_deep

JSON_MIME = "application/fhir+json"
XML_MIME = "application/fhir+xml"


class FormatError(ValueError):
    """Input that is not a well-formed FHIR JSON/XML document. The message is client-facing."""


class TooDeep(LimitExceeded, FormatError):
    """Nesting beyond the limit: a 400 too-costly outcome over HTTP, a FormatError to the CLI."""

    def __init__(self, kind: str, limit: int):
        super().__init__(
            f"The {kind} document nests deeper than {limit} levels (FHIR_SERVICE_MAX_JSON_DEPTH)"
        )


# An escaped C0 control other than tab, LF, CR (R5 datatypes: strings hold none), and an escaped
# UTF-16 surrogate (fine in a pair, refused alone). A match preceded by an odd number of
# backslashes is text ("\\u0000"), checked in _escaped.
_CONTROL_ESCAPE = re.compile(rb"\\u00(?:0[0-8bcefBCEF]|1[0-9a-fA-F])")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# U+FFFE and U+FFFF: valid JSON, but no XML can carry them (one stored would make every XML answer
# holding it a 500), raw in UTF-8 or escaped.
_NONCHARACTER_ESCAPE = re.compile(rb"\\u[fF]{3}[eEfF]")
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise FormatError(f"the property '{duplicate[:100]}' appears twice in one object")
    return value


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise FormatError(f"the number {text[:40]} is out of range")
    return number


def _no_constant(text: str):
    raise FormatError(f"{text} is not a JSON number")


def _escaped(data: bytes, pattern: re.Pattern) -> bool:
    """Whether `pattern` matches an escape sequence (not escaped text) somewhere in `data`."""
    for match in pattern.finditer(data):
        before = match.start() - 1
        while before >= 0 and data[before] == 0x5C:  # backslash
            before -= 1
        if (match.start() - 1 - before) % 2 == 0:
            return True
    return False


def _check_strings(data: bytes | str, value) -> None:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _escaped(raw, _CONTROL_ESCAPE):
        raise FormatError("a string contains a control character (R5 strings hold none)")
    if any(c in raw for c in _NONCHARACTERS) or _escaped(raw, _NONCHARACTER_ESCAPE):
        raise FormatError("a string contains U+FFFE or U+FFFF, which XML cannot represent")
    if _escaped(raw, _SURROGATE_ESCAPE):
        try:  # pairs were joined by the parser; a lone surrogate cannot be encoded
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise FormatError("a string contains an unpaired UTF-16 surrogate") from exc


def parse_json_document(data: bytes | str):
    """Any JSON value (a JSON Patch is an array) with the hostile-input checks; FormatError (its
    message without a "Malformed JSON" prefix) or TooDeep otherwise. Bodies are UTF-8 (R5 http.html)."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes | bytearray) else data
        value = json.loads(
            text, object_pairs_hook=_unique_keys, parse_float=_finite, parse_constant=_no_constant
        )
    except FormatError:
        raise
    except RecursionError as exc:
        raise TooDeep("JSON", current().json_depth) from exc
    except ValueError as exc:  # bad UTF-8, bad syntax, an integer of more than 4300 digits
        raise FormatError(str(exc)[:300]) from exc
    limit = current().json_depth
    if too_deep(value, limit):
        raise TooDeep("JSON", limit)
    _check_strings(data, value)
    return value


def parse_json(data: bytes | str) -> dict:
    try:
        value = parse_json_document(data)
    except TooDeep:
        raise
    except FormatError as exc:
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
    limit = current().json_depth
    if element_too_deep(root, limit + 1):  # + 1: a primitive's value is one element deeper in XML
        raise TooDeep("XML", limit)
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
        raise FormatError(f"Invalid FHIR XML for {resource_type}: {_xml_problem(exc)}") from exc
    return json.loads(resource.model_dump_json(exclude_none=True))


def _xml_problem(exc: Exception) -> str:
    """A short message for the client: where and what, without the model library's internals
    (error type codes, input dicts, documentation links)."""
    if isinstance(exc, ValidationError):
        problems = []
        for error in exc.errors()[:3]:
            where = ".".join(str(part) for part in (exc.title, *error.get("loc", ())))
            what = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            value = error.get("input")
            shown = f" (got {str(value)[:40]!r})" if isinstance(value, str | int | float) else ""
            problems.append(f"{where}: {what}{shown}")
        more = exc.error_count() - len(problems)
        return "; ".join(problems) + (f"; and {more} more" if more > 0 else "")
    if isinstance(exc, KeyError):
        return f"unknown element {str(exc.args[0])[:80]!r}" if exc.args else "unknown element"
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def to_json(resource: dict, pretty: bool = False) -> bytes:
    if pretty:
        return json.dumps(resource, ensure_ascii=False, indent=2).encode("utf-8")
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def to_xml(resource: dict, pretty: bool = False) -> bytes:
    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource).model_dump_xml(pretty_print=pretty)
