"""update (PUT /Type/id, also create-on-update) and conditional update (PUT /Type?criteria)."""

from __future__ import annotations

from fhir_service.interactions.checks import check_id, check_resource, check_type
from fhir_service.interactions.conditional import criteria, update_match
from fhir_service.interactions.ports import Access, Repository
from fhir_service.interactions.result import Result


def update(
    repo: Repository,
    resource_type: str,
    resource_id: str,
    resource: dict,
    if_match: str | None = None,
    if_none_match: frozenset[str] | None = None,
) -> Result:
    """`if_none_match`: If-None-Match's versions ("*": any), which the current one must not be (412)."""
    check_type(resource_type)
    check_id(resource_id)
    check_resource(resource, resource_type, resource_id)
    with repo.unit_of_work() as uow:
        stored, created = uow.update(resource, if_match=if_match, if_none_match=if_none_match)
    return Result(201 if created else 200, stored, stored, location=created)


def conditional_update(
    repo: Repository,
    resource_type: str,
    query: str,
    resource: dict,
    if_match: str | None = None,
    if_none_match: frozenset[str] | None = None,
    *,
    access: Access | None,
) -> Result:
    check_type(resource_type)
    params = criteria(query)
    resource_id = resource.get("id")
    if resource_id is not None:
        check_id(resource_id)
    check_resource(resource, resource_type, resource_id)
    with repo.unit_of_work() as uow:
        uow.serialize_on(f"match:{resource_type}?{sorted(params)}")
        match = update_match(uow, resource_type, params, resource_id, access)
        if match is None and resource_id is None:
            stored = uow.create(resource, method="PUT")
            return Result(201, stored, stored, location=True)
        resource = {**resource, "id": resource_id or match.id}
        stored, created = uow.update(resource, if_match=if_match, if_none_match=if_none_match)
    return Result(201 if created else 200, stored, stored, location=created)
