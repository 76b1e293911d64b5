"""What a handler returns: the HTTP status, the body and the version the headers describe."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

from fhir_service.stored import StoredResource


@dataclass
class Result:
    status: int
    body: dict | StoredResource | None = None  # a resource dict, or stored JSON served as-is (a
    # StoredResource, or a stored.SplicedSearchset)
    stored: StoredResource | None = None  # the version ETag / Last-Modified / Location describe
    headers: dict[str, str] = field(default_factory=dict)
    location: bool = False  # send Location (create, create-on-update)
    outcome: dict | None = None  # what Prefer: return=OperationOutcome gets


def status_line(status: int) -> str:
    """'201 Created': the response.status form R5 shows."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
