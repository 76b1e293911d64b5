"""The resource type names the service routes by: R5's literal and the R4/R4B views' definitions."""

from __future__ import annotations

from fhir_service import definitions, versions
from fhir_service.resource_types import RESOURCE_TYPES


def test_the_r5_literal_is_what_the_shipped_definitions_define():
    assert RESOURCE_TYPES == definitions.resource_types() == versions.resource_types("5.0")


def test_each_version_base_answers_its_own_concrete_types():
    r4, r4b = versions.resource_types("4.0"), versions.resource_types("4.3")
    assert (len(r4), len(r4b)) == (147, 141)
    assert "MedicinalProductIndication" in r4 and "MedicinalProductIndication" not in r4b
    assert "ClinicalUseDefinition" in r4b and "ClinicalUseDefinition" not in r4
    assert not {"Requirements", "Resource", "DomainResource"} & (r4 | r4b)
