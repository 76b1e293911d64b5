"""Why an XML document could not be read at all (as opposed to issues found while reading it)."""

from __future__ import annotations

from fhir_service.format_errors import FormatError, TooDeep


class XmlFormatError(FormatError):
    """Not a readable FHIR XML document: not well-formed, a DTD or entities, not UTF-8, not a resource."""


class XmlTooDeep(TooDeep):
    def __init__(self, limit: int):
        super().__init__("XML", limit)
