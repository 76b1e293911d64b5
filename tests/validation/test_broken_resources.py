"""Deliberately broken resources: each is rejected with the right rule in the OperationOutcome,
and the unbroken baselines pass (so a rule that fires on everything would fail here too)."""

from __future__ import annotations

import copy

import pytest

from fhir_service.validation import has_errors, outcome, validate_bundle_entries, validate_resource

CUD = {
    "resourceType": "ClinicalUseDefinition",
    "id": "cud-1",
    "type": "contraindication",
    "status": {"coding": [{"system": "http://hl7.org/fhir/publication-status", "code": "active"}]},
    "subject": [{"reference": "MedicinalProductDefinition/mpd-1"}],
    "contraindication": {
        "diseaseSymptomProcedure": {"concept": {"text": "Myasthenia gravis"}},
    },
}

APD = {
    "resourceType": "AdministrableProductDefinition",
    "id": "apd-1",
    "status": "active",
    "formOf": [{"reference": "MedicinalProductDefinition/mpd-1"}],
    "routeOfAdministration": [
        {
            "code": {
                "coding": [
                    {"system": "http://standardterms.edqm.eu", "code": "20053000", "display": "Oral use"}
                ]
            }
        }
    ],
}

MK = {
    "resourceType": "MedicationKnowledge",
    "id": "mk-1",
    "status": "active",
    "name": ["tolperisone"],
    "indicationGuideline": [
        {
            "dosingGuideline": [
                {
                    "dosage": [
                        {
                            "type": {"text": "adult"},
                            "dosage": [
                                {
                                    "text": "150 mg three times daily",
                                    "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
                                    "doseAndRate": [
                                        {
                                            "doseRange": {
                                                "low": {
                                                    "value": 50,
                                                    "unit": "mg",
                                                    "system": "http://unitsofmeasure.org",
                                                    "code": "mg",
                                                },
                                                "high": {
                                                    "value": 150,
                                                    "unit": "mg",
                                                    "system": "http://unitsofmeasure.org",
                                                    "code": "mg",
                                                },
                                            }
                                        }
                                    ],
                                }
                            ],
                        }
                    ]
                }
            ]
        }
    ],
}

MPD = {
    "resourceType": "MedicinalProductDefinition",
    "id": "mpd-1",
    "name": [{"productName": "Tolperisone 150 mg film-coated tablets"}],
}

COLLECTION = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"fullUrl": "http://example.org/fhir/MedicinalProductDefinition/mpd-1", "resource": MPD},
        {"fullUrl": "http://example.org/fhir/AdministrableProductDefinition/apd-1", "resource": APD},
    ],
}


def broken(base: dict, change) -> dict:
    resource = copy.deepcopy(base)
    change(resource)
    return resource


def _set(path: list, value):
    def change(resource):
        node = resource
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


def _delete(path: list):
    def change(resource):
        node = resource
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return change


def _apd_route_on_product(bundle):
    bundle["entry"][0]["resource"]["route"] = [{"text": "oral"}]


MK_DOSAGE = ["indicationGuideline", 0, "dosingGuideline", 0, "dosage", 0]

