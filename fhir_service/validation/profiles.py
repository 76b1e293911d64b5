"""A resource against the core package's own profiles it claims in meta.profile (vitalsigns,
cholesterol, ...): the cardinalities they tighten and their fixed and pattern values
(profiling.html: fixed means exactly this value and nothing more, pattern means at least these
parts). Slices other than type slices are not checked, and neither are profiles from elsewhere."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from fhir_service import definitions, jsontext
from fhir_service.validation.conformance import decimal_text

if TYPE_CHECKING:
    from fhir_service.validation.context import Context


def check(resource: dict, location: str, ctx: Context) -> None:
    meta = resource.get("meta")
    claimed = meta.get("profile") if isinstance(meta, dict) else None
    for url in claimed if isinstance(claimed, list) else ():
        profile = definitions.core_profile(url) if isinstance(url, str) else None
        if profile is None or profile["type"] != resource.get("resourceType"):
            continue
        for keys, minimum, maximum, kind, value in profile["elements"]:
            for node, where in _parents(resource, keys[:-1], location):
                _check_element(node, keys[-1], where, (minimum, maximum, kind, value), url, ctx)


def _values(node: dict, key: str, where: str) -> list[tuple[object, str]]:
    if key.endswith("[x]"):
        prefix = key[:-3]
        keys = [k for k in node if k.startswith(prefix) and k[len(prefix) : len(prefix) + 1].isupper()]
    else:
        keys = [key] if key in node or f"_{key}" in node else []
    found = []
    for k in keys:
        value = node.get(k, node.get(f"_{k}"))
        if isinstance(value, list):
            found += [(v, f"{where}.{k}[{i}]") for i, v in enumerate(value)]
        elif value is not None:
            found.append((value, f"{where}.{k}"))
    return found


def _parents(resource: dict, keys: list[str], location: str) -> list[tuple[dict, str]]:
    nodes = [(resource, location)]
    for key in keys:
        nodes = [
            (v, loc) for node, where in nodes for v, loc in _values(node, key, where) if isinstance(v, dict)
        ]
    return nodes


def _check_element(node: dict, key: str, where: str, rule: tuple, url: str, ctx: Context) -> None:
    minimum, maximum, kind, expected = rule
    values = _values(node, key, where)
    if len(values) < minimum:
        ctx.error(
            "required",
            f"{where}.{key}",
            f"{key}: at least {minimum} required by the profile {url}, found {len(values)}",
            "profile-cardinality",
        )
    if maximum != "*" and len(values) > int(maximum):
        ctx.error(
            "structure",
            f"{where}.{key}",
            f"{key}: at most {maximum} allowed by the profile {url}, found {len(values)}",
            "profile-cardinality",
        )
    if kind is None or key.endswith("[x]"):
        return
    for value, location in values:
        if not _matches(value, expected, exact=kind == "fixed"):
            shown = jsontext.dumps(expected)
            ctx.error(
                "value",
                location,
                f"does not match the {kind} value {shown[:200]} of the profile {url}",
                f"profile-{kind}",
            )


def _number(value) -> Decimal | None:
    text = decimal_text(value)
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


def _matches(actual, expected, exact: bool) -> bool:
    """fixed: the same value with nothing more; pattern: at least the pattern's parts, each pattern
    array item found among the actual items."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        if exact and set(actual) - set(expected):
            return False
        return all(k in actual and _matches(actual[k], v, exact) for k, v in expected.items())
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        if exact:
            return len(actual) == len(expected) and all(map(_matches, actual, expected, [True] * len(actual)))
        return all(any(_matches(a, e, False) for a in actual) for e in expected)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, int | float):
        return _number(actual) is not None and _number(actual) == _number(expected)
    return actual == expected
