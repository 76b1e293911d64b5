"""The CapabilityStatement, generated from what is implemented: every R5 resource type with the
interactions the handlers support, the search parameters of the search registry, $validate, and
transaction/batch once their handler exists."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from functools import lru_cache

from fhir_service import FHIR_VERSION, __version__
from fhir_service.resource_types import RESOURCE_TYPES

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


def capability_statement(base_url: str, security: dict | None = None) -> dict:
    """`security`: the rest.security block, what the REST layer enforces (auth/security.py). Callers
    must not modify the statement (it is shared between requests)."""
    statement = _statement(base_url)
    if security is None:
        return statement
    rest = statement["rest"][0]
    with_security = {
        "mode": rest["mode"],
        "security": security,
        **{k: v for k, v in rest.items() if k != "mode"},
    }
    return {**statement, "rest": [with_security]}


@lru_cache(maxsize=8)
def _statement(base_url: str) -> dict:
    """Built once per base URL."""
    system = [{"code": "history-system"}, {"code": "search-system"}]
    if _module_exists("fhir_service.interactions.transaction"):
        system = [{"code": "transaction"}, {"code": "batch"}, *system]
    operations = [VALIDATE]
    if _module_exists("fhir_service.rest.bulk"):
        operations.append(
            {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}
        )
    rest: dict = {"mode": "server"}
    rest["resource"] = [_resource(t) for t in sorted(RESOURCE_TYPES)]
    rest["interaction"] = system
    system_params = _system_search_params()
    if system_params:
        rest["searchParam"] = system_params
    rest["operation"] = operations
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
        "rest": [rest],
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
        "conditionalDelete": "single",  # conditionalPatch (R5) left out: R4 client models refuse the element
    }
    includes, revincludes = _includes()
    if resource_type in includes:
        entry["searchInclude"] = ["*", *includes[resource_type]]
    if resource_type in revincludes:
        entry["searchRevInclude"] = ["*", *revincludes[resource_type]]
    params = _search_params(resource_type)
    if params:
        entry["searchParam"] = params
    entry["operation"] = [VALIDATE]
    return entry


def _search_params(resource_type: str) -> list[dict]:
    """The parameters a search on the type implements: none it would ignore or refuse."""
    from fhir_service.search.query.compile import supported
    from fhir_service.search.registry import registry

    reg = registry()
    return [_param(p) for p in reg.params_for(resource_type) if supported(p, reg)]


def _system_search_params() -> list[dict]:
    """rest.searchParam: what a search of every type (`GET [base]?…`) implements."""
    from fhir_service.search.query.compile import supported
    from fhir_service.search.registry import registry

    reg = registry()
    return [_param(p) for p in reg.common_params() if supported(p, reg)]


def _param(p) -> dict:
    return {"name": p.code, "definition": p.url, "type": p.type}


@lru_cache(maxsize=1)
def _includes() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(type → its `_include` values, type → the `_revinclude` values that reach it): every
    reference parameter of a type, `Source:param`, by the types it may refer to."""
    from fhir_service.search.query.compile import supported
    from fhir_service.search.registry import registry

    reg = registry()
    includes: dict[str, list[str]] = {}
    revincludes: dict[str, set[str]] = {}
    for source in reg.resource_types():
        for p in reg.params_for(source):
            if p.type != "reference" or p.code.startswith("_") or not supported(p, reg):
                continue
            includes.setdefault(source, []).append(f"{source}:{p.code}")
            for target in p.target:
                revincludes.setdefault(target, set()).add(f"{source}:{p.code}")
    return includes, {t: sorted(values) for t, values in revincludes.items()}


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