CASES = [
    # (name, resource, rule expected in the outcome, location prefix)
    (
        "two issue blocks",
        broken(CUD, _set(["warning"], {"description": "x"})),
        "cud-1",
        "ClinicalUseDefinition",
    ),
    (
        "unknown type code",
        broken(CUD, _set(["type"], "side-effect")),
        "binding:http://hl7.org/fhir/ValueSet/clinical-use-definition-type",
        "ClinicalUseDefinition.type",
    ),
    (
        "unknown status code",
        broken(APD, _set(["status"], "current")),
        "binding:http://hl7.org/fhir/ValueSet/publication-status",
        "AdministrableProductDefinition.status",
    ),
    (
        "unknown MK status code",
        broken(MK, _set(["status"], "draft")),
        "binding:http://hl7.org/fhir/ValueSet/medicationknowledge-status",
        "MedicationKnowledge.status",
    ),
    (
        "missing routeOfAdministration",
        broken(APD, _delete(["routeOfAdministration"])),
        "cardinality",
        "AdministrableProductDefinition.routeOfAdministration",
    ),
    (
        "array for a single value",
        broken(CUD, _set(["type"], ["contraindication"])),
        "cardinality",
        "ClinicalUseDefinition.type",
    ),
    (
        "single value for an array",
        broken(CUD, _set(["subject"], {"reference": "MedicinalProductDefinition/mpd-1"})),
        "cardinality",
        "ClinicalUseDefinition.subject",
    ),
    (
        "wrong primitive type",
        broken(MK, _set(MK_DOSAGE[:-2] + ["dosage", 0, "dosage", 0, "timing", "repeat", "frequency"], "3")),
        "type:positiveInt",
        "MedicationKnowledge.indicationGuideline",
    ),
    (
        "unknown element",
        broken(CUD, _set(["contraindication", "severity"], {"text": "high"})),
        "unknown-element",
        "ClinicalUseDefinition.contraindication.severity",
    ),
    ("R4B element", broken(MK, _set(["synonym"], ["x"])), "unknown-element", "MedicationKnowledge.synonym"),
    (
        "empty object",
        broken(CUD, _set(["contraindication", "diseaseSymptomProcedure"], {})),
        "ele-1",
        "ClinicalUseDefinition.contraindication.diseaseSymptomProcedure",
    ),
    ("empty string", broken(MK, _set(["name"], [""])), "ele-1", "MedicationKnowledge.name"),
    (
        "Range low > high",
        broken(MK, _set(MK_DOSAGE + ["dosage", 0, "doseAndRate", 0, "doseRange", "low", "value"], 500)),
        "rng-2",
        "MedicationKnowledge.indicationGuideline[0].dosingGuideline[0].dosage[0].dosage[0].doseAndRate[0].dose.ofType(Range)",
    ),
    (
        "empty required list",
        broken(MK, _set(MK_DOSAGE + ["dosage"], [])),
        "cardinality",
        "MedicationKnowledge.indicationGuideline",
    ),
    ("total on a collection", broken(COLLECTION, _set(["total"], 2)), "bdl-1", "Bundle"),
    (
        "apd-1: route on the product",
        broken(COLLECTION, _apd_route_on_product),
        "apd-1",
        "Bundle.entry[1].resource",
    ),
    (
        "period without unit (tim-2)",
        broken(MK, _delete(MK_DOSAGE + ["dosage", 0, "timing", "repeat", "periodUnit"])),
        "tim-2",
        "MedicationKnowledge",
    ),
    (
        "periodUnit not a unit of time",
        broken(MK, _set(MK_DOSAGE + ["dosage", 0, "timing", "repeat", "periodUnit"], "day")),
        "binding:http://hl7.org/fhir/ValueSet/units-of-time",
        "MedicationKnowledge",
    ),
    (
        "ref-1: dangling #contained",
        broken(CUD, _set(["subject"], [{"reference": "#nowhere"}])),
        "ref-1",
        "ClinicalUseDefinition.subject",
    ),
    ("bad id", broken(CUD, _set(["id"], "no spaces allowed")), "type:id", "ClinicalUseDefinition.id"),
    (
        "bad dateTime",
        broken(MPD, _set(["marketingStatus"], [{"status": {"text": "x"}, "restore": 1}])),
        "unknown-element",
        "MedicinalProductDefinition.marketingStatus",
    ),
    ("unknown resourceType", {"resourceType": "Medicament", "id": "x"}, "resourceType", ""),
    (
        "narrative script",
        broken(
            MPD,
            _set(
                ["text"],
                {
                    "status": "generated",
                    "div": '<div xmlns="http://www.w3.org/1999/xhtml"><script>x</script>ok</div>',
                },
            ),
        ),
        "txt-1",
        "MedicinalProductDefinition.text.div",
    ),
]


@pytest.mark.parametrize("resource", [CUD, APD, MK, MPD, COLLECTION], ids=lambda r: r["resourceType"])
def test_baselines_are_valid(resource):
    issues = validate_resource(resource)
    assert not has_errors(issues), [str(i) for i in issues]


@pytest.mark.parametrize(("name", "resource", "rule", "where"), CASES, ids=[c[0] for c in CASES])
def test_broken_resource_is_rejected_with_its_rule(name, resource, rule, where):
    issues = validate_resource(resource)
    matching = [i for i in issues if i.rule == rule and i.severity == "error"]
    assert matching, f"{rule} not reported; got {[str(i) for i in issues]}"
    assert matching[0].expression.startswith(where)
    # the OperationOutcome carries the rule, the location and the offending value in the message
    issue = next(i for i in outcome(issues)["issue"] if i["details"]["text"] == rule)
    assert issue["severity"] == "error" and issue["expression"] == [matching[0].expression]


def test_messages_name_rule_and_value():
    issues = validate_resource(broken(CUD, _set(["type"], "side-effect")))
    (issue,) = [i for i in issues if i.rule and i.rule.startswith("binding:")]
    assert "binding (required) to http://hl7.org/fhir/ValueSet/clinical-use-definition-type" in issue.message
    assert "'side-effect'" in issue.message
    (card,) = validate_resource(broken(APD, _delete(["routeOfAdministration"])), warnings=False)
    assert "cardinality 1..*" in card.message and card.expression.endswith("routeOfAdministration")


def test_bundle_issues_grouped_by_entry():
    grouped = validate_bundle_entries(
        broken(COLLECTION, _set(["entry", 1, "resource", "status"], "current")), warnings=False
    )
    assert set(grouped) == {1}
    assert grouped[1][0].expression == "Bundle.entry[1].resource.status"


def test_coded_binding_on_codeable_concept():
    resource = broken(
        CUD,
        _set(
            ["contraindication", "otherTherapy"],
            [{"relationshipType": {"text": "with"}, "treatment": {"concept": {"text": "x"}}}],
        ),
    )
    assert not has_errors(validate_resource(resource))  # preferred binding: text only is fine
