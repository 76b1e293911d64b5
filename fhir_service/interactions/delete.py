"""delete (DELETE /Type/id) and conditional delete (DELETE /Type?criteria, single match)."""

from __future__ import annotations

from fhir_service.interactions.checks import check_id, check_type
from fhir_service.interactions.conditional import criteria, single_match
from fhir_service.interactions.errors import outcome
from fhir_service.interactions.ports import Access, Repository
from fhir_service.interactions.result import Result


def delete(repo: Repository, resource_type: str, resource_id: str, if_match: str | None = None) -> Result:
    check_type(resource_type)
    check_id(resource_id)
    with repo.unit_of_work() as uow:
        stored = uow.delete(resource_type, resource_id, if_match=if_match)
    if stored is None:
        # R5 (http.html#delete) and HAPI: deleting what does not exist succeeds; delete is idempotent.
        return Result(
            204,
            outcome=outcome(
                f"{resource_type}/{resource_id} does not exist; nothing deleted", "not-found", "warning"
            ),
        )
    return _deleted(stored)


def conditional_delete(repo: Repository, resource_type: str, query: str, *, access: Access | None) -> Result:
    check_type(resource_type)
    params = criteria(query)
    with repo.unit_of_work() as uow:
        match = single_match(uow, resource_type, params, access)
        if match is None:
            return nothing_matched()
        stored = uow.delete(resource_type, match.id)
    return _deleted(stored)


def nothing_matched() -> Result:
    return Result(204, outcome=outcome("No resource matched; nothing deleted", "not-found", "warning"))


def _deleted(stored) -> Result:
    message = f"Deleted {stored.type}/{stored.id} (version {stored.version_id})"
    return Result(204, stored=stored, outcome=outcome(message, "informational", "information"))
