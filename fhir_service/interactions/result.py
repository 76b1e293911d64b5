"""What a handler returns: the HTTP status, the body and the version the headers describe."""

from __future__ import annotations

from dataclasses import dataclass, field

from fhir_service.store.repository import StoredResource


@dataclass
class Result:
    status: int
    body: dict | StoredResource | None = None  # a resource dict, or stored JSON served as-is (a
    # StoredResource, or a search.engine.SplicedSearchset)
    stored: StoredResource | None = None  # the version ETag / Last-Modified / Location describe
    headers: dict[str, str] = field(default_factory=dict)
    location: bool = False  # send Location (create, create-on-update)
    outcome: dict | None = None  # what Prefer: return=OperationOutcome gets
