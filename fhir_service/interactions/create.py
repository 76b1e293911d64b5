"""create (POST /Type), with conditional create (If-None-Exist)."""

from __future__ import annotations

from fhir_service.interactions.checks import check_resource, check_type
from fhir_service.interactions.conditional import criteria, single_match
from fhir_service.interactions.ports import Access, Repository
from fhir_service.interactions.result import Result


def create(
    repo: Repository,
    resource_type: str,
    resource: dict,
    if_none_exist: str | None = None,
    *,
    access: Access | None,
) -> Result:
    check_type(resource_type)
    resource = {k: v for k, v in resource.items() if k != "id"}  # the server assigns the id
    check_resource(resource, resource_type)
    params = criteria(if_none_exist) if if_none_exist is not None else None
    with repo.unit_of_work() as uow:
        if params is not None:
            uow.serialize_on(f"match:{resource_type}?{sorted(params)}")  # no duplicate from a race
            existing = single_match(uow, resource_type, params, access)
            if existing is not None:
                return Result(200, existing, existing)
        stored = uow.create(resource)
    return Result(201, stored, stored, location=True)
