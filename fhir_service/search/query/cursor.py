"""Opaque, signed page cursors: the last row's sort keys and pk, the direction, and a digest of the
query they belong to. Signed (HMAC) so a client cannot hand-craft keys; bound to the query so a
cursor cannot be replayed against another search."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import datetime

from ..errors import SearchError

# Set FHIR_SERVICE_CURSOR_KEY in production; the fallback keeps cursors working across workers.
_KEY = os.environ.get("FHIR_SERVICE_CURSOR_KEY", "fhir-service-search-cursor").encode()


def query_digest(params: list[tuple[str, str]]) -> str:
    relevant = sorted((k, v) for k, v in params if k not in ("_cursor", "_count", "_format", "_pretty"))
    return hashlib.blake2b(json.dumps(relevant).encode(), digest_size=8).hexdigest()


def _encode_value(value):
    return {"dt": value.isoformat()} if isinstance(value, datetime) else value


def _decode_value(value):
    return datetime.fromisoformat(value["dt"]) if isinstance(value, dict) else value


def encode(keys: list, pk: int, direction: str, digest: str) -> str:
    body = json.dumps(
        [[_encode_value(k) for k in keys], pk, direction, digest], separators=(",", ":")
    ).encode()
    sig = hmac.new(_KEY, body, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(body + sig).decode().rstrip("=")


def decode(cursor: str, digest: str) -> tuple[list, int, str]:
    """(sort keys, pk, "next"|"prev"); SearchError if tampered with or from another query."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body, sig = raw[:-12], raw[-12:]
        if not hmac.compare_digest(sig, hmac.new(_KEY, body, hashlib.sha256).digest()[:12]):
            raise ValueError("bad signature")
        keys, pk, direction, bound_to = json.loads(body)
    except Exception as exc:
        raise SearchError("Invalid _cursor: not a page link issued by this server") from exc
    if bound_to != digest or direction not in ("next", "prev"):
        raise SearchError("Invalid _cursor: it belongs to a different search")
    return [_decode_value(k) for k in keys], int(pk), direction
