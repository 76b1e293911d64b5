"""The EHR questions of the search issue, asked over real HTTP with fhirpy, on the seed monograph's
converted resources (plus the small conformance resources)."""

from __future__ import annotations

import threading

import pytest
import requests
from fhirpy import SyncFHIRClient

SCT = "http://snomed.info/sct"


@pytest.fixture(scope="module")
def client(server):
    return SyncFHIRClient(server[0])


def _ids(resources):
    return sorted(r["id"] for r in resources)


def test_contraindications_of_tolperisone_by_product_name_chain(client):
    found = (
        client.resources("ClinicalUseDefinition")
        .search(type="contraindication", **{"subject:MedicinalProductDefinition.name": "tolperisone"})
        .fetch_all()
    )
    assert found and all(r["type"] == "contraindication" for r in found)
    assert all(r["subject"][0]["reference"] == "MedicinalProductDefinition/tolperisone-mpd" for r in found)
    texts = " ".join(str(r["contraindication"]) for r in found).lower()
    assert "myasthenia gravis" in texts


def test_drugs_with_an_indication_coded_spasticity(client):
    # by the coded indication on the MedicationKnowledge (custom parameter), and through the CUD chain
    direct = client.resources("MedicationKnowledge").search(indication=f"{SCT}|221360009").fetch_all()
    chained = (
        client.resources("MedicationKnowledge")
        .search(**{"indication-reference:ClinicalUseDefinition.indication": f"{SCT}|221360009"})
        .fetch_all()
    )
    # the seed's "Post-stroke spasticity" carries the broader confirmed code (mappings/README.md)
    assert "tolperisone-mk" in _ids(chained) and "conf-mk" in _ids(chained)
    assert "conf-mk" in _ids(direct)
    indicated = client.resources("ClinicalUseDefinition").search(indication=f"{SCT}|221360009").fetch_all()
    assert {c["subject"][0]["reference"] for c in indicated} >= {"MedicinalProductDefinition/tolperisone-mpd"}
    cuds = client.resources("ClinicalUseDefinition").search(indication=f"{SCT}|24700007").fetch_all()
    assert [c["subject"][0]["reference"] for c in cuds] == ["MedicinalProductDefinition/tolperisone-mpd"]


def test_common_undesirable_effects_of_a_product(client):
    found = (
        client.resources("ClinicalUseDefinition")
        .search(
            type="undesirable-effect",
            product="MedicinalProductDefinition/tolperisone-mpd",
            **{"effect-frequency": "http://hl7.org/fhir/undesirable-effect-frequency|Common"},
        )
        .fetch_all()
    )
    assert len(found) >= 12
    assert all(
        r["undesirableEffect"]["frequencyOfOccurrence"]["coding"][0]["code"] == "Common" for r in found
    )


def test_products_given_intravenously(client):
    apds = client.resources("AdministrableProductDefinition").search(route=f"{SCT}|47625008").fetch_all()
    assert "tolperisone-apd" in " ".join(_ids(apds)) and "conf-apd" in _ids(apds)
    mks = client.resources("MedicationKnowledge").search(**{"intended-route": f"{SCT}|47625008"}).fetch_all()
    assert _ids(mks) == ["conf-mk", "tolperisone-mk"]


def test_everything_about_a_drug_in_one_call(server):
    base, _ = server
    bundle = requests.get(
        f"{base}/MedicationKnowledge",
        params=[
            ("code:text", "tolperisone"),
            ("_include", "MedicationKnowledge:clinical-use-issue"),
            ("_include", "MedicationKnowledge:definition"),
            ("_revinclude:iterate", "AdministrableProductDefinition:form-of"),
        ],
        headers={"Accept": "application/fhir+json"},
        timeout=30,
    ).json()
    modes = {}
    for entry in bundle["entry"]:
        modes.setdefault(entry["search"]["mode"], []).append(entry["resource"]["resourceType"])
    assert modes["match"] == ["MedicationKnowledge"]
    assert modes["include"].count("ClinicalUseDefinition") >= 30
    assert modes["include"].count("AdministrableProductDefinition") >= 2
    assert "MedicinalProductDefinition" in modes["include"]
    assert bundle["link"][0]["relation"] == "self" and "total" not in bundle


