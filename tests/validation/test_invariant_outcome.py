"""An invariant is met only when its expression evaluates to true, as in HL7's Java validator
(FHIRPathEngine.convertToBoolean) and Firely's: false fails it, and so does an empty result (the
invariant cannot be shown to hold). ctm-1, `onBehalfOf.exists() implies (member.resolve() is
Practitioner)`, shows the three outcomes on a minimal CareTeam: its member resolves to a Practitioner
(true), to another type (false), or to nothing the validator can see (empty)."""

from __future__ import annotations

import pytest

from fhir_service.validation import validate_resource

BASE = "http://x.org/fhir"


def errors(resource: dict, **kwargs) -> list[tuple[str, str]]:
    return [
        (i.rule, i.expression)
        for i in validate_resource(resource, warnings=False, **kwargs)
        if i.severity in ("error", "fatal")
    ]


def care_team(member: str, on_behalf_of: bool = True) -> dict:
    participant = {"member": {"reference": member}}
    if on_behalf_of:
        participant["onBehalfOf"] = {"reference": "Organization/o"}
    return {"resourceType": "CareTeam", "id": "c", "participant": [participant]}


def collection(*resources: dict) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }


CTM_1 = ("ctm-1", "Bundle.entry[0].resource.participant[0]")


@pytest.mark.parametrize(
    "member, in_bundle, ok",
    [
        ("Practitioner/m", {"resourceType": "Practitioner", "id": "m"}, True),  # true
        ("Patient/m", {"resourceType": "Patient", "id": "m"}, False),  # false
        ("Practitioner/m", None, False),  # empty: the member cannot be resolved
    ],
)
def test_an_invariant_is_met_only_when_it_evaluates_to_true(member, in_bundle, ok: bool):
    bundle = collection(care_team(member), *([in_bundle] if in_bundle else []))
    assert (CTM_1 not in errors(bundle)) if ok else (CTM_1 in errors(bundle))


def test_an_invariant_whose_condition_is_false_holds_whatever_cannot_be_resolved():
    assert errors(collection(care_team("Practitioner/m", on_behalf_of=False))) == []


def test_a_reference_the_store_resolves_decides_the_invariant():
    stored = {"Practitioner/m": {"resourceType": "Practitioner", "id": "m"}}
    assert errors(care_team("Practitioner/m"), resolve=stored.get) == []
    assert ("ctm-1", "CareTeam.participant[0]") in errors(care_team("Practitioner/m"))


def test_an_empty_comparison_does_not_satisfy_an_invariant():
    # bdl-16: issues.exists() implies (issues.issue.severity = 'information' or ... = 'warning')
    bundle = {"resourceType": "Bundle", "type": "searchset", "issues": {"resourceType": "OperationOutcome"}}
    assert ("bdl-16", "Bundle") in errors(bundle)
    bundle["issues"]["issue"] = [{"severity": "warning", "code": "informational"}]
    assert ("bdl-16", "Bundle") not in errors(bundle)
