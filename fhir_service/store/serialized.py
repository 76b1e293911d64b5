"""The stored JSON form of a resource (`serialize`, `stamped`), and a resource serialized before it
is stored (`Serialized`): ingest's worker processes make these, so the single
writer neither serializes resources to JSON nor unpickles them as nested dicts (both cost it far
more than receiving bytes).

The stored bytes depend on the versionId and lastUpdated the writer assigns, so the resource is
serialized as stored (`stamped`) with two stand-ins for them, which JSON
writes as the escapes \\u0000 and \\u0001. resourceType and id come before meta and cannot hold a
backslash, so the first of each escape is the stand-in; `content` puts the real values in their
place: the same bytes as serialize(stamp(resource, …)) (tests/store/test_serialized.py).
"""

from __future__ import annotations

from fhir_service import jsontext

_VERSION, _INSTANT = "\x00", "\x01"
_VOLATILE_META = frozenset({"versionId", "lastUpdated"})
_HEAD = frozenset({"resourceType", "id", "meta"})


def serialize(resource: dict) -> bytes:
    return jsontext.dumps(resource).encode("utf-8")


def stamped(resource: dict, rid: str, version_id: int | str, instant: str) -> dict:
    """The resource as stored: id and meta.versionId/lastUpdated (`instant`, formatted by
    stored.format_instant) set, resourceType/id/meta first (unit_of_work.stamp formats its own
    instant; the writers format one per batch)."""
    meta = {"versionId": str(version_id), "lastUpdated": instant}
    for key, value in (resource.get("meta") or {}).items():
        if key not in _VOLATILE_META:
            meta[key] = value
    stored = {"resourceType": resource["resourceType"], "id": rid, "meta": meta}
    for key, value in resource.items():
        if key not in _HEAD:
            stored[key] = value
    return stored


class Serialized:
    __slots__ = ("type", "id", "_head", "_middle", "_tail")

    def __init__(self, resource: dict):
        self.type, self.id = resource["resourceType"], resource["id"]
        data = serialize(stamped(resource, self.id, _VERSION, _INSTANT))
        self._head, rest = data.split(b"\\u0000", 1)
        self._middle, self._tail = rest.split(b"\\u0001", 1)

    def content(self, version_id: int, instant: str) -> bytes:
        """The stored JSON with this versionId and lastUpdated (formatted: repository.format_instant)."""
        return b"".join((self._head, str(version_id).encode(), self._middle, instant.encode(), self._tail))

    def resource(self) -> dict:
        """The resource as a dict (its versionId and lastUpdated are stand-ins: only to compare
        content with a stored version, or to index it)."""
        return jsontext.loads(self.content(0, ""))

    def __reduce__(self):  # pickled as its bytes (to the writer process)
        return (_restore, (self.type, self.id, self._head, self._middle, self._tail))


def _restore(rtype: str, rid: str, head: bytes, middle: bytes, tail: bytes) -> Serialized:
    made = Serialized.__new__(Serialized)
    made.type, made.id, made._head, made._middle, made._tail = rtype, rid, head, middle, tail
    return made


def key(resource: dict | Serialized) -> tuple[str, str]:
    """(type, id) of a resource or a Serialized one."""
    if isinstance(resource, Serialized):
        return resource.type, resource.id
    return resource["resourceType"], resource["id"]


def as_dict(resource: dict | Serialized) -> dict:
    return resource.resource() if isinstance(resource, Serialized) else resource


def stored_form(
    resource: dict | Serialized, version_id: int, instant: str
) -> tuple[dict | Serialized, bytes]:
    """(what to index, the stored bytes) of a resource or a Serialized one at this version."""
    if isinstance(resource, Serialized):  # ingest: serialized by its workers
        return resource, resource.content(version_id, instant)
    stored = stamped(resource, resource["id"], version_id, instant)
    return stored, serialize(stored)
