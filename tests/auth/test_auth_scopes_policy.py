"""SMART scope parsing and the request → needed scopes policy (pure functions)."""

from __future__ import annotations

import pytest

from fhir_service.auth.policy import Need, bundle_needs, missing, needs
from fhir_service.auth.scopes import parse_grant, parse_scope
from fhir_service.outcome import FhirError
from fhir_service.rest.auth import describe, describe_bundle

BASE = "http://h/fhir"


def test_v2_v1_and_ignored_scopes():
    assert parse_scope("system/MedicationKnowledge.cruds").letters == "cruds"
    assert parse_scope("user/*.rs").type == "*"
    assert parse_scope("system/Patient.read").letters == "rs"  # v1
    assert parse_scope("system/Patient.write").letters == "cud"
    assert parse_scope("system/Patient.*").letters == "cruds"
    for bad in (
        "system/Patient.sr",
        "system/Patient.rr",
        "system/Patient.x",
        "openid",
        "system/Patient.rs?a=b",
    ):
        assert parse_scope(bad) is None, bad
    grant = parse_grant("openid patient/*.cruds system/ClinicalUseDefinition.c user/Group.rs launch")
    assert grant.allows("c", "ClinicalUseDefinition") and not grant.allows("r", "ClinicalUseDefinition")
    assert grant.allows("s", "Group") and not grant.allows("u", "Group")
    assert not grant.allows("r", "Patient")  # patient/ scopes grant nothing (no compartment filtering)
    assert not grant.allows("r", "*")
    everything = parse_grant(["system/*.rs"])
    assert everything.reads_everything() and everything.allows("s", "Basic")


def needs_of(*args, **kwargs) -> list[Need]:
    return needs(describe(*args, **kwargs))


def test_interaction_needs():
    assert needs_of("read", "Group") == [Need("r", "Group")]
    assert needs_of("create", "Group", conditional=True) == [Need("c", "Group"), Need("s", "Group")]
    assert needs_of("search-system", None, [("_type", "Group,Basic")]) == [
        Need("s", "Group"),
        Need("s", "Basic"),
    ]
    assert needs_of("search-system", None, []) == [Need("s", "*")]
    assert needs_of("history-system", None, [("_type", "Group")]) == [Need("s", "*")]
    searched = needs_of(
        "search-type",
        "ClinicalUseDefinition",
        [("subject:MedicinalProductDefinition.name", "x"), ("_has:Provenance:target:agent", "y")],
    )
    assert set(searched) == {
        Need("s", "ClinicalUseDefinition"),
        Need("s", "MedicinalProductDefinition"),
        Need("s", "Provenance"),
    }
    assert needs_of("export", None, [("_type", "Group")]) == [Need("r", "Group"), Need("s", "Group")]


def test_bundle_needs_cover_every_entry_and_conditional_references():
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": {"resourceType": "Group"}, "request": {"method": "POST", "url": "Group"}},
            {"request": {"method": "DELETE", "url": f"{BASE}/Basic/b1"}},
            {
                "resource": {
                    "resourceType": "ClinicalUseDefinition",
                    "subject": [{"reference": "MedicinalProductDefinition?identifier=x|1"}],
                },
                "request": {"method": "PUT", "url": "ClinicalUseDefinition?identifier=a|b"},
            },
            {"request": {"method": "GET", "url": "Organization/o1"}},
        ],
    }
    needs, read_only = bundle_needs(describe_bundle(bundle, BASE))
    assert not read_only
    assert set(needs) == {
        Need("c", "Group"),
        Need("d", "Basic"),
        Need("u", "ClinicalUseDefinition"),
        Need("s", "ClinicalUseDefinition"),
        Need("s", "MedicinalProductDefinition"),
        Need("r", "Organization"),
    }
    grant = parse_grant("system/Group.c system/Basic.d system/ClinicalUseDefinition.us system/Organization.r")
    assert missing(grant, needs) == [Need("s", "MedicinalProductDefinition")]
    reads = {"resourceType": "Bundle", "type": "batch", "entry": [bundle["entry"][3]]}
    assert bundle_needs(describe_bundle(reads, BASE)) == ([Need("r", "Organization")], True)


def test_history_and_vread_entries_are_decided_as_the_top_level_interactions():
    urls = [
        "Group/g1/_history",
        "Basic/_history?_count=1",
        "_history?_since=2020",
        "Organization/o1/_history/2",
    ]
    entries = [{"request": {"method": "GET", "url": url}} for url in urls]
    described = describe_bundle({"resourceType": "Bundle", "type": "batch", "entry": entries}, BASE)
    assert [d.interaction for d in described] == [
        "history-instance",
        "history-type",
        "history-system",
        "vread",
    ]
    assert [needs(d) for d in described] == [
        [Need("r", "Group")],
        [Need("s", "Basic")],
        [Need("s", "*")],
        [Need("r", "Organization")],
    ]
    assert bundle_needs(described)[1]  # reads only: open under FHIR_SERVICE_AUTH_PUBLIC_READ
    grant = parse_grant("system/Group.s system/Basic.r system/Organization.rs")
    assert missing(grant, bundle_needs(described)[0]) == [
        Need("r", "Group"),
        Need("s", "Basic"),
        Need("s", "*"),
    ]


def test_an_interaction_without_a_rule_is_refused():
    with pytest.raises(FhirError) as refused:
        needs(describe("operation", "Group"))
    assert refused.value.status == 403
    with pytest.raises(FhirError):
        bundle_needs([describe("read", "Group"), describe("", "Group")])