def test_reverse_chaining(client):
    found = (
        client.resources("MedicinalProductDefinition")
        .search(**{"_has:ClinicalUseDefinition:subject:contraindication": f"{SCT}|91637004"})
        .fetch_all()
    )
    assert "tolperisone-mpd" in _ids(found)


def test_last_updated_ranges(client):
    assert (
        len(client.resources("ClinicalUseDefinition").search(_lastUpdated="ge2020-01-01").limit(1000).fetch())
        >= 37
    )
    assert client.resources("ClinicalUseDefinition").search(_lastUpdated="lt2020-01-01").fetch_all() == []


def test_post_search_and_system_search(server):
    base, _ = server
    posted = requests.post(
        f"{base}/AdministrableProductDefinition/_search",
        data={"route": f"{SCT}|78421000"},
        headers={"Accept": "application/fhir+json"},
        timeout=30,
    ).json()
    assert posted["type"] == "searchset" and len(posted["entry"]) >= 1
    system = requests.get(
        base,
        params={
            "_type": "MedicinalProductDefinition,MedicationKnowledge",
            "_id": "tolperisone-mk,tolperisone-mpd",
        },
        timeout=30,
    ).json()
    assert sorted(e["resource"]["id"] for e in system["entry"]) == ["tolperisone-mk", "tolperisone-mpd"]


def test_malformed_value_is_a_400_operation_outcome(server):
    base, _ = server
    response = requests.get(f"{base}/ClinicalUseDefinition", params={"_lastUpdated": "gt2024-99"}, timeout=30)
    assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"


def test_sort_descending_paging_to_the_last_page_while_resources_are_added(server, client):
    base, repo = server
    before = {r["id"] for r in client.resources("ClinicalUseDefinition").limit(1000).fetch()}
    stop = threading.Event()

    def writer():
        n = 0
        while not stop.is_set() and n < 200:
            client.resource(
                "ClinicalUseDefinition",
                id=f"added-{n}",
                type="warning",
                subject=[{"reference": "MedicinalProductDefinition/tolperisone-mpd"}],
            ).save()
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen, pages = [], 0
        url = f"{base}/ClinicalUseDefinition?_sort=-_lastUpdated&_count=7"
        while url:
            bundle = requests.get(url, timeout=30).json()
            seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
            url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
            pages += 1
    finally:
        stop.set()
        thread.join()
    assert pages > 5
    assert len(seen) == len(set(seen))  # keyset paging never repeats a row
    assert before <= set(seen)  # nor skips one that was there when paging began


def test_unknown_parameter_warns_by_default_and_fails_with_prefer_strict(server):
    base, _ = server
    lenient = requests.get(
        f"{base}/ClinicalUseDefinition", params={"colour": "blue", "_count": "1"}, timeout=30
    )
    assert lenient.status_code == 200
    outcome = [e for e in lenient.json()["entry"] if e["search"]["mode"] == "outcome"]
    assert outcome[0]["resource"]["issue"][0]["severity"] == "warning"
    strict = requests.get(
        f"{base}/ClinicalUseDefinition",
        params={"colour": "blue"},
        headers={"Prefer": "handling=strict"},
        timeout=30,
    )
    assert strict.status_code == 400 and strict.json()["resourceType"] == "OperationOutcome"


def test_capability_statement_lists_official_and_custom_parameters(server):
    base, _ = server
    statement = requests.get(
        f"{base}/metadata", headers={"Accept": "application/fhir+json"}, timeout=30
    ).json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    mk = {p["name"]: p for p in resources["MedicationKnowledge"]["searchParam"]}
    assert mk["code"]["definition"] == "http://hl7.org/fhir/SearchParameter/MedicationKnowledge-code"
    assert mk["clinical-use-issue"]["type"] == "reference"
    assert mk["clinical-use-issue"]["definition"].endswith(
        "/SearchParameter/MedicationKnowledge-clinical-use-issue"
    )
