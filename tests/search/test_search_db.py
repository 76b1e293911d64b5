"""Search features against the configured database (SQLite by default, PostgreSQL in CI)."""

from __future__ import annotations

import pytest
from search_helpers import BASE, ids, load, new_repo, run

from fhir_service.interactions.conditional import matches
from fhir_service.interactions.errors import as_fhir_error
from fhir_service.search.errors import SearchError

OBS = [
    {
        "resourceType": "Observation",
        "id": f"obs-{n}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": "mmHg",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
        "meta": {"source": f"http://feeds.example.org/bp/{n}"},
    }
    for n, code, value, when in [
        (1, "8480-6", 120, "2024-03-05T10:00:00Z"),
        (2, "8462-4", 80, "2024-03-05T10:00:00Z"),
        (3, "8480-6", 95.5, "2023-12-31"),
    ]
]
STUDY = {
    "resourceType": "ResearchStudy",
    "id": "study",
    "status": "active",
    "recruitment": {"actualNumber": 42},
}
MPD = {
    "resourceType": "MedicinalProductDefinition",
    "id": "mpd",
    "name": [{"productName": "Tolpérisone Hydrochloride"}],
}
CUDS = [
    {
        "resourceType": "ClinicalUseDefinition",
        "id": f"cud-{n}",
        "type": kind,
        "subject": [{"reference": "MedicinalProductDefinition/mpd"}],
        "identifier": [
            {
                "system": "urn:ids",
                "value": f"C{n}",
                "type": {"coding": [{"system": "urn:idtype", "code": "LOCAL"}]},
            }
        ],
        "contraindication": {
            "diseaseSymptomProcedure": {
                "concept": {
                    "coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]
                }
            }
        },
    }
    for n, kind, code, display in [
        (1, "contraindication", "91637004", "Myasthenia gravis"),
        (2, "contraindication", "197321007", "Steatosis of liver"),
        (3, "warning", "77386006", "Pregnancy"),
    ]
]
MK = {
    "resourceType": "MedicationKnowledge",
    "id": "mk",
    "code": {"text": "Tolperisone 150 mg"},
    "clinicalUseIssue": [{"reference": f"ClinicalUseDefinition/cud-{n}"} for n in (1, 2)],
    "definitional": {"definition": [{"reference": "MedicinalProductDefinition/mpd"}]},
}
APD = {
    "resourceType": "AdministrableProductDefinition",
    "id": "apd",
    "status": "active",
    "formOf": [{"reference": f"{BASE}/MedicinalProductDefinition/mpd"}],
    "routeOfAdministration": [
        {"code": {"coding": [{"system": "http://snomed.info/sct", "code": "47625008"}]}}
    ],
}


@pytest.fixture(scope="module")
def repo(database_url_factory):
    repo = new_repo(database_url_factory)
    load(repo, [*OBS, STUDY, MPD, *CUDS, MK, APD])
    yield repo
    repo.dispose()


def found(repo, rtype, *params, strict=True):
    return sorted(ids(run(repo, rtype, [*params, ("_count", "100")], strict=strict)))


def test_string_prefix_is_case_and_accent_insensitive(repo):
    assert found(repo, "MedicinalProductDefinition", ("name", "TOLPERISONE hydro")) == ["mpd"]
    assert found(repo, "MedicinalProductDefinition", ("name", "hydro")) == []
    assert found(repo, "MedicinalProductDefinition", ("name:contains", "hydro")) == ["mpd"]
    assert found(repo, "MedicinalProductDefinition", ("name:exact", "Tolpérisone Hydrochloride")) == ["mpd"]
    assert found(repo, "MedicinalProductDefinition", ("name:exact", "tolperisone hydrochloride")) == []


