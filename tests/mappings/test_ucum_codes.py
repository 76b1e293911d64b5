"""Every Quantity the converter emits with system http://unitsofmeasure.org carries a code that UCUM's
own grammar accepts (ucumvert's parser): the shipped Bundles and the whole shared corpus (skipped when
absent). "mcg", "IU" or "mg/day" as codes would be text pretending to be UCUM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ucumvert import get_ucum_parser

UCUM = "http://unitsofmeasure.org"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bundles"


def ucum_codes(node, path: str = ""):
    if isinstance(node, dict):
        if node.get("system") == UCUM and "code" in node:
            yield path, node["code"]
        for key, value in node.items():
            yield from ucum_codes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from ucum_codes(value, f"{path}[{i}]")


def invalid(resources) -> dict[str, str]:
    parser = get_ucum_parser()
    bad = {}
    for resource in resources:
        for path, code in ucum_codes(resource, resource.get("resourceType", "")):
            try:
                parser.parse(code)
            except Exception:  # noqa: BLE001 - any parse failure is an invalid code
                bad[path] = code
    return bad


def test_the_check_refuses_what_ucum_refuses():
    assert invalid([{"resourceType": "X", "q": {"system": UCUM, "code": "mcg"}}]) == {"X.q": "mcg"}
    assert invalid([{"resourceType": "X", "q": {"system": UCUM, "code": "mg/kg/d"}}]) == {}


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.json")), ids=lambda p: p.name)
def test_shipped_bundles(path):
    assert invalid([json.loads(path.read_text(encoding="utf-8"))]) == {}


@pytest.mark.slow
def test_the_whole_shared_corpus(corpus_conversions):
    found = {}
    for path, conversion in corpus_conversions.items():
        bad = invalid(conversion.resources)
        if bad:
            found[path.name] = bad
    assert not found, found
