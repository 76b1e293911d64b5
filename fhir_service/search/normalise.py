"""String normalisation shared by writes and queries, so both sides always agree.

FHIR string search is case- and accent-insensitive: NFKD, drop combining marks, casefold,
collapse whitespace. Values are truncated so they fit the indexed column."""

from __future__ import annotations

import re
import unicodedata

MAX_LEN = 255  # indexed column width; longer values still match by prefix
_SPACE = re.compile(r"\s+")


def normalise(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped.casefold()).strip()[:MAX_LEN]