def test_token_forms_and_modifiers(repo):
    cud = "ClinicalUseDefinition"
    assert found(repo, cud, ("contraindication", "http://snomed.info/sct|91637004")) == ["cud-1"]
    assert found(repo, cud, ("contraindication", "91637004,197321007")) == ["cud-1", "cud-2"]
    assert found(repo, cud, ("contraindication", "|91637004")) == []  # it has a system
    assert found(repo, cud, ("type", "|warning")) == ["cud-3"]  # a code without system
    assert found(repo, cud, ("contraindication", "http://snomed.info/sct|")) == ["cud-1", "cud-2", "cud-3"]
    assert found(repo, cud, ("contraindication:text", "gravis")) == ["cud-1"]  # any word start
    assert found(repo, cud, ("contraindication:text", "MYASTHENIA gr")) == ["cud-1"]
    assert found(repo, cud, ("contraindication:text", "ravis")) == []  # not inside a word
    assert found(repo, cud, ("contraindication:not", "91637004")) == ["cud-2", "cud-3"]
    assert found(repo, cud, ("identifier:of-type", "urn:idtype|LOCAL|C2")) == ["cud-2"]
    assert found(repo, cud, ("effect:missing", "true")) == ["cud-1", "cud-2", "cud-3"]
    assert found(repo, cud, ("contraindication:missing", "false")) == ["cud-1", "cud-2", "cud-3"]


def test_and_of_repeated_parameters(repo):
    cud = "ClinicalUseDefinition"
    assert found(repo, cud, ("type", "contraindication"), ("contraindication", "197321007")) == ["cud-2"]
    assert found(repo, cud, ("type", "warning"), ("contraindication", "197321007")) == []


def test_reference_forms(repo):
    apd = "AdministrableProductDefinition"
    for value in ("mpd", "MedicinalProductDefinition/mpd", f"{BASE}/MedicinalProductDefinition/mpd"):
        assert found(repo, apd, ("form-of", value)) == ["apd"], value
    assert found(
        repo, "ClinicalUseDefinition", ("subject:MedicinalProductDefinition", "mpd"), ("type", "warning")
    ) == ["cud-3"]
    assert found(repo, "ClinicalUseDefinition", ("subject:Device", "mpd")) == []
    assert found(repo, apd, ("form-of", "MedicinalProductDefinition/other")) == []


def test_dates_with_prefixes_and_precision(repo):
    obs = "Observation"
    assert found(repo, obs, ("date", "2024-03")) == ["obs-1", "obs-2"]
    assert found(repo, obs, ("date", "2024-03-05T10:00:00Z")) == ["obs-1", "obs-2"]
    assert found(repo, obs, ("date", "lt2024")) == ["obs-3"]
    assert found(repo, obs, ("date", "ge2024-01-01")) == ["obs-1", "obs-2"]
    assert found(repo, obs, ("date", "gt2024-03-05")) == []
    assert found(repo, obs, ("date", "eb2024-03-05")) == ["obs-3"]
    assert found(repo, obs, ("date", "sa2023")) == ["obs-1", "obs-2"]
    assert found(repo, obs, ("date", "ne2023-12-31")) == ["obs-1", "obs-2"]
    assert found(repo, obs, ("date", "ge2023-12-31"), ("date", "le2023-12-31")) == ["obs-3"]


def test_quantity_number_uri_composite(repo):
    obs = "Observation"
    assert found(repo, obs, ("value-quantity", "120|http://unitsofmeasure.org|mm[Hg]")) == ["obs-1"]
    assert found(repo, obs, ("value-quantity", "gt90||mm[Hg]")) == ["obs-1", "obs-3"]
    assert found(repo, obs, ("value-quantity", "95.5")) == ["obs-3"]
    assert found(repo, obs, ("value-quantity", "120|http://unitsofmeasure.org|mg")) == []
    assert found(repo, obs, ("value-quantity", "ap118")) == ["obs-1"]
    assert found(repo, obs, ("code-value-quantity", "http://loinc.org|8480-6$gt100")) == ["obs-1"]
    assert found(repo, obs, ("code-value-quantity", "8462-4$gt100")) == []
    assert found(repo, "ResearchStudy", ("recruitment-actual", "42")) == ["study"]
    assert found(repo, "ResearchStudy", ("recruitment-actual", "lt42")) == []
    assert found(repo, obs, ("_source:below", "http://feeds.example.org/bp")) == ["obs-1", "obs-2", "obs-3"]
    assert found(repo, obs, ("_source", "http://feeds.example.org/bp/2")) == ["obs-2"]


