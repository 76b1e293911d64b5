"""token: code, system|code, |code, system|; :text, :not (by the compiler), :of-type, :in/:not-in."""

from __future__ import annotations

from sqlalchemy import and_, false, or_

from ..errors import SearchError
from ..hashing import h64
from ..normalise import normalise
from .common import MAX_CHAR, split_escaped, unsupported


def _row(system: str | None, code: str | None, text: str | None = None, of_type: int | None = None) -> dict:
    return {
        "system": system[:512] if system else None,
        "code": code[:255] if code is not None else None,
        "text_norm": normalise(text) if text else None,
        "h_code": h64(code) if code is not None else None,
        "h_sys": h64(system or ""),
        "h_sys_code": h64(system or "", code) if code is not None else None,
        "h_of_type": of_type,
    }


def _coding(c: dict, text: str | None = None) -> dict:
    return _row(c.get("system"), c.get("code"), c.get("display") or text)


def rows_for(value) -> list[dict]:
    if isinstance(value, bool):
        return [_row(None, "true" if value else "false")]
    if isinstance(value, (str, int, float)):
        return [_row(None, str(value))]
    if not isinstance(value, dict):
        return []
    if "concept" in value or ("reference" in value and "coding" not in value and "value" not in value):
        return rows_for(value["concept"]) if "concept" in value else []  # CodeableReference
    if "coding" in value or ("text" in value and len(value) <= 2):  # CodeableConcept
        rows = [_coding(c) for c in value.get("coding", ())]
        if value.get("text"):
            rows.append(_row(None, None, value["text"]))
        return rows
    if "value" in value and "code" not in value:  # Identifier, ContactPoint
        type_codings = (value.get("type") or {}).get("coding", ())
        text = (value.get("type") or {}).get("text")
        base = _row(value.get("system"), str(value["value"]), text)
        rows = [base]
        for c in type_codings:
            rows.append(
                {**base, "h_of_type": h64(c.get("system", ""), c.get("code", ""), str(value["value"]))}
            )
        return rows
    if "code" in value or "system" in value:  # Coding, Quantity's unit code
        return [_coding(value)]
    return []


def _word_starts(rows: list[dict]) -> list[dict]:
    """Extra text-only rows for every later word of a display/text, so `:text=gravis` finds
    "Myasthenia gravis" with an index range scan instead of a LIKE '%…' over every row."""
    extra = []
    for row in rows:
        text = row["text_norm"] or ""
        extra += [
            {**_row(None, None, None), "h_sys": None, "text_norm": text[i + 1 :]}
            for i, ch in enumerate(text)
            if ch == " "
        ]
    return extra


def extract(values: list) -> list[dict]:
    rows = [row for v in values for row in rows_for(v)]
    return rows + _word_starts(rows)


def _value_set_codes(url: str) -> dict[str, frozenset[str]]:
    from fhir_service import definitions

    expansion = definitions.value_set(url.split("|")[0])
    if expansion is None:
        raise SearchError(f"Value set '{url}' is not known to this server", code="not-supported")
    return expansion


def _in_value_set(table, url: str):
    # a bare `code` element carries no system: its value set's system is implied
    clauses = [
        and_(or_(table.h_sys == h64(system), table.h_sys == h64("")), table.code.in_(sorted(codes)))
        for system, codes in _value_set_codes(url).items()
    ]
    return or_(*clauses) if clauses else false()


def predicate(table, modifier: str | None, raw: str, param):
    if modifier in (None, "not"):
        parts = split_escaped(raw, "|", 1)
        if len(parts) == 1:
            return table.h_code == h64(parts[0])
        system, code = parts
        if code == "":
            return table.h_sys == h64(system)
        return table.h_sys_code == h64(system, code)
    if modifier == "text":  # word-start match: every word start has its own row (see _word_starts)
        text = normalise(raw)
        return (table.text_norm >= text) & (table.text_norm < text + MAX_CHAR)
    if modifier == "of-type":
        parts = split_escaped(raw, "|")
        if len(parts) != 3 or not all(parts):
            raise SearchError(f"':of-type' needs system|code|value, got '{raw}'")
        return table.h_of_type == h64(*parts)
    if modifier in ("in", "not-in"):
        return _in_value_set(table, raw)
    raise unsupported(modifier, "token")


def sort_column(table):
    return table.code
