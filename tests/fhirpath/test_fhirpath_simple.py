"""simple.py: the Python evaluator of the common invariant shapes gives fhirpathpy's answers."""

from __future__ import annotations

import pytest

from fhir_service import fhirpath

CASES = [
    ("Extension", {"url": "x", "valueString": "a"}, "extension.exists() != value.exists()"),
    ("Extension", {"url": "x"}, "extension.exists() != value.exists()"),
    ("Attachment", {"data": "eA=="}, "data.empty() or contentType.exists()"),
    ("Quantity", {"code": "mg", "system": "http://unitsofmeasure.org"}, "code.empty() or system.exists()"),
    ("Quantity", {"code": "mg"}, "code.empty() or system.exists()"),
    (
        "Period",
        {"start": "2020", "end": "2021"},
        "start.hasValue().not() or end.hasValue().not() or (start <= end)",
    ),
    ("Period", {"start": "2020"}, "start.hasValue().not() or end.hasValue().not() or (start <= end)"),
    ("Period", {"_start": {"id": "x"}}, "start.hasValue()"),
    ("Coding", {"system": "http://x", "code": "a"}, "code.exists() implies system.exists()"),
    ("Identifier", {"system": "urn:x", "value": "1"}, "system.startsWith('urn:')"),
    ("Identifier", {"system": "urn:x", "value": "1"}, "value.count() = 1 and system in ('urn:x' | 'urn:y')"),
    ("HumanName", {"given": ["a", "b"]}, "given.where($this = 'b').exists()"),
    ("HumanName", {"given": ["a", "b"]}, "given.all($this.matches('^[a-z]$'))"),
]


@pytest.mark.parametrize(("base", "node", "expression"), CASES)
def test_simple_shapes_agree_with_fhirpathpy(base, node, expression):
    fast = fhirpath.compile_simple(expression, base)
    assert fast is not None, expression
    assert fast(node, None) == fhirpath.compile(expression, base)(node), expression


def test_shapes_outside_the_subset_are_left_to_fhirpathpy():
    assert fhirpath.compile_simple("descendants().exists()", "Patient") is None
    assert fhirpath.compile_simple("name.select(given)", "Patient") is None
    assert fhirpath.compile_simple("exists()", "NoSuchType") is None