def test_chains_multi_hop_and_reverse(repo):
    cud = "ClinicalUseDefinition"
    assert found(
        repo, cud, ("subject:MedicinalProductDefinition.name", "tolperisone"), ("type", "warning")
    ) == ["cud-3"]
    assert found(repo, cud, ("subject.name", "nothing")) == []
    assert found(
        repo, "MedicationKnowledge", ("clinical-use-issue.subject:MedicinalProductDefinition.name", "tolp")
    ) == ["mk"]
    assert found(
        repo, "MedicinalProductDefinition", ("_has:ClinicalUseDefinition:subject:type", "warning")
    ) == ["mpd"]
    assert (
        found(repo, "MedicinalProductDefinition", ("_has:ClinicalUseDefinition:subject:type", "indication"))
        == []
    )
    nested = "_has:AdministrableProductDefinition:form-of:_has:MedicationKnowledge:definition:code:text"
    assert found(
        repo, "MedicinalProductDefinition", ("_has:AdministrableProductDefinition:form-of:route", "47625008")
    ) == ["mpd"]
    assert found(
        repo,
        "MedicinalProductDefinition",
        (nested.replace("_has:AdministrableProductDefinition:form-of:", ""), "tolperisone"),
    ) == ["mpd"]


def test_include_revinclude_iterate_and_wildcard(repo):
    bundle = run(
        repo,
        "MedicationKnowledge",
        [
            ("_id", "mk"),
            ("_include", "MedicationKnowledge:clinical-use-issue"),
            ("_revinclude", "AdministrableProductDefinition:form-of"),
        ],
    )
    assert ids(bundle) == ["mk"] and sorted(ids(bundle, "include")) == [
        "cud-1",
        "cud-2",
    ]  # APD refers to the MPD
    bundle = run(
        repo,
        "MedicationKnowledge",
        [
            ("_id", "mk"),
            ("_include", "MedicationKnowledge:definition"),
            ("_revinclude:iterate", "AdministrableProductDefinition:form-of"),
        ],
    )
    assert sorted(ids(bundle, "include")) == ["apd", "mpd"]
    bundle = run(repo, "MedicationKnowledge", [("_id", "mk"), ("_include", "*")])
    assert sorted(ids(bundle, "include")) == ["cud-1", "cud-2", "mpd"]
    bundle = run(
        repo, "MedicinalProductDefinition", [("_id", "mpd"), ("_revinclude", "ClinicalUseDefinition:subject")]
    )
    assert sorted(ids(bundle, "include")) == ["cud-1", "cud-2", "cud-3"]
    assert all(e["fullUrl"].startswith(BASE + "/") for e in bundle["entry"])


def test_sort_several_keys_and_missing_last(repo):
    bundle = run(repo, "Observation", [("_sort", "code,-date")])
    assert ids(bundle) == ["obs-2", "obs-1", "obs-3"]
    bundle = run(repo, "ClinicalUseDefinition", [("_sort", "-type,_id")])
    assert ids(bundle) == ["cud-3", "cud-1", "cud-2"]
    bundle = run(
        repo, "ClinicalUseDefinition", [("_sort", "effect,-_id")]
    )  # no values: falls back to pk order
    assert ids(bundle) == ["cud-3", "cud-2", "cud-1"]
    with pytest.raises(SearchError):
        run(repo, "ClinicalUseDefinition", [("_sort", "nonsense")])


