"""Finding and rewriting references inside FHIR JSON resources (pure functions, no I/O).

Used by transaction processing (urn:uuid/urn:oid fullUrls → the ids the server assigned),
by the conditional fixture exporter (Type/id → urn:uuid) and by `fhir-service check`.

What counts as a link (R5 http.html "Transaction processing rules"): `Reference.reference`
anywhere in the tree (including contained resources and deep backbone elements), any other
uri/url/canonical-like string that is exactly a mapped fullUrl, and `href`/`src` attributes in
the narrative `div`. Identifier subtrees are never touched: an `Identifier.value` of
`urn:uuid:…` is business data, not a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# href="…" or src="…" in XHTML, either quote style
_NARRATIVE_LINK = re.compile(r"""(\b(?:href|src)\s*=\s*)(["'])(.*?)\2""")


def _rewrite_div(div: str, mapping: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        target = mapping.get(match.group(3))
        if target is None:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{target}{match.group(2)}"

    return _NARRATIVE_LINK.sub(replace, div)


def rewrite(value, mapping: dict[str, str]):
    """A copy of `value` with every link found in `mapping` replaced by its target.

    Strings that are not links and links not in the mapping are returned unchanged, so the
    function is safe to call with a mapping that covers only part of a Bundle."""
    if not mapping:
        return value
    return _rewrite(value, mapping, None)


def _rewrite(value, mapping, key):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "identifier":
                out[k] = v
            elif k == "div" and isinstance(v, str):
                out[k] = _rewrite_div(v, mapping)
            else:
                out[k] = _rewrite(v, mapping, k)
        return out
    if isinstance(value, list):
        return [_rewrite(v, mapping, key) for v in value]
    if isinstance(value, str):
        if key == "reference":
            base, hash_, fragment = value.partition("#")
            if base in mapping:  # "urn:uuid:x#frag" keeps its fragment
                return mapping[base] + hash_ + fragment
        return mapping.get(value, value)
    return value


def iter_references(value) -> Iterator[str]:
    """Every `Reference.reference` string in a resource tree (contained resources included)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "reference" and isinstance(v, str):
                yield v
            elif isinstance(v, dict | list):
                yield from iter_references(v)
    elif isinstance(value, list):
        for item in value:
            yield from iter_references(item)


PLACEHOLDERS = ("urn:uuid:", "urn:oid:")


def placeholder_references(value) -> Iterator[str]:
    """The `Reference.reference` values that are Bundle placeholders (urn:uuid:, urn:oid:), where
    `rewrite` would replace them (so not inside Identifier subtrees)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "reference" and isinstance(v, str) and v.startswith(PLACEHOLDERS):
                yield v
            elif k != "identifier" and isinstance(v, dict | list):
                yield from placeholder_references(v)
    elif isinstance(value, list):
        for item in value:
            yield from placeholder_references(item)


def map_references(value, func: Callable[[str], str | None]):
    """A copy of `value` where each `Reference.reference` r becomes func(r) (None keeps r).
    For rewrites that need a lookup per reference (conditional references)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "reference" and isinstance(v, str):
                new = func(v)
                out[k] = v if new is None else new
            elif isinstance(v, dict | list):
                out[k] = map_references(v, func)
            else:
                out[k] = v
        return out
    if isinstance(value, list):
        return [map_references(v, func) for v in value]
    return value


def is_local_reference(reference: str) -> bool:
    """A contained (#id) reference: resolved inside the resource, never against the store."""
    return reference.startswith("#")


def split_relative(reference: str) -> tuple[str, str] | None:
    """'Type/id' or 'Type/id/_history/v' (optionally absolute) → (Type, id); else None."""
    path = reference.split("?", 1)[0].split("#", 1)[0]
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and parts[-2][:1].isupper() and "?" not in reference:
        return parts[-2], parts[-1]
    return None
