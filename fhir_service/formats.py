"""FHIR wire formats: JSON and XML in and out.

The rest of the service works on plain JSON-shaped dicts; this module is the only place
that turns bytes into dicts and back. XML is read and written by fhir_service.xml (driven by the
R5 definitions; a DTD, entity declaration or external reference is refused). Decimals keep the
text they were written with (jsontext.py).

Hostile input is refused here, before anything looks at the content: nesting deeper than
FHIR_SERVICE_MAX_JSON_DEPTH (limits.py), duplicate keys (two parsers could read two different
resources from one document), NaN/Infinity and numbers that overflow (1e999 would be stored as a
value no JSON can carry), and strings FHIR forbids (control characters, lone surrogates, which
PostgreSQL refuses and UTF-8 cannot encode).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from fhir_service import jsontext, xml
from fhir_service.format_errors import FormatError, TooDeep
from fhir_service.limits import current, too_deep

JSON_MIME = "application/fhir+json"
XML_MIME = "application/fhir+xml"

__all__ = [
    "FormatError",
    "TooDeep",
    "bundle_to_xml",
    "parse_json",
    "parse_json_document",
    "parse_xml",
    "stored_to_xml",
    "to_json",
    "to_xml",
]


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


def _finite(text: str):
    try:
        return jsontext.parse_float(text)
    except ValueError as exc:
        raise FormatError(str(exc)) from exc


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


def has_control_characters(data: bytes | str) -> bool:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return _escaped(raw, _CONTROL_ESCAPE)


def _check_strings(data: bytes | str, value, controls: bool = False) -> None:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if not controls and _escaped(raw, _CONTROL_ESCAPE):
        raise FormatError("a string contains a control character (R5 strings hold none)")
    if any(c in raw for c in _NONCHARACTERS) or _escaped(raw, _NONCHARACTER_ESCAPE):
        raise FormatError("a string contains U+FFFE or U+FFFF, which XML cannot represent")
    if _escaped(raw, _SURROGATE_ESCAPE):
        try:  # pairs were joined by the parser; a lone surrogate cannot be encoded
            jsontext.dumps(value).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise FormatError("a string contains an unpaired UTF-16 surrogate") from exc


def parse_json_document(data: bytes | str, *, controls: bool = False):
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
    _check_strings(data, value, controls)
    return value


def parse_json(data: bytes | str, *, controls: bool = False) -> dict:
    """A resource; `controls` lets strings hold control characters (the validator warns about
    them, as datatypes.html's SHOULD NOT asks; the store refuses them: XML cannot carry them)."""
    try:
        value = parse_json_document(data, controls=controls)
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
    """XML → the JSON form; what only the XML shows is wrong rides along as `xml_issues` of each
    resource, for the validator (xml/reader.py). FormatError if it is not a FHIR XML document."""
    return xml.parse(data)


def to_json(resource: dict, pretty: bool = False) -> bytes:
    return jsontext.dumps(resource, pretty=pretty).encode("utf-8")


def to_xml(resource: dict, pretty: bool = False) -> bytes:
    return xml.write(resource, pretty)


def stored_to_xml(content: bytes, pretty: bool = False) -> bytes:
    """A stored resource's JSON bytes as XML (xml.write_stored: kept per content)."""
    return xml.write_stored(content, pretty)


def bundle_to_xml(head: dict, entries: Iterable[dict], pretty: bool = False) -> bytes:
    """A Bundle as XML from its entries one at a time (xml.write_bundle)."""
    return xml.write_bundle(head, entries, pretty)