def test_total_summary_elements(repo):
    bundle = run(repo, "ClinicalUseDefinition", [("type", "contraindication")])
    assert "total" not in bundle  # only when asked
    assert (
        run(repo, "ClinicalUseDefinition", [("type", "contraindication"), ("_total", "accurate")])["total"]
        == 2
    )
    count = run(repo, "ClinicalUseDefinition", [("_summary", "count")])
    assert count["total"] == 3 and "entry" not in count
    subset = run(repo, "ClinicalUseDefinition", [("_id", "cud-1"), ("_elements", "type")])["entry"][0][
        "resource"
    ]
    assert set(subset) == {"resourceType", "id", "meta", "type"}
    assert subset["meta"]["tag"][-1]["code"] == "SUBSETTED"
    summary = run(repo, "MedicationKnowledge", [("_summary", "true")])["entry"][0]["resource"]
    assert "code" in summary and "clinicalUseIssue" not in summary


def test_system_level_search(repo):
    bundle = run(
        repo, None, [("_type", "ClinicalUseDefinition,MedicinalProductDefinition"), ("_id", "cud-1,mpd")]
    )
    assert sorted(ids(bundle)) == ["cud-1", "mpd"]
    assert bundle["link"][0]["url"].startswith(BASE + "?")
    bundle = run(repo, None, [("_source", "http://feeds.example.org/bp/1")])
    assert ids(bundle) == ["obs-1"]
    assert sorted(
        ids(
            run(
                repo,
                None,
                [("_type", "ClinicalUseDefinition,MedicinalProductDefinition"), ("type", "warning")],
                strict=False,
            )
        )
    ) == ["cud-3"]


def test_unknown_parameters_warn_or_fail_in_strict_mode(repo):
    bundle = run(repo, "ClinicalUseDefinition", [("colour", "blue"), ("type", "warning")])
    assert ids(bundle) == ["cud-3"]
    outcome = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"][0]["resource"]
    assert outcome["resourceType"] == "OperationOutcome" and "colour" in outcome["issue"][0]["diagnostics"]
    with pytest.raises(SearchError) as err:
        run(repo, "ClinicalUseDefinition", [("colour", "blue")], strict=True)
    assert as_fhir_error(err.value).status == 400


@pytest.mark.parametrize(
    "params",
    [
        [("date", "2024-13-01")],
        [("value-quantity", "lots")],
        [("code:exact", "x")],  # string modifier on a token
        [("subject.nonsense", "x")],
        [("_cursor", "forged")],
        [("_include", "Observation:nonsense")],
    ],
)
def test_malformed_values_are_400(repo, params):
    with pytest.raises(SearchError) as err:
        run(repo, "Observation", params)
    assert as_fhir_error(err.value).status == 400


def test_values_are_bound_parameters(repo):
    evil = "x' OR '1'='1"
    assert found(repo, "MedicinalProductDefinition", ("name", evil)) == []
    assert found(repo, "ClinicalUseDefinition", ("type", evil)) == []
    assert found(repo, "MedicinalProductDefinition", ("name:contains", "%")) == []


def test_index_follows_updates_and_deletes(database_url_factory):
    repo = new_repo(database_url_factory)
    try:
        load(repo, [{**MPD, "name": [{"productName": "Alpha"}]}])
        assert found(repo, "MedicinalProductDefinition", ("name", "alpha")) == ["mpd"]
        load(repo, [{**MPD, "name": [{"productName": "Beta"}]}])
        assert found(repo, "MedicinalProductDefinition", ("name", "alpha")) == []  # history is not indexed
        assert found(repo, "MedicinalProductDefinition", ("name", "beta")) == ["mpd"]
        with repo.unit_of_work() as uow:
            uow.delete("MedicinalProductDefinition", "mpd")
        assert found(repo, "MedicinalProductDefinition", ("name", "beta")) == []
        assert found(repo, "MedicinalProductDefinition", ("_id", "mpd")) == []
    finally:
        repo.dispose()


