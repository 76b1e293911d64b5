"""The CapabilityStatement, generated from what is implemented: every R5 resource type with the
interactions the handlers support, the search parameters of the search registry, $validate and
transaction/batch, and the operations the REST layer says it serves (`operations`)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

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
SYSTEM_INTERACTIONS = [
    {"code": "transaction"},
    {"code": "batch"},
    {"code": "history-system"},
    {"code": "search-system"},
]
FORMATS = ["json", "xml", "application/fhir+json", "application/fhir+xml"]
PATCH_FORMATS = ["application/json-patch+json", "application/fhir+json", "application/fhir+xml"]


class Operation(NamedTuple):
    """A system-level operation (rest.operation): hashable, so statements stay cached per set."""

    name: str
    definition: str

    def entry(self) -> dict:
        return {"name": self.name, "definition": self.definition}


VALIDATE = Operation("validate", "http://hl7.org/fhir/OperationDefinition/Resource-validate")


def capability_statement(
    base_url: str, security: dict | None = None, operations: tuple[Operation, ...] = ()
) -> dict:
    """`security`: the rest.security block, what the REST layer enforces (auth/security.py);
    `operations`: the system operations the REST layer serves besides $validate. Callers must not
    modify the statement (it is shared between requests)."""
    statement = _statement(base_url, operations)
    if security is None:
        return statement
    rest = statement["rest"][0]
    with_security = {
        "mode": rest["mode"],
        "security": security,
        **{k: v for k, v in rest.items() if k != "mode"},
    }
    return {**statement, "rest": [with_security]}


def statement(base_url: str, fhir_version: str, description: str, rest: dict, **more) -> dict:
    """A CapabilityStatement of this software (any FHIR version's shape) around its `rest` block."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publisher": "fhir-service",
        "kind": "instance",
        "software": {"name": "fhir-service", "version": __version__},
        "implementation": {"description": description, "url": base_url},
        "fhirVersion": fhir_version,
        **more,
        "rest": [rest],
    }


def resource_entry(resource_type: str, interactions: list[str]) -> dict:
    """rest.resource's head for a type: profile, interactions, versioning."""
    return {
        "type": resource_type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
        "interaction": [{"code": code} for code in interactions],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
    }


@lru_cache(maxsize=8)
def _statement(base_url: str, operations: tuple[Operation, ...]) -> dict:
    """Built once per base URL and set of operations."""
    rest: dict = {"mode": "server"}
    rest["resource"] = [_resource(t) for t in sorted(RESOURCE_TYPES)]
    rest["interaction"] = SYSTEM_INTERACTIONS
    system_params = _system_search_params()
    if system_params:
        rest["searchParam"] = system_params
    rest["operation"] = [VALIDATE.entry(), *(op.entry() for op in operations)]
    return statement(
        base_url,
        FHIR_VERSION,
        "FHIR R5 medication knowledge service",
        rest,
        format=FORMATS,
        patchFormat=PATCH_FORMATS,
    )


def _resource(resource_type: str) -> dict:
    entry = {
        **resource_entry(resource_type, TYPE_INTERACTIONS),
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
    entry["operation"] = [VALIDATE.entry()]
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
