"""Structure layer details: primitive extensions, choice types, nested resources, references."""

from __future__ import annotations

from fhir_service.validation import has_errors, validate_resource


def errors(resource):
    return [
        (i.rule, i.expression) for i in validate_resource(resource, warnings=False) if i.severity == "error"
    ]


def test_primitive_extension_alone_counts_as_present():
    resource = {
        "resourceType": "ClinicalUseDefinition",
        "_type": {
            "extension": [
                {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}
            ]
        },
    }
    assert errors(resource) == []


def test_unknown_primitive_extension_key_and_extension_without_value():
    resource = {"resourceType": "ClinicalUseDefinition", "type": "indication", "_nope": {"id": "x"}}
    assert ("unknown-element", "ClinicalUseDefinition._nope") in errors(resource)
    resource = {
        "resourceType": "ClinicalUseDefinition",
        "type": "indication",
        "extension": [{"url": "http://x"}],
    }
    assert ("ext-1", "ClinicalUseDefinition.extension[0]") in errors(resource)


def test_choice_type_with_two_values_and_unknown_suffix():
    base = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    assert ("choice", "Observation.value") in errors(
        {**base, "valueQuantity": {"value": 1}, "valueString": "a"}
    )
    assert ("unknown-element", "Observation.valueFoo") in errors({**base, "valueFoo": 1})
    assert errors({**base, "valueQuantity": {"value": 1, "unit": "mg"}}) == []


def test_contained_resources_use_their_own_definitions_and_dom_rules():
    resource = {
        "resourceType": "ClinicalUseDefinition",
        "type": "indication",
        "contained": [
            {"resourceType": "Group", "id": "pop", "type": "person", "membership": "definitional", "bogus": 1}
        ],
        "population": [{"reference": "#pop"}],
    }
    assert errors(resource) == [("unknown-element", "ClinicalUseDefinition.contained[0].bogus")]
    del resource["contained"][0]["bogus"]
    assert errors(resource) == []
    resource["population"] = []
    assert ("dom-3", "ClinicalUseDefinition") in errors(resource)


def test_bundle_urn_uuid_reference_target_is_checked():
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:0c3c4f9e-1b56-4a8c-8d8e-2f7a3f1c0001",
                "resource": {"resourceType": "MedicationKnowledge", "status": "active"},
            },
            {
                "fullUrl": "urn:uuid:0c3c4f9e-1b56-4a8c-8d8e-2f7a3f1c0002",
                "resource": {
                    "resourceType": "ClinicalUseDefinition",
                    "type": "indication",
                    "subject": [{"reference": "urn:uuid:0c3c4f9e-1b56-4a8c-8d8e-2f7a3f1c0001"}],
                },
            },
        ],
    }
    assert errors(bundle) == [("reference-target", "Bundle.entry[1].resource.subject[0].reference")]


def test_primitive_formats():
    base = {"resourceType": "Group", "type": "person", "membership": "definitional"}
    assert ("type:unsignedInt", "Group.quantity") in errors({**base, "quantity": -1})
    assert errors({**base, "quantity": 0}) == []
    assert ("type:boolean", "Group.active") in errors({**base, "active": "true"})
    assert has_errors(validate_resource({**base, "meta": {"lastUpdated": "2024-13-01T00:00:00Z"}}))
    assert not has_errors(validate_resource({**base, "meta": {"lastUpdated": "2024-12-01T00:00:00Z"}}))


def test_required_codeable_concept_needs_a_code_from_the_value_set():
    base = {"resourceType": "Condition", "subject": {"reference": "Patient/p"}}
    rule = "binding:http://hl7.org/fhir/ValueSet/condition-clinical"
    assert (rule, "Condition.clinicalStatus") in errors({**base, "clinicalStatus": {"text": "active"}})
    wrong = {"coding": [{"system": "http://snomed.info/sct", "code": "55561003"}]}
    assert (rule, "Condition.clinicalStatus") in errors({**base, "clinicalStatus": wrong})
    right = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
    }
    assert errors({**base, "clinicalStatus": right}) == []


def test_unexpandable_required_value_sets_check_the_code_grammar():
    doc = {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [{"attachment": {"contentType": "pdf"}}],
    }
    rule = "binding:http://hl7.org/fhir/ValueSet/mimetypes"
    assert (rule, "DocumentReference.content[0].attachment.contentType") in errors(doc)
    doc["content"][0]["attachment"]["contentType"] = "application/pdf"
    assert errors(doc) == []


def test_contained_reference_inside_a_bundle_entry_resolves_in_that_entry():
    cud = {
        "resourceType": "ClinicalUseDefinition",
        "type": "indication",
        "contained": [{"resourceType": "Group", "id": "pop", "type": "person", "membership": "definitional"}],
        "population": [{"reference": "#pop"}],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "http://x.org/fhir/ClinicalUseDefinition/1", "resource": cud}],
    }
    assert errors(bundle) == []
    cud["population"] = [{"reference": "#pop"}, {"reference": "#other"}]
    assert ("ref-1", "Bundle.entry[0].resource.population[1]") in errors(bundle)


