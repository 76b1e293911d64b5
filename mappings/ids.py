"""Deterministic resource ids: the same monograph always yields the same ids.

An id is `<slug>-<kind>-<hash>`: the slug makes it readable, the kind says what it is, and the
hash (of the item's own wording plus its occurrence number among identical wordings) keeps it
unique and stable when other items are added or removed around it. FHIR allows 64 characters
of [A-Za-z0-9-.]; the slug is cut to fit.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid

MAX_ID = 64
HASH_LEN = 10
# A fixed namespace so fullUrl urn:uuid values never change between runs or machines.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fhir-service:mappings")


def slugify(text: str) -> str:
    """'Paracetamol + Codeine (oral)' → 'paracetamol-codeine-oral'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "monograph"


def digest(*parts: object) -> str:
    joined = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:HASH_LEN]


def make_id(slug: str, kind: str, *key: object) -> str:
    """`slug-kind` for singletons (no key), `slug-kind-hash` otherwise, always ≤ 64 chars."""
    suffix = f"-{kind}" + (f"-{digest(kind, *key)}" if key else "")
    room = MAX_ID - len(suffix)
    head = slug[:room].rstrip("-") or "m"
    if len(slug) > room and not key:
        # A cut slug could collide with another monograph's; a hash of the full slug prevents it.
        suffix = f"-{kind}-{digest(slug)}"
        head = slug[: MAX_ID - len(suffix)].rstrip("-") or "m"
    elif len(slug) > room:
        suffix = f"-{kind}-{digest(kind, slug, *key)}"
    return head + suffix


class IdFactory:
    """Hands out ids for one monograph, numbering repeated identical wordings."""

    def __init__(self, slug: str):
        self.slug = slug
        self._seen: dict[tuple, int] = {}

    def single(self, kind: str) -> str:
        return make_id(self.slug, kind)

    def item(self, kind: str, *content: object) -> str:
        key = (kind, *content)
        occurrence = self._seen.get(key, 0)
        self._seen[key] = occurrence + 1
        return make_id(self.slug, kind, *content, occurrence)


def full_url_uuid(resource_type: str, resource_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{resource_type}/{resource_id}')}"


def reference(resource: dict) -> dict:
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}
