"""read and vread: the stored bytes, 404 for unknown, 410 for deleted."""

from __future__ import annotations

from fhir_service.interactions.checks import check_id, check_type, etag
from fhir_service.interactions.errors import FhirError, bad_request, not_found
from fhir_service.interactions.ports import Repository
from fhir_service.interactions.result import Result


def read(repo: Repository, resource_type: str, resource_id: str) -> Result:
    check_type(resource_type)
    check_id(resource_id)
    stored = repo.read(resource_type, resource_id)
    if stored is None:
        raise not_found(f"{resource_type}/{resource_id} is not known")
    if stored.deleted:
        raise FhirError(410, f"{resource_type}/{resource_id} was deleted", "deleted", headers=_etag(stored))
    return Result(200, stored, stored)


def vread(repo: Repository, resource_type: str, resource_id: str, version: str) -> Result:
    check_type(resource_type)
    check_id(resource_id)
    if not (version.isascii() and version.isdigit()):  # "²".isdigit() is True, int("²") fails
        raise bad_request(f"Invalid version id '{version}'")
    in_range = len(version) <= 10 and int(version) < 2**31  # the column is 32-bit: PostgreSQL raises
    stored = repo.vread(resource_type, resource_id, int(version)) if in_range else None
    if stored is None:
        raise not_found(f"{resource_type}/{resource_id}/_history/{version} is not known")
    if stored.deleted:
        raise FhirError(410, f"Version {version} of {resource_type}/{resource_id} is a deletion", "deleted")
    return Result(200, stored, stored)


def _etag(stored) -> dict:
    return {"ETag": etag(stored.version_id)}
