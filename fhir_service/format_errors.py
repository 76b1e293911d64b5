"""Input that is not a well-formed FHIR JSON/XML document (formats.py, xml/)."""

from __future__ import annotations

from fhir_service.limits import LimitExceeded


class FormatError(ValueError):
    """Input that is not a well-formed FHIR JSON/XML document. The message is client-facing."""


class TooDeep(LimitExceeded, FormatError):
    """Nesting beyond the limit: a 400 too-costly outcome over HTTP, a FormatError to the CLI."""

    def __init__(self, kind: str, limit: int):
        super().__init__(
            f"The {kind} document nests deeper than {limit} levels (FHIR_SERVICE_MAX_JSON_DEPTH)"
        )
