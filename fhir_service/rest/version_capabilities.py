"""The CapabilityStatement of a version base (/fhir/R4, /fhir/R4B): that version's types that have a
stored home, with the search parameters that version defines for them which the R5 index answers
(the same code and type on the stored type), in that version's shape."""

from __future__ import annotations

from functools import lru_cache

from fhir_service.auth.config import AuthConfig
from fhir_service.auth.security import security as security_block
from fhir_service.interactions.capabilities import (
    SYSTEM_INTERACTIONS,
    TYPE_INTERACTIONS,
    Operation,
    resource_entry,
    statement,
)
from fhir_service.resource_types import RESOURCE_TYPES
from fhir_service.rest import versioned

INTERACTIONS = [code for code in TYPE_INTERACTIONS if code != "patch"]  # versioned.refuse_patch


@lru_cache(maxsize=8)
def version_capability_statement(
    base_url: str, version: str, auth: AuthConfig | None = None, operations: tuple[Operation, ...] = ()
) -> dict:
    """Built once per base URL, version, authorization setting and set of operations (those the REST
    layer serves); callers must not modify it."""
    rest: dict = {"mode": "server"}
    security = security_block(auth)
    if security:
        rest["security"] = security
    rest["resource"] = [
        entry for t in sorted(versioned.types_of(version)) if (entry := _resource(t, version))
    ]
    rest["interaction"] = SYSTEM_INTERACTIONS
    rest["operation"] = [op.entry() for op in operations]
    full = versioned.full_version(version)
    description = f"FHIR {full} view of the FHIR R5 medication knowledge service"
    return statement(base_url, full, description, rest, format=["json", "application/fhir+json"])


def _resource(view: str, version: str) -> dict | None:
    try:
        r5, _ = versioned.stored_type(view, version)
    except Exception:  # no stored home: the type is not served
        return None
    if r5 not in RESOURCE_TYPES:
        return None
    entry = resource_entry(view, INTERACTIONS)
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
