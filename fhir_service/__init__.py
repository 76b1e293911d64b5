"""FHIR R5 medication knowledge service."""

__version__ = "0.1.0"
FHIR_VERSION = "5.0.0"
