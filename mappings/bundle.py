"""Bundles of converted resources.

Transaction: fullUrl `urn:uuid:<uuid5(Type/id)>`, request PUT Type/id, so re-loading the same
monograph overwrites rather than duplicates; references inside the resources stay relative
(`Type/id`), which every server resolves against its own base. Collection: fullUrl is the
resource's RESTful URL under BASE so relative references resolve inside the Bundle.
"""

from __future__ import annotations

from .ids import full_url_uuid

BASE = "https://fhir-service.example/fhir"


def transaction_bundle(resources: list[dict], style: str = "put", bundle_id: str | None = None) -> dict:
    if style != "put":
        raise ValueError(f"unsupported transaction style {style!r}: only 'put' (idempotent re-load)")
    bundle: dict = {"resourceType": "Bundle"}
    if bundle_id:
        bundle["id"] = bundle_id
    bundle["type"] = "transaction"
    bundle["entry"] = [
        {
            "fullUrl": full_url_uuid(r["resourceType"], r["id"]),
            "resource": r,
            "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
        }
        for r in resources
    ]
    return bundle


def collection_bundle(resources: list[dict], bundle_id: str | None = None) -> dict:
    bundle: dict = {"resourceType": "Bundle"}
    if bundle_id:
        bundle["id"] = bundle_id
    bundle["type"] = "collection"
    bundle["entry"] = [{"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    return bundle


def make_bundle(resources: list[dict], style: str = "transaction", bundle_id: str | None = None) -> dict:
    if style == "transaction":
        return transaction_bundle(resources, bundle_id=bundle_id)
    if style == "collection":
        return collection_bundle(resources, bundle_id)
    raise ValueError(f"unknown bundle style {style!r} (transaction | collection)")
