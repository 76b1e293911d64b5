"""What a write checks against the current version before it stores a new one, whichever store keeps
the versions (a row, or a StoredResource): a free id, If-Match, If-None-Match, whether anything changed."""

from __future__ import annotations

from typing import Protocol

from fhir_service import jsontext
from fhir_service.store.errors import Conflict, PreconditionFailed
from fhir_service.store.sync import canonical


class Current(Protocol):
    version_id: int
    deleted: bool
    content: bytes | None


def check_free(rtype: str, rid: str, current: Current | None) -> None:
    """A create may take an id nobody has, or one whose resource was deleted."""
    if current is not None and not current.deleted:
        raise Conflict(f"{rtype}/{rid} already exists")


def check_if_match(rtype: str, rid: str, current: Current | None, if_match: str | None) -> None:
    """`if_match`: the version the current one must be; "*": any (HTTP: a current one exists)."""
    if if_match is None:
        return
    if current is None or current.deleted:
        raise PreconditionFailed(f"If-Match {if_match}: {rtype}/{rid} does not exist")
    if if_match != "*" and str(current.version_id) != str(if_match):
        raise PreconditionFailed(
            f"If-Match version {if_match} is not the current version {current.version_id} of {rtype}/{rid}"
        )


def check_if_none_match(
    rtype: str, rid: str, current: Current | None, if_none_match: frozenset[str] | None
) -> None:
    """`if_none_match`: versions ("*": any) the current one must not be (HTTP If-None-Match)."""
    if if_none_match and current is not None and not current.deleted:
        if "*" in if_none_match or str(current.version_id) in if_none_match:
            raise PreconditionFailed(
                f"If-None-Match: {rtype}/{rid} exists (version {current.version_id}); nothing updated"
            )


def unchanged(current: Current | None, resource: dict) -> bool:
    """Whether `resource` has the live current version's content (meta.versionId/lastUpdated aside):
    such an update is a no-op, as in HAPI."""
    if current is None or current.deleted:
        return False
    return canonical(jsontext.loads(current.content)) == canonical(resource)
