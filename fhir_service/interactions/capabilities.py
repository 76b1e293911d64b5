"""The CapabilityStatement, generated from what is implemented: every R5 resource type with the
interactions the handlers support, the search parameters of the search registry, $validate, and
transaction/batch once their handler exists."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from functools import lru_cache

from fhir_service import FHIR_VERSION, __version__
from fhir_service.interactions.resource_types import RESOURCE_TYPES

TYPE_INTERACTIONS = [
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
]
VALIDATE = {"name": "validate", "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"}
FORMATS = ["json", "xml", "application/fhir+json", "application/fhir+xml"]
PATCH_FORMATS = ["application/json-patch+json", "application/fhir+json", "application/fhir+xml"]


@lru_cache(maxsize=8)
def capability_statement(base_url: str) -> dict:
    """Built once per base URL; callers must not modify it."""
    system = [{"code": "history-system"}, {"code": "search-system"}]
    if _module_exists("fhir_service.interactions.transaction"):
        system = [{"code": "transaction"}, {"code": "batch"}, *system]
    operations = [VALIDATE]
    if _module_exists("fhir_service.rest.bulk"):
        operations.append(
            {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}
        )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publisher": "fhir-service",
        "kind": "instance",
        "software": {"name": "fhir-service", "version": __version__},
        "implementation": {"description": "FHIR R5 medication knowledge service", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": FORMATS,
        "patchFormat": PATCH_FORMATS,
        "rest": [
            {
                "mode": "server",
                "resource": [_resource(t) for t in sorted(RESOURCE_TYPES)],
                "interaction": system,
                "operation": operations,
            }
        ],
    }


def _resource(resource_type: str) -> dict:
    entry = {
        "type": resource_type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
        "interaction": [{"code": code} for code in TYPE_INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "full-support",
        "conditionalUpdate": True,
        "conditionalDelete": "single",
    }
    params = _search_params(resource_type)
    if params:
        entry["searchParam"] = params
    entry["operation"] = [VALIDATE]
    return entry


def _search_params(resource_type: str) -> list[dict]:
    try:
        from fhir_service.search.registry import registry
    except ImportError:
        return []
    out = []
    for p in registry().params_for(resource_type):
        out.append({"name": p.code, "definition": p.url, "type": p.type})
    return out


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
