"""Stable 64-bit hashes for index identity (type+param, system|code, uri).

blake2b(digest_size=8) read as a signed int64 so it fits a BIGINT column on both databases.
Never Python's hash(): it is salted per process."""

from __future__ import annotations

import hashlib
from functools import lru_cache


# pure; systems, codes and parameters recur, while unique values (ids, text) would only fill a
# larger cache, in every server worker
@lru_cache(maxsize=1 << 12)
def h64(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def param_hash(resource_type: str, code: str) -> int:
    """Identity of a search parameter on a resource type (the `sp` column of every index row)."""
    return h64(resource_type, code)
