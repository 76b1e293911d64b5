"""$validate at type and instance level: an OperationOutcome from the R5 validator, always 200 when
the validation could run (the verdict is in the issues), 4xx only when it could not."""

from __future__ import annotations

from fhir_service.interactions.checks import check_id, check_type
from fhir_service.interactions.errors import bad_request, not_found, outcome
from fhir_service.interactions.ports import Repository
from fhir_service.interactions.result import Result
from fhir_service.validation import outcome as validation_outcome
from fhir_service.validation import validate_resource

MODES = {"create", "update", "delete", "profile", None}


def validate(
    repo: Repository, resource_type: str, body: dict | None, resource_id: str | None = None, mode=None
) -> Result:
    check_type(resource_type)
    resource, mode = _unwrap_parameters(body, mode)
    if mode not in MODES:
        raise bad_request(f"Unknown $validate mode '{mode}'")
    if resource_id is not None:
        check_id(resource_id)
        if resource is None or mode == "delete":
            with repo.unit_of_work(write=False) as uow:
                stored = uow.read(resource_type, resource_id)
            if stored is None or stored.deleted:
                raise not_found(f"{resource_type}/{resource_id} is not known")
            if mode == "delete":
                return Result(200, outcome("The resource may be deleted", "informational", "information"))
            resource = stored.resource()
    if resource is None:
        raise bad_request("$validate needs a resource in the body")
    if resource.get("resourceType") != resource_type:
        raise bad_request(
            f"Resource type '{resource.get('resourceType')}' does not match the URL's type '{resource_type}'"
        )
    if resource_id is not None and mode == "update" and resource.get("id") != resource_id:
        raise bad_request(f"Resource id '{resource.get('id')}' does not match the URL's id '{resource_id}'")
    return Result(200, validation_outcome(validate_resource(resource)))


def _unwrap_parameters(body: dict | None, mode):
    """The body is the resource itself or Parameters{resource, mode, profile}."""
    if body is None or body.get("resourceType") != "Parameters":
        return body, mode
    resource = None
    for parameter in body.get("parameter", []):
        if parameter.get("name") == "resource":
            resource = parameter.get("resource")
        elif parameter.get("name") == "mode":
            mode = parameter.get("valueCode", parameter.get("valueString"))
    return resource, mode
