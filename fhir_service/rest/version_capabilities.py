"""The CapabilityStatement of a version base (/fhir/R4, /fhir/R4B): that version's types that have a
stored home, with the search parameters that version defines for them which the R5 index answers
(the same code and type on the stored type), in that version's shape."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from fhir_service import __version__
from fhir_service.auth.config import AuthConfig
from fhir_service.auth.security import security as security_block
from fhir_service.resource_types import RESOURCE_TYPES
from fhir_service.rest import versioned
from fhir_service.rest.view_types import VIEW_TYPES

INTERACTIONS = [
    "read",
    "vread",
    "update",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
]
SYSTEM = [{"code": "transaction"}, {"code": "batch"}, {"code": "history-system"}, {"code": "search-system"}]
EXPORT = {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}


@lru_cache(maxsize=8)
def version_capability_statement(base_url: str, version: str, auth: AuthConfig | None = None) -> dict:
    """Built once per base URL, version and authorization setting; callers must not modify it."""
    rest: dict = {"mode": "server"}
    security = security_block(auth)
    if security:
        rest["security"] = security
    rest["resource"] = [entry for t in sorted(VIEW_TYPES[version]) if (entry := _resource(t, version))]
    rest["interaction"] = SYSTEM
    rest["operation"] = [EXPORT]
    full = versioned.full_version(version)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publisher": "fhir-service",
        "kind": "instance",
        "software": {"name": "fhir-service", "version": __version__},
        "implementation": {
            "description": f"FHIR {full} view of the FHIR R5 medication knowledge service",
            "url": base_url,
        },
        "fhirVersion": full,
        "format": ["json", "application/fhir+json"],
        "rest": [rest],
    }


def _resource(view: str, version: str) -> dict | None:
    try:
        r5, _ = versioned.stored_type(view, version)
    except Exception:  # no stored home: the type is not served
        return None
    if r5 not in RESOURCE_TYPES:
        return None
    entry: dict = {
        "type": view,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{view}",
        "interaction": [{"code": code} for code in INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
    }
    params = answered_params(view, r5, version)
    includes = [f"{view}:{p['name']}" for p in params if p["type"] == "reference"]
    if includes:
        entry["searchInclude"] = ["*", *includes]
    if params:
        entry["searchParam"] = params
    return entry


def answered_params(view: str, r5: str, version: str) -> list[dict]:
    """The parameters `version` defines for `view` that the stored type's index answers."""
    from fhir_service.search.query.compile import supported
    from fhir_service.search.registry import registry

    reg = registry()
    indexed = {(p.code, p.type) for p in reg.params_for(r5) if supported(p, reg)}
    found, seen = [], set()
    defined = versioned.version_search_params(version)
    for p in [*defined.get("Resource", []), *defined.get("DomainResource", []), *defined.get(view, [])]:
        key = (p["code"], p["type"])
        if key in indexed and key not in seen:
            seen.add(key)
            found.append({"name": p["code"], "definition": p["url"], "type": p["type"]})
    return found
