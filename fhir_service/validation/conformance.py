"""Rules the R5 specification states in prose rather than as invariants, as the reference (Java)
validator enforces them: decimal syntax, unique element ids, Bundle fullUrl against the entry's
resource, conditional reference syntax, Attachment size and hash against its data, canonical
URLs, duplicate security labels. The walker calls each where its element is met."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING

from fhir_service import definitions
from fhir_service.jsontext import LexicalDecimal
from fhir_service.validation.references import RESTFUL

if TYPE_CHECKING:
    from fhir_service.validation.context import Context

# datatypes.html#decimal as the reference validator applies it (the published regex has a stray
# brace): at most 18 integer and 17 fraction digits, an exponent without leading zeros.
DECIMAL = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?([eE](0|[+\-]?[1-9][0-9]{0,9}))?")
RESTFUL_FULL_URL = re.compile(
    r"(?:https?://.+/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?"
)
CORE_SD = "http://hl7.org/fhir/StructureDefinition/"
CONDITIONAL = re.compile(r"([A-Z][A-Za-z]+)\?(.*)", re.S)
SEARCH_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-.:]*")
WHITESPACE = re.compile(r"\s+")
# str.isspace() takes these, Java's Character.isWhitespace does not
JAVA_NOT_WHITESPACE = "\x85\u00a0\u2007\u202f"
EXPONENT_ZEROS = re.compile(r"e([+-]?)0+(?=[0-9])")


def decimal_text(value) -> str | None:
    """The decimal as it was written (JSON text round-trips through int and float)."""
    if isinstance(value, LexicalDecimal):
        return value.text
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # as Python writes it, an exponent's leading zeros aside (1e-05)
        return EXPONENT_ZEROS.sub(r"e\1", repr(value))
    if isinstance(value, Decimal):
        return str(value)
    return None


def check_decimal(value, location: str, ctx: Context) -> None:
    text = decimal_text(value)
    if text is not None and DECIMAL.fullmatch(text) is None:
        ctx.error(
            "value",
            location,
            f"'{text[:60]}' is not a valid decimal (at most 18 digits before the point and 17 after)",
            "type:decimal",
        )


def check_element_id(obj: dict, location: str, ctx: Context) -> None:
    """Element ids are unique within a resource (R5 Element.id)."""
    element_id = obj.get("id")
    if not isinstance(element_id, str):
        return
    if element_id in ctx.element_ids:
        ctx.error("value", f"{location}.id", f"duplicate element id '{element_id[:64]}'", "element-id")
    ctx.element_ids.add(element_id)


def check_bundle_entries(bundle: dict, location: str, ctx: Context) -> None:
    """A RESTful fullUrl names the entry's resource: it ends with its type and id (bundle.html)."""
    for i, entry in enumerate(bundle.get("entry") or []):
        if not isinstance(entry, dict):
            continue
        full_url, resource = entry.get("fullUrl"), entry.get("resource")
        if not isinstance(full_url, str) or not isinstance(resource, dict) or "id" not in resource:
            continue
        match = RESTFUL_FULL_URL.fullmatch(full_url)
        if match and (match.group(1), match.group(2)) != (resource.get("resourceType"), resource["id"]):
            ctx.error(
                "invalid",
                f"{location}.entry[{i}].fullUrl",
                f"fullUrl '{full_url[:200]}' does not end with the resource's type and id "
                f"({resource.get('resourceType')}/{str(resource['id'])[:64]})",
                "bundle-fullurl",
            )


def check_conditional_reference(reference: str, location: str, ctx: Context) -> None:
    """A conditional reference (Type?query) carries a valid search query (references.html)."""
    match = CONDITIONAL.fullmatch(reference)
    if match is None:
        return
    for part in match.group(2).split("&"):
        name, equals, _ = part.partition("=")
        if not equals or SEARCH_NAME.fullmatch(name) is None:
            ctx.error(
                "invalid",
                f"{location}.reference",
                f"the conditional reference's query is not a valid search ('{reference[:200]}')",
                "reference-query",
            )
            return


# HL7's own namespace: an extension there is one of the extensions pack or does not exist.
HL7_EXTENSIONS = "http://hl7.org/fhir/StructureDefinition/"


