"""The HTTP cases: what each one requests, built once from the ×1 data so the ×N run sends
exactly the same requests (the originals are part of the ×N corpus too)."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

from bench import databases
from bench.loadgen import Request
from fhir_service import versions

SEARCH_CASES = ("search-token", "search-chained", "search-include", "search-revinclude")
# The same requests as read and search-token, answered as XML (report.xml_ratios compares them).
XML_CASES = {"read-xml": "read", "search-xml": "search-token"}
# The same resources through the R4 base, converted on the way out (report.r4_ratios compares them).
R4_CASES = {"read-r4": "read", "search-r4": "search-token"}
# The searches on servers that keep no search pages (FHIR_SERVICE_KEPT_SEARCH_BYTES=0): what the
# search itself costs at ×1 and ×N (report.scale_ratios), which a kept page's answer no longer shows.
UNKEPT_CASES = {f"{case}-unkept": case for case in SEARCH_CASES}
HTTP_CASES = ("read", "vread", *SEARCH_CASES, "transaction", "validate", *XML_CASES, *R4_CASES, *UNKEPT_CASES)
FHIR_JSON = "application/fhir+json"
TOKEN_TYPES = ("indication", "contraindication", "interaction", "undesirable-effect", "warning")
ROTATION = 20  # distinct drugs the per-drug searches cycle through


def build(url: str) -> dict[str, Request]:
    mk = _load(databases.sample_contents(url, "MedicationKnowledge", 1))[0]
    mpds = _load(databases.sample_contents(url, "MedicinalProductDefinition", ROTATION))
    names = [quote(n["name"][0]["productName"]) for n in mpds if n.get("name")]
    first50 = [_strip_meta(r) for r in _load(databases.sample_contents(url, None, 50))]
    read_path = f"/fhir/MedicationKnowledge/{mk['id']}"
    requests = {
        "read": Request("GET", (read_path,)),
        "vread": Request("GET", (f"{read_path}/_history/1",)),
        # a single token parameter, first page of 10
        "search-token": Request(
            "GET", tuple(f"/fhir/ClinicalUseDefinition?type={t}&_count=10" for t in TOKEN_TYPES)
        ),
        # "contraindications etc. of drug X" through the product's name
        "search-chained": Request(
            "GET",
            tuple(
                f"/fhir/ClinicalUseDefinition?subject:MedicinalProductDefinition.name={n}&_count=10"
                for n in names
            ),
        ),
        # 10 issues and the products they are about
        "search-include": Request(
            "GET",
            tuple(
                f"/fhir/ClinicalUseDefinition?type={t}&_count=10&_include=ClinicalUseDefinition:subject"
                for t in TOKEN_TYPES
            ),
        ),
        # "everything about drug X in one call": the product, its clinical issues and administrable forms
        "search-revinclude": Request(
            "GET",
            tuple(
                f"/fhir/MedicinalProductDefinition?_id={m['id']}"
                "&_revinclude=ClinicalUseDefinition:subject&_revinclude=AdministrableProductDefinition:form-of"
                for m in mpds
            ),
        ),
        "transaction": Request("POST", ("/fhir",), _transaction(first50), FHIR_JSON),
        "validate": Request(
            "POST", ("/fhir/MedicationKnowledge/$validate",), json.dumps(_strip_meta(mk)).encode(), FHIR_JSON
        ),
    }
    for case, as_json in XML_CASES.items():
        paths = requests[as_json].paths
        requests[case] = Request("GET", tuple(p + ("&" if "?" in p else "?") + "_format=xml" for p in paths))
    for case, kept in UNKEPT_CASES.items():
        requests[case] = requests[kept]
    requests["read-r4"] = Request("GET", (f"/fhir/R4/MedicationKnowledge/{mk['id']}",))
    # search-token's pages, each type as R4 serves it (MedicinalProductIndication, …)
    requests["search-r4"] = Request(
        "GET",
        tuple(
            f"/fhir/R4/{versions.view_type('ClinicalUseDefinition', '4.0', {'resourceType': 'ClinicalUseDefinition', 'type': t})}?_count=10"
            for t in TOKEN_TYPES
        ),
    )
    return requests


def _transaction(resources: list[dict]) -> bytes:
    """PUT entries with the resources' own ids: posting it again and again changes nothing."""
    entries = [
        {
            "fullUrl": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, r['resourceType'] + '/' + r['id'])}",
            "resource": r,
            "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
        }
        for r in resources
    ]
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}).encode()


def _strip_meta(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if k != "meta"}


def _load(contents: list[bytes]) -> list[dict]:
    return [json.loads(c) for c in contents]
