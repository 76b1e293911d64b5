"""Shared by the auth tests (a module name no other test folder uses; see tests/search/search_helpers.py)."""

from __future__ import annotations

import requests

TOKENS = {
    "admin": "system/*.cruds",
    "reader": "system/*.rs",
    "cud-writer": "system/ClinicalUseDefinition.cruds",  # reads and writes ClinicalUseDefinition only
    "mpd-reader": "system/MedicinalProductDefinition.rs",
    "group-creator": "user/Group.c user/Group.read",  # v2 create + v1 read
    "cud-creator": "system/ClinicalUseDefinition.c",  # create only: no conditional create (needs s)
}
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def product(rid: str) -> dict:
    return {"resourceType": "MedicinalProductDefinition", "id": rid, "name": [{"productName": rid}]}


def contraindication(rid: str, product_id: str) -> dict:
    return {
        "resourceType": "ClinicalUseDefinition",
        "id": rid,
        "type": "contraindication",
        "subject": [{"reference": f"MedicinalProductDefinition/{product_id}"}],
    }


def put(server, resource: dict, token: str = "admin") -> requests.Response:
    url = f"{server.base_url}/{resource['resourceType']}/{resource['id']}"
    return server.http.put(url, json=resource, headers={**FHIR_JSON, **bearer(token)})


def is_outcome(response: requests.Response) -> bool:
    return response.json().get("resourceType") == "OperationOutcome"
