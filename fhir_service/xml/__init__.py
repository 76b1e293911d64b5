"""FHIR XML ⇄ the JSON form, driven by the R5 definitions (schema.py): reader.py, writer.py, errors.py."""

from fhir_service.xml.errors import XmlFormatError, XmlTooDeep
from fhir_service.xml.reader import XmlResource, parse
from fhir_service.xml.writer import XmlWriteError, write, write_bundle, write_stored

__all__ = [
    "XmlFormatError",
    "XmlResource",
    "XmlTooDeep",
    "XmlWriteError",
    "parse",
    "write",
    "write_bundle",
    "write_stored",
]