def check_extension_url(value: dict, location: str, ctx: Context) -> None:
    """An extension in HL7's namespace that HL7 does not define cannot be understood by anyone
    (extensibility.html; the reference validator rejects it, where other unknown URLs pass)."""
    url = value.get("url")
    if not isinstance(url, str) or not url.startswith(HL7_EXTENSIONS):
        return
    if definitions.is_known_extension(url):
        return
    ctx.error(
        "structure",
        f"{location}.url",
        f"the extension {url[:200]} is not defined by HL7 (not in its extensions pack)",
        "extension-unknown",
    )


def _display_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_display(value: dict, location: str, ctx: Context) -> None:
    """A display names the code as its system does (R5 Coding.display), checked for the codes whose
    displays and designations the R5 expansions carry."""
    system, code, display = value.get("system"), value.get("code"), value.get("display")
    if not (isinstance(system, str) and isinstance(code, str) and isinstance(display, str)):
        return
    language = ctx.resource.get("language")
    if isinstance(language, str) and not language.lower().startswith("en"):
        return  # only the English names are shipped
    names = definitions.known_displays(system, code)
    if names is None or _display_key(display) in {_display_key(n) for n in names}:
        return
    shown = " | ".join(f"'{n}'" for n in names[:3])
    ctx.error(
        "invalid",
        f"{location}.display",
        f"wrong display '{display[:200]}' for {system}#{code}; the system's names include {shown}",
        "coding-display",
    )


def check_reference_type(value: dict, location: str, ctx: Context) -> None:
    """Reference.type and a FHIR URL in Reference.reference SHALL be consistent (R5 Reference.type)."""
    declared = value.get("type")
    match = RESTFUL.search(value["reference"])
    if not isinstance(declared, str) or match is None:
        return
    named = match.group(1)
    declared_type = declared.removeprefix(CORE_SD)
    resource_types = definitions.resource_types()
    if named in resource_types and declared_type in resource_types and declared_type != named:
        ctx.error(
            "invalid",
            f"{location}.type",
            f"type {declared[:100]} contradicts the reference '{value['reference'][:200]}' to a {named}",
            "reference-type",
        )


def base64_java_valid(value: str) -> bool:
    """Where HL7's Java validator accepts a base64Binary: no whitespace (Character.isWhitespace, which
    leaves out the no-break spaces) and a count of letters, digits, '+', '/' and '=' that is a
    multiple of four (Base64Util.isValidBase64 skips every other character)."""
    if any(ch.isspace() and ch not in JAVA_NOT_WHITESPACE for ch in value):
        return False
    count = sum(1 for ch in value if ch in "+/=" or ch.isdecimal() or unicodedata.category(ch)[0] == "L")
    return count % 4 == 0


def check_attachment(value: dict, location: str, ctx: Context) -> None:
    """size and hash describe the data when it is inline (datatypes.html#Attachment)."""
    data = value.get("data")
    if not isinstance(data, str) or ("size" not in value and "hash" not in value):
        return
    try:
        raw = base64.b64decode(WHITESPACE.sub("", data), validate=True)
    except (binascii.Error, ValueError):
        return  # the base64Binary check reports it
    size = value.get("size")
    if isinstance(size, int | str) and not isinstance(size, bool) and str(size) != str(len(raw)):
        ctx.error(
            "value", f"{location}.size", f"size {size} does not match the data's {len(raw)} bytes", "att-size"
        )
    stated = value.get("hash")
    if isinstance(stated, str):
        actual = base64.b64encode(hashlib.sha1(raw).digest()).decode()
        if WHITESPACE.sub("", stated) != actual:
            ctx.error(
                "value",
                f"{location}.hash",
                f"hash {stated[:60]} is not the data's SHA-1 ({actual})",
                "att-hash",
            )


def check_canonical(value: str, location: str, ctx: Context) -> None:
    if value.endswith("|"):
        ctx.error("value", location, f"a canonical URL cannot end with '|' ('{value[:200]}')", "canonical")


def check_meta(value: dict, location: str, ctx: Context) -> None:
    """The same security label twice says nothing more and is an error in the reference validator."""
    seen = set()
    for i, label in enumerate(value.get("security") or []):
        if not isinstance(label, dict):
            continue
        key = (label.get("system"), label.get("code"))
        if key in seen:
            ctx.error(
                "value",
                f"{location}.security[{i}]",
                f"duplicate security label {key[0]}#{key[1]}",
                "meta-security",
            )
        seen.add(key)
