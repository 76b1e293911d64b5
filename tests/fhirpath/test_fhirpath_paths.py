"""paths.py: the dotted-path walker selects exactly what fhirpathpy's plain evaluation selects."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import fhirpathpy
import pytest
from fhirpathpy.models import models

from fhir_service import fhirpath
from fhir_service.search import extract
from fhir_service.search.registry import registry
from mappings.convert import convert_file


def test_the_walker_agrees_with_fhirpathpy_on_every_search_path(seed_path):
    resources = convert_file(seed_path).resources
    resources += json.loads((Path(__file__).parents[1] / "search" / "conformance-resources.json").read_text())
    checked = 0
    for resource in resources:
        rtype = resource["resourceType"]
        for param in registry().indexed_params(rtype):
            for raw in fhirpath.split_union(param.expression):
                relative = extract._relative(raw, rtype)
                walker = fhirpath.compile_path(rtype, relative) if relative else None
                if walker is None:
                    continue
                expected = fhirpathpy.compile(relative, models["r5"])(resource, {"resource": resource})
                as_float = [float(v) if isinstance(v, Decimal) else v for v in expected]
                assert walker(resource) == as_float, (rtype, relative)
                checked += 1
    assert checked > 900


def test_paths_the_walker_leaves_to_fhirpathpy():
    assert fhirpath.compile_path("Patient", "name.given") is not None
    assert fhirpath.compile_path("Patient", "name.where(use = 'official')") is None
    assert fhirpath.compile_path("Observation", "value.unit") is None  # a step into a choice element
    assert fhirpath.compile_path("Patient", "noSuchElement") is None


def test_compile_on_type_walks_or_falls_back():
    patient = {
        "resourceType": "Patient",
        "name": [{"use": "official", "given": ["A", "B"]}, {"given": ["C"]}],
    }
    env = {"resource": patient}
    assert fhirpath.compile_on_type("Patient", "name.given")(patient, env) == ["A", "B", "C"]
    official = fhirpath.compile_on_type("Patient", "name.where(use = 'official').given")
    assert official(patient, env) == ["A", "B"]
    assert fhirpath.compile_plain("given")({"given": ["x"]}, {}) == ["x"]


def test_of_type_on_a_choice_element_is_its_typed_key():
    group = {
        "resourceType": "Group",
        "characteristic": [
            {"valueReference": {"reference": "Patient/1"}},
            {"valueCodeableConcept": {"coding": [{"code": "a"}]}},
            {"valueBoolean": True},
        ],
    }
    env = {"resource": group}
    walker = fhirpath.compile_path("Group", "characteristic.value.ofType(Reference)")
    assert walker is not None
    assert walker(group, env) == [{"reference": "Patient/1"}]
    assert fhirpath.compile_path("Group", "characteristic.value.ofType(boolean)") is None  # primitive
    assert fhirpath.compile_path("Group", "characteristic.value.ofType(Period)") is None  # not a choice of it
    assert fhirpath.compile_path("Group", "characteristic.code.ofType(CodeableConcept)") is None  # no choice


@pytest.mark.parametrize(
    "characteristic",
    [
        {"valueRange": {"low": {"value": 0.1}}},  # fhirpathpy turns the float into a Decimal
        {"valueRange": {"low": {"value": 1}}, "_valueRange": {"id": "x"}},  # and adds the `_` twin
    ],
)
def test_of_type_leaves_fhirpathpys_own_readings_to_it(characteristic):
    group = {"resourceType": "Group", "characteristic": [characteristic]}
    walker = fhirpath.compile_path("Group", "characteristic.value.ofType(Range)")
    expected = fhirpathpy.compile("characteristic.value.ofType(Range)", models["r5"])(group, {})
    assert walker(group, {}) == expected
    assert [type(v) for v in walker(group, {})] == [type(v) for v in expected]
