"""R4 clients over real HTTP: fhirclient (R4 models, strict) through the version base /fhir/R4, and
fhirpy through /fhir with `Accept: application/fhir+json; fhirVersion=4.0`. Each reads the seed
MedicationKnowledge, follows its indications and contraindications, and pages through a search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from fhirclient import client as smart_client
from fhirclient.models.bundle import Bundle
from fhirclient.models.medicationknowledge import MedicationKnowledge
from fhirclient.models.medicinalproductcontraindication import MedicinalProductContraindication
from fhirclient.models.medicinalproductindication import MedicinalProductIndication
from fhirpy import SyncFHIRClient

SEED_BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "bundles" / "tolperisone.json"
MK_ID = "tolperisone-mk"
CLINICAL_USE_ISSUE = (
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationKnowledge.clinicalUseIssue"
)
R4_ACCEPT = "application/fhir+json; fhirVersion=4.0"


@pytest.fixture(scope="module")
def seeded(base_url) -> str:
    bundle = json.loads(SEED_BUNDLE.read_text(encoding="utf-8"))
    response = requests.post(base_url, json=bundle, headers={"Content-Type": "application/fhir+json"})
    assert response.status_code == 200, response.text
    return base_url


def issue_references(extensions) -> list[str]:
    return [e["valueReference"]["reference"] for e in extensions if e["url"] == CLINICAL_USE_ISSUE]


def test_fhirclient_strict_through_the_r4_base(seeded):
    smart = smart_client.FHIRClient(settings={"app_id": "fhir-service-r4", "api_base": seeded + "/R4/"})
    assert smart.server.capabilityStatement.fhirVersion == "4.0.1"  # parsed by the R4 models, strictly
    served = {r.type for r in smart.server.capabilityStatement.rest[0].resource}
    assert {"MedicationKnowledge", "MedicinalProductIndication", "MedicinalProductContraindication"} <= served

    mk = MedicationKnowledge.read(MK_ID, smart.server)  # strict: an R5 element would raise
    assert mk.id == MK_ID and mk.code.text
    references = issue_references(mk.as_json()["extension"])
    indications = [r for r in references if r.startswith("MedicinalProductIndication/")]
    contraindications = [r for r in references if r.startswith("MedicinalProductContraindication/")]
    assert indications and contraindications
    for ref in indications:
        indication = MedicinalProductIndication.read(ref.split("/")[1], smart.server)
        assert indication.subject and indication.subject[0].reference.startswith("MedicinalProduct/")
    for ref in contraindications:
        assert MedicinalProductContraindication.read(ref.split("/")[1], smart.server).id == ref.split("/")[1]

    search = MedicinalProductIndication.where(
        struct={"subject": indication.subject[0].reference, "_count": "4"}
    )
    pages = list(search.perform_iter(smart.server))
    assert len(pages) > 1 and all(isinstance(p, Bundle) for p in pages)
    found = [e.resource.id for p in pages for e in p.entry or [] if e.search.mode == "match"]
    assert sorted(found) == sorted(r.split("/")[1] for r in indications)
    for page in pages:
        for link in page.link:
            assert link.url.startswith(seeded + "/R4/MedicinalProductIndication")


def test_fhirpy_with_the_accept_parameter(seeded):
    client = SyncFHIRClient(seeded, extra_headers={"Accept": R4_ACCEPT})
    mk = client.reference("MedicationKnowledge", MK_ID).to_resource()
    assert "clinicalUseIssue" not in mk and "name" not in mk  # R5 elements: extensions in R4
    references = issue_references(mk["extension"])
    indications = [r for r in references if r.startswith("MedicinalProductIndication/")]
    contraindications = [r for r in references if r.startswith("MedicinalProductContraindication/")]
    assert indications and contraindications
    for ref in indications + contraindications:
        rtype, rid = ref.split("/")
        assert client.reference(rtype, rid).to_resource()["resourceType"] == rtype

    subject = client.reference(*indications[0].split("/")).to_resource()["subject"][0]["reference"]
    search = client.resources("MedicinalProductIndication").search(subject=subject).limit(4)
    found = [r["id"] for r in search.fetch_all()]  # follows the next links
    assert sorted(found) == sorted(r.split("/")[1] for r in indications)

    with_product = (
        client.resources("MedicinalProductIndication")
        .search(subject=subject)
        .include("MedicinalProductIndication", "subject")
    )
    bundle = with_product.limit(2).fetch_raw()
    assert any(e["resource"]["resourceType"] == "MedicinalProduct" for e in bundle["entry"])
    assert all(not link["url"].startswith(seeded + "/R4") for link in bundle["link"])
    assert all("/MedicinalProductIndication?" in link["url"] for link in bundle["link"])
