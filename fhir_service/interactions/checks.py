"""Checks every incoming resource passes before anything is stored: known type, URL agreement,
id syntax, and the R5 validator (errors → 422 with its OperationOutcome, nothing stored)."""

from __future__ import annotations

import re

from fhir_service.interactions.errors import FhirError, bad_request
from fhir_service.resource_types import RESOURCE_TYPES
from fhir_service.validation import has_errors, outcome, validate_resource

ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def check_type(resource_type: str, status: int = 404) -> None:
    """404 for a type in a URL (http.html: the resource type is not supported); 400 elsewhere."""
    if resource_type not in RESOURCE_TYPES:
        raise FhirError(status, f"Unknown resource type '{resource_type}'", "not-supported")


def check_id(resource_id: str) -> None:
    if not ID_PATTERN.fullmatch(resource_id or ""):
        raise bad_request(f"Invalid id '{resource_id}': ids match [A-Za-z0-9\\-\\.]{{1,64}}")


def check_resource(resource: dict, resource_type: str, resource_id: str | None = None) -> dict:
    """Raise FhirError unless `resource` may be stored as `resource_type` (with `resource_id`)."""
    actual = resource.get("resourceType")
    if actual != resource_type:
        raise bad_request(f"Resource type '{actual}' does not match the URL's type '{resource_type}'")
    if resource_id is not None:
        if "id" not in resource:
            raise bad_request(f"The resource has no id; the URL says '{resource_id}'", "required")
        if resource["id"] != resource_id:
            raise bad_request(f"Resource id '{resource['id']}' does not match the URL's id '{resource_id}'")
    elif "id" in resource and not isinstance(resource["id"], str):
        raise bad_request("Resource id must be a string")
    validate(resource)
    return resource


def check_document(resource: dict) -> None:
    """Refuse a body whose XML form showed problems its JSON form cannot carry (xml/reader.py), with
    the validator's outcome for the whole document: the steps after this work on copies."""
    if getattr(resource, "document_issues", 0):
        validate(resource)


def validate(resource: dict) -> list:
    issues = validate_resource(resource, write=True)
    if has_errors(issues):
        raise FhirError(422, outcome(issues), "processing")
    return issues


def etag(version_id: int) -> str:
    """The weak ETag of a version (R5 http.html#versioning): what etag_version reads back."""
    return f'W/"{version_id}"'


def etag_version(tag) -> str | None:
    """The version an ETag names: W/"3", "3" and 3 all mean version 3 (If-Match, If-None-Match, a
    Bundle entry's ifMatch). Anything else (W/"", W/"x", W/) stays the text, which matches no version."""
    if tag is None:
        return None
    tag = str(tag).strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.strip('"')


def etag_versions(tags) -> frozenset[str] | None:
    """The versions ("*": any) a comma list of ETags names (If-None-Match, a Bundle entry's
    ifNoneMatch), each read as etag_version reads one."""
    if tags is None:
        return None
    return frozenset(etag_version(tag) for tag in str(tags).split(","))
