"""reference: id, Type/id, absolute URL, canonical url[|version]; `:[type]`, `:identifier`."""

from __future__ import annotations

import re

from sqlalchemy import and_

from ..errors import SearchError
from ..hashing import h64
from .common import split_escaped, unsupported

# ".../Type/id" or ".../Type/id/_history/n" at the end of a literal reference
_TYPED = re.compile(r"(?:^|/)(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


def parse_target(ref: str) -> tuple[str | None, str | None, str | None, str | None]:
    """(type, id, url, version) of a literal or canonical reference string."""
    url, _, version = ref.partition("|")
    m = _TYPED.search(url)
    typ, rid = (m.group("type"), m.group("id")) if m else (None, None)
    absolute = url if "://" in url or url.startswith("urn:") else None
    return typ, rid, absolute[:512] if absolute else None, version[:64] or None


def rows_for(value) -> list[dict]:
    if isinstance(value, str):  # canonical / uri
        typ, rid, url, version = parse_target(value)
        return [_row(typ, rid, url or value[:512], version)]
    if not isinstance(value, dict):
        return []
    if "concept" in value and "reference" not in value:
        return []  # a CodeableReference holding a concept only
    if "reference" in value and isinstance(value["reference"], dict):
        return rows_for(value["reference"])  # CodeableReference
    rows = []
    ref = value.get("reference")
    if isinstance(ref, str) and not ref.startswith("#"):
        typ, rid, url, version = parse_target(ref)
        rows.append(_row(typ, rid, url, version))
    identifier = value.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        h = h64(identifier.get("system", ""), identifier["value"])
        if rows:
            rows[0]["h_identifier"] = h
        else:
            rows.append({**_row(None, None, None, None), "h_identifier": h})
    return rows


def _row(typ, rid, url, version) -> dict:
    return {
        "target_type": typ,
        "target_id": rid,
        "target_url": url,
        "target_version": version,
        "h_identifier": None,
    }


def extract(values: list) -> list[dict]:
    return [row for v in values for row in rows_for(v)]


def predicate(table, modifier: str | None, raw: str, param, base_url: str = ""):
    if modifier == "identifier":
        parts = split_escaped(raw, "|", 1)
        system, value = parts if len(parts) == 2 else ["", parts[0]]
        if not value:
            raise SearchError(f"':identifier' needs [system|]value, got '{raw}'")
        return table.h_identifier == h64(system, value)
    if modifier not in (None, "not") and not (modifier[:1].isupper()):
        raise unsupported(modifier, "reference")
    if not raw:
        raise SearchError("Empty reference value")
    if base_url and raw.startswith(base_url.rstrip("/") + "/"):
        raw = raw[len(base_url.rstrip("/")) + 1 :]  # our own absolute URL: a local reference
    if modifier and modifier[:1].isupper():
        return and_(table.target_type == modifier, table.target_id == raw)
    typ, rid, url, version = parse_target(raw)
    if url:
        clause = table.target_url == url
        return and_(clause, table.target_version == version) if version else clause
    if typ and rid and raw.count("/") == 1:
        return and_(table.target_type == typ, table.target_id == raw.split("/")[1])
    if "/" in raw:
        raise SearchError(f"Invalid reference value '{raw}'")
    if len(param.target) == 1:
        return and_(table.target_type == param.target[0], table.target_id == raw)
    return table.target_id == raw


def sort_column(table):
    return table.target_id
