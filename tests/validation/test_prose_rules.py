"""The prose rules of the R5 specification the reference validator enforces (validation/conformance.py,
narrative.py, dom-3 in rules.py), each on a minimal resource."""

from __future__ import annotations

import base64
import hashlib

import pytest

from fhir_service.cli.validate import file_issues
from fhir_service.formats import parse_json
from fhir_service.jsontext import LexicalDecimal
from fhir_service.validation import validate_resource


def found(resource: dict, severity: str = "error") -> list[tuple[str, str]]:
    return [(i.rule, i.expression) for i in validate_resource(resource) if i.severity == severity]


def observation(value) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "valueQuantity": {"value": value},
    }


@pytest.mark.parametrize(
    "value, ok",
    [
        (12, True),
        (2.3e-05, True),
        (LexicalDecimal("1.50"), True),
        (1000000000000000000, False),  # 19 integer digits
        (LexicalDecimal("1.000000000000000000E-24"), False),  # 18 fraction digits
        (LexicalDecimal("1e09"), False),  # exponent with a leading zero
    ],
)
def test_decimal_syntax(value, ok: bool):
    rules = [rule for rule, _ in found(observation(value))]
    assert ("type:decimal" not in rules) == ok


def test_element_ids_are_unique_within_a_resource_but_not_across_contained_ones():
    patient = {
        "resourceType": "Patient",
        "name": [{"id": "a", "family": "x"}],
        "telecom": [{"id": "a", "system": "phone", "value": "1"}],
    }
    assert ("element-id", "Patient.telecom[0].id") in found(patient)
    patient["telecom"][0]["id"] = "b"
    patient["contained"] = [{"resourceType": "Organization", "id": "o", "name": "n", "alias": ["a"]}]
    patient["contained"][0]["_alias"] = [{"id": "a"}]
    patient["managingOrganization"] = {"reference": "#o"}
    assert [r for r in found(patient) if r[0] == "element-id"] == []


def test_a_restful_full_url_names_the_entrys_resource():
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "http://x.org/fhir/Patient/p2", "resource": {"resourceType": "Patient", "id": "p1"}},
            {
                "fullUrl": "urn:uuid:9d6c1a4e-8d2e-4a3c-9b1e-1f2a3b4c5d6e",
                "resource": {"resourceType": "Patient", "id": "p3"},
            },
            {
                "fullUrl": "http://x.org/fhir/Patient/p4/_history/2",
                "resource": {"resourceType": "Patient", "id": "p4"},
            },
        ],
    }
    assert [r for r in found(bundle) if r[0] == "bundle-fullurl"] == [
        ("bundle-fullurl", "Bundle.entry[0].fullUrl")
    ]


@pytest.mark.parametrize(
    "reference, ok",
    [
        ("Device?identifier=1234", True),
        ("Patient?identifier=http://x|1&name:exact=A", True),
        ("Device?identifier=1234&?==", False),
        ("Device?identifier", False),
    ],
)
def test_conditional_reference_queries(reference: str, ok: bool):
    resource = {**observation(1), "device": {"reference": reference}}
    assert (("reference-query", "Observation.device.reference") not in found(resource)) == ok


def test_attachment_size_and_hash_describe_the_data():
    data = b"hello"
    digest = base64.b64encode(hashlib.sha1(data).digest()).decode()
    attachment = {
        "contentType": "text/plain",
        "data": base64.b64encode(data).decode(),
        "size": "5",
        "hash": digest,
    }
    document = {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [{"attachment": attachment}],
    }
    assert [r for r, _ in found(document) if r.startswith("att-")] == []
    attachment.update(size="6", hash=base64.b64encode(b"x" * 20).decode())
    assert sorted(r for r, _ in found(document) if r.startswith("att-")) == ["att-hash", "att-size"]


def test_a_canonical_cannot_end_with_a_bar():
    guide = {
        "resourceType": "ImplementationGuide",
        "url": "http://x.org/ig",
        "name": "X",
        "status": "draft",
        "packageId": "x.y",
        "fhirVersion": ["5.0.0"],
        "dependsOn": [{"uri": "http://x.org/other|"}],
    }
    assert ("canonical", "ImplementationGuide.dependsOn[0].uri") in found(guide)


def test_duplicate_security_labels():
    label = {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}
    patient = {"resourceType": "Patient", "meta": {"security": [label, dict(label)]}}
    assert ("meta-security", "Patient.meta.security[1]") in found(patient)


def narrative(div: str) -> dict:
    return {"resourceType": "Basic", "code": {"text": "x"}, "text": {"status": "generated", "div": div}}


def test_narrative_urls_and_nested_paragraphs():
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><a href="http://x.org/{a}">x</a></div>'
    assert ("txt-1", "Basic.text.div") in found(narrative(div))
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>a<p>b</p></p></div>'
    assert ("txt-1", "Basic.text.div") in found(narrative(div))
    assert found(narrative('<div xmlns="http://www.w3.org/1999/xhtml"><p>a<b>b</b></p></div>')) == []


def test_a_contained_resource_referred_to_from_the_narrative_is_referenced():
    resource = narrative('<div xmlns="http://www.w3.org/1999/xhtml"><img src="#pic1"/></div>')
    resource["contained"] = [{"resourceType": "Binary", "id": "pic1", "contentType": "image/png"}]
    assert [r for r, _ in found(resource) if r == "dom-3"] == []


def test_whitespace_only_strings_warn_and_control_characters_are_a_validator_warning(tmp_path):
    patient = {"resourceType": "Patient", "name": [{"text": "  "}]}
    assert found(patient) == [] and ("ele-1", "Patient.name[0].text") in found(patient, "warning")
    path = tmp_path / "p.json"
    path.write_bytes(b'{"resourceType":"Patient","name":[{"text":"a\\u0013b"}]}')
    _, issues = file_issues(path)
    assert [(i.severity, i.rule) for i in issues if i.rule == "string-control"] == [
        ("warning", "string-control")
    ]
    with pytest.raises(ValueError, match="control character"):
        parse_json(path.read_bytes())  # the server still refuses them
