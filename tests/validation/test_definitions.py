"""The shipped definitions: small, complete enough, and what the validator expects."""

from __future__ import annotations

from fhir_service import definitions
from fhir_service.narrative import xhtml_problems


def test_data_is_small():
    total = sum(
        f.stat().st_size
        for f in definitions.DATA.iterdir()
        if f.name in ("structure.json.gz", "valuesets.json.gz")
    )
    assert total < 5 * 1024 * 1024


def test_every_r5_resource_type_with_its_invariants():
    assert len(definitions.resource_types()) == 158  # every concrete resource type of R5 5.0.0
    cud = definitions.type_def("ClinicalUseDefinition")
    assert "cud-1" in {c.key for c in cud.root.constraints}
    assert (
        cud.elements["ClinicalUseDefinition.type"].required_valueset
        == "http://hl7.org/fhir/ValueSet/clinical-use-definition-type"
    )
    value = definitions.type_def("Extension").children["Extension"]["valueQuantity"]
    assert value.is_choice and value.json_keys["valueQuantity"] == "Quantity"


def test_required_value_sets_are_expanded():
    status = definitions.value_set("http://hl7.org/fhir/ValueSet/publication-status|5.0.0")
    assert status == {
        "http://hl7.org/fhir/publication-status": frozenset({"draft", "active", "retired", "unknown"})
    }
    assert definitions.value_set_codes("http://hl7.org/fhir/ValueSet/units-of-time") == frozenset(
        "s min h d wk mo a".split()
    )
    assert (
        definitions.value_set("http://hl7.org/fhir/ValueSet/mimetypes") is None
    )  # not expandable: grammar only


def test_primitive_regexes():
    assert definitions.primitive_regex("id").fullmatch("a-1.b")
    assert not definitions.primitive_regex("id").fullmatch("a b")
    assert definitions.primitive_regex("dateTime").fullmatch("2024-02-29T10:00:00+01:00")
    assert not definitions.primitive_regex("dateTime").fullmatch("2024-02-29T10:00")


def test_narrative_rules():
    ok = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Take <b>one</b> tablet</p></div>'
    assert xhtml_problems(ok) == ()
    assert [
        r for r, _ in xhtml_problems('<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">a</p></div>')
    ] == ["txt-1"]
    assert [
        r
        for r, _ in xhtml_problems(
            '<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:x()">a</a></div>'
        )
    ] == ["txt-1"]
    assert [r for r, _ in xhtml_problems('<div xmlns="http://www.w3.org/1999/xhtml">  </div>')] == ["txt-2"]
    assert [r for r, _ in xhtml_problems("<div>no namespace</div>")] == ["txt-1", "txt-1"]
