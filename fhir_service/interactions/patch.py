"""patch (PATCH /Type/id, conditional PATCH /Type?criteria): JSON Patch (RFC 6902) or FHIRPath Patch (a Parameters resource).

The current version is read under the write lock, patched, re-checked like any incoming resource
and stored as the next version, all in one transaction.
"""

from __future__ import annotations

import jsonpatch

from fhir_service.interactions import fhirpath_patch
from fhir_service.interactions.checks import check_id, check_resource, check_type
from fhir_service.interactions.conditional import criteria, single_match
from fhir_service.interactions.errors import FhirError, not_found
from fhir_service.interactions.ports import Access, Repository, UnitOfWork
from fhir_service.interactions.result import Result
from fhir_service.limits import apply_json_patch, check_patch
from fhir_service.store.errors import PreconditionFailed


def patch(
    repo: Repository, resource_type: str, resource_id: str, body, kind: str, if_match: str | None = None
) -> Result:
    """`kind` is "json-patch" (body: list of operations) or "fhirpath" (body: Parameters dict)."""
    check_type(resource_type)
    check_id(resource_id)
    with repo.unit_of_work() as uow:
        return _patch(uow, resource_type, resource_id, body, kind, if_match)


def conditional_patch(
    repo: Repository,
    resource_type: str,
    query: str,
    body,
    kind: str,
    if_match: str | None = None,
    *,
    access: Access | None,
):
    """PATCH /Type?criteria (R5 http.html#patch): the one match is patched; none → 404, several → 412."""
    check_type(resource_type)
    params = criteria(query)
    with repo.unit_of_work() as uow:
        match = single_match(uow, resource_type, params, access)
        if match is None:
            raise not_found(f"No {resource_type} matches the criteria; nothing patched")
        return _patch(uow, resource_type, match.id, body, kind, if_match)


def _patch(
    uow: UnitOfWork, resource_type: str, resource_id: str, body, kind: str, if_match: str | None
) -> Result:
    current = uow.read(resource_type, resource_id, for_update=True)
    if current is None or current.deleted:
        if if_match is not None:
            raise PreconditionFailed(f"If-Match {if_match}: {resource_type}/{resource_id} does not exist")
        raise not_found(f"{resource_type}/{resource_id} is not known")
    patched = apply_patch(current.resource(), body, kind)
    check_resource(patched, resource_type, resource_id)
    stored, _ = uow.update(patched, if_match=if_match or str(current.version_id), method="PATCH")
    return Result(200, stored, stored)


def apply_patch(resource: dict, body, kind: str) -> dict:
    check_patch(body, kind)  # limits.py: operation count, FHIRPath length
    if kind == "fhirpath":
        return fhirpath_patch.apply(resource, body)
    if not isinstance(body, list):
        raise FhirError(400, "A JSON Patch body is a JSON array of operations", "structure")
    try:
        return apply_json_patch(resource, body)  # limits.py: jsonpatch.apply_patch with a copy budget
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError) as exc:
        raise FhirError(422, f"JSON Patch failed: {exc}", "processing") from exc