def test_apd_1_uses_the_callers_resolver_for_references_outside_the_document():
    apd = {
        "resourceType": "AdministrableProductDefinition",
        "status": "active",
        "formOf": [{"reference": "MedicinalProductDefinition/mpd-1"}],
        "routeOfAdministration": [{"code": {"text": "oral"}}],
    }
    mpd = {"resourceType": "MedicinalProductDefinition", "id": "mpd-1", "name": [{"productName": "x"}]}
    store = {"MedicinalProductDefinition/mpd-1": mpd}
    assert not has_errors(validate_resource(apd, resolve=store.get))
    mpd["route"] = [{"text": "oral"}]
    issues = validate_resource(apd, resolve=store.get)
    assert [i.rule for i in issues if i.severity == "error"] == ["apd-1"]


def test_resolve_and_member_of_inside_fhirpath_invariants():
    care_team = {
        "resourceType": "CareTeam",
        "participant": [
            {"member": {"reference": "Patient/p1"}, "onBehalfOf": {"reference": "Organization/o"}}
        ],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "http://x.org/fhir/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1"}},
            {"fullUrl": "http://x.org/fhir/CareTeam/c", "resource": care_team},
        ],
    }
    assert errors(bundle) == [("ctm-1", "Bundle.entry[1].resource.participant[0]")]
    del care_team["participant"][0]["onBehalfOf"]
    assert errors(bundle) == []
    operation = {
        "resourceType": "OperationDefinition",
        "name": "X",
        "status": "draft",
        "kind": "operation",
        "code": "x",
        "system": False,
        "type": False,
        "instance": False,
        "parameter": [
            {
                "name": "a",
                "use": "in",
                "min": 0,
                "max": "1",
                "type": "Patient",
                "targetProfile": ["http://x.org/p"],
            }
        ],
    }
    assert errors(operation) == []
    operation["parameter"][0]["type"] = "string"
    assert ("opd-3", "OperationDefinition.parameter[0]") in errors(operation)


def test_resource_slot_restricted_to_one_type():
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [{"relation": "self", "url": "http://x.org/fhir/Patient"}],
    }
    # a Patient has no issue.severity, so bdl-16 cannot be shown to hold either
    assert errors({**bundle, "issues": {"resourceType": "Patient"}}) == [
        ("type", "Bundle.issues"),
        ("bdl-16", "Bundle"),
    ]
    outcome_ok = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "informational"}],
    }
    assert errors({**bundle, "issues": outcome_ok}) == []
    outcome_error = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception"}],
    }
    assert ("bdl-16", "Bundle") in errors({**bundle, "issues": outcome_error})


def issues_of(resource, **options):
    return [
        (i.severity, i.rule, i.expression) for i in validate_resource(resource, warnings=False, **options)
    ]


def test_unresolved_reference_to_a_disallowed_type_warns_and_a_write_refuses_it():
    cud = {
        "resourceType": "ClinicalUseDefinition",
        "type": "indication",
        "subject": [{"reference": "MedicationKnowledge/mk-1"}],
    }
    where = "ClinicalUseDefinition.subject[0].reference"
    assert issues_of(cud) == [("warning", "reference-target", where)]
    assert issues_of(cud, write=True) == [("error", "reference-target", where)]
    allowed = {**cud, "subject": [{"reference": "MedicinalProductDefinition/mpd-1"}]}
    assert issues_of(allowed) == issues_of(allowed, write=True) == []


def test_a_resolved_target_of_a_disallowed_type_is_an_error_without_write_too():
    found = {"resourceType": "MedicationKnowledge", "id": "mk-1", "status": "active"}
    cud = {
        "resourceType": "ClinicalUseDefinition",
        "type": "indication",
        "subject": [{"reference": "Medication/m-1"}],  # the store holds a MedicationKnowledge there
    }
    assert issues_of(cud, resolve=lambda ref: found) == [
        ("error", "reference-target", "ClinicalUseDefinition.subject[0].reference")
    ]


def test_base64_is_an_error_where_java_errs_and_a_warning_naming_the_regex_elsewhere():
    def data(value):
        issues = validate_resource({"resourceType": "Binary", "contentType": "text/plain", "data": value})
        return [(i.severity, i.message) for i in issues if i.rule == "type:base64Binary"]

    assert data("SGVsbG8=") == []
    ((severity, message),) = data("MEKH....SD/Z")  # eight alphabet characters: Java accepts it
    assert severity == "warning" and "regex" in message and "[A-Za-z0-9+/]" in message
    assert [s for s, _ in data("YXNhcs2Rhc2Q=")] == ["error"]  # thirteen: not whole quanta
    assert [s for s, _ in data("SGVs bG8=")] == ["error"]  # whitespace
    assert [s for s, _ in data("SGVs\u00a0bG8=")] == ["warning"]  # not whitespace to Java's isWhitespace