def test_match_for_conditional_interactions(repo):
    with repo.unit_of_work(write=False) as uow:
        matched = matches(uow, "ClinicalUseDefinition", [("type", "contraindication")], limit=5)
        assert sorted(m.id for m in matched) == ["cud-1", "cud-2"]
        with pytest.raises(SearchError):
            matches(uow, "ClinicalUseDefinition", [("colour", "blue")])


def test_token_in_and_not_in_a_locally_known_value_set(repo):
    cud = "ClinicalUseDefinition"
    types = "http://hl7.org/fhir/ValueSet/clinical-use-definition-type"
    assert found(repo, cud, ("type:in", types)) == ["cud-1", "cud-2", "cud-3"]
    assert found(repo, cud, ("type:not-in", types)) == []
    assert found(repo, "Observation", ("status:in", "http://hl7.org/fhir/ValueSet/observation-status")) == [
        "obs-1",
        "obs-2",
        "obs-3",
    ]
    assert found(repo, "Observation", ("code:in", "http://hl7.org/fhir/ValueSet/observation-status")) == []
    with pytest.raises(SearchError) as err:
        run(repo, cud, [("type:in", "http://example.org/ValueSet/unknown")])
    assert as_fhir_error(err.value).status == 400


def test_searchset_bundles_are_valid_r5(repo):
    from fhir_service.validation import has_errors, validate_resource

    bundle = run(
        repo,
        "MedicationKnowledge",
        [("_include", "*"), ("colour", "blue"), ("_total", "accurate"), ("_count", "1")],
    )
    assert not has_errors(validate_resource(bundle)), validate_resource(bundle)
    assert bundle["link"][0]["relation"] == "self"
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])  # bdl-7
    empty = run(repo, "MedicationKnowledge", [("_count", "0"), ("_total", "accurate")])
    assert empty["total"] == 1 and "entry" not in empty
    assert not has_errors(validate_resource(empty))


def test_common_parameters_do_not_leak_other_types(repo):
    # _source is defined on Resource: its index rows are shared by all types, so the type filter must stay
    assert found(repo, "ClinicalUseDefinition", ("_source:below", "http://feeds.example.org")) == []
    assert found(repo, "Observation", ("_source:below", "http://feeds.example.org")) == [
        "obs-1",
        "obs-2",
        "obs-3",
    ]


def test_reference_identifier_and_canonical_forms(database_url_factory):
    repo = new_repo(database_url_factory)
    try:
        load(
            repo,
            [
                {
                    "resourceType": "ClinicalUseDefinition",
                    "id": "by-identifier",
                    "type": "warning",
                    "subject": [
                        {"identifier": {"system": "urn:oid:2.16.840.1.113883.6.69", "value": "12345"}}
                    ],
                    "meta": {"profile": ["http://example.org/StructureDefinition/cud-profile|1.0"]},
                },
            ],
        )
        cud = "ClinicalUseDefinition"
        assert found(repo, cud, ("subject:identifier", "urn:oid:2.16.840.1.113883.6.69|12345")) == [
            "by-identifier"
        ]
        assert found(repo, cud, ("subject:identifier", "urn:oid:2.16.840.1.113883.6.69|99999")) == []
        assert found(repo, cud, ("_profile", "http://example.org/StructureDefinition/cud-profile")) == [
            "by-identifier"
        ]
        assert found(repo, cud, ("_profile", "http://example.org/StructureDefinition/cud-profile|1.0")) == [
            "by-identifier"
        ]
        assert found(repo, cud, ("_profile", "http://example.org/StructureDefinition/cud-profile|2.0")) == []
        summary = run(repo, cud, [("_summary", "text")])["entry"][0]["resource"]
        # R5 search.html#summary: text, id, meta and the top-level mandatory elements (CUD.type 1..1)
        assert set(summary) <= {"resourceType", "id", "meta", "text", "type"} and summary["type"] == "warning"
        data = run(repo, cud, [("_summary", "data")])["entry"][0]["resource"]
        assert "text" not in data and data["type"] == "warning"
    finally:
        repo.dispose()
