"""Subsumption within the code systems of hl7.fhir.r5.core (data/code-hierarchy.json.gz, built by
scripts/build_code_hierarchy.py), for token `:below` / `:above`. Systems outside the package
(SNOMED CT, LOINC…) are not known here: `related` answers None for them."""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources

DATA = resources.files(__package__) / "data"


@cache
def _data() -> tuple[frozenset[str], dict[str, dict[str, list[str]]]]:
    with (DATA / "code-hierarchy.json.gz").open("rb") as fh:
        raw = json.loads(gzip.decompress(fh.read()))
    return frozenset(raw["flat"]), raw["hierarchies"]


@cache
def _children(system: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for code, parents in _data()[1][system].items():
        for parent in parents:
            found.setdefault(parent, []).append(code)
    return found


def known(system: str) -> bool:
    flat, nested = _data()
    return system in flat or system in nested


def related(system: str, code: str, direction: str) -> frozenset[str] | None:
    """`code` and every code below it (direction "below") or above it ("above") in `system`;
    None when the system's hierarchy is not known locally."""
    flat, nested = _data()
    if system in flat:
        return frozenset((code,))
    if system not in nested:
        return None
    step = _children(system) if direction == "below" else nested[system]
    seen, todo = {code}, [code]
    while todo:
        for nxt in step.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)
