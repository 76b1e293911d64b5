"""glibc malloc settings for a server process, applied when the app is built (in each worker).

A worker's threads each get a malloc arena of their own (up to 8 per core), and glibc raises its
mmap threshold after a large block is freed, so later large blocks (a page's rows, its output) come
from those arenas too. Freed, such memory mostly stays in the arena that served it: a worker's RSS
then tracks the sum of its threads' past peaks, not what it holds. Two arenas and a fixed mmap
threshold (large blocks mmapped, so returned to the system when freed) keep it near what is live.
MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ in the environment win (glibc read them at start);
FHIR_SERVICE_MALLOC_TUNING=0 leaves glibc's defaults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter numbers (malloc.h)
M_ARENA_MAX = -8
ARENA_MAX = 2
MMAP_THRESHOLD = 128 * 1024  # glibc's initial value, kept from then on


def tune() -> dict[str, int]:
    """Apply the settings the environment does not set; → what was applied (empty off glibc)."""
    if os.environ.get("FHIR_SERVICE_MALLOC_TUNING", "1") == "0":
        return {}
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return {}
    applied = {}
    for name, param, value in (
        ("MALLOC_ARENA_MAX", M_ARENA_MAX, ARENA_MAX),
        ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, MMAP_THRESHOLD),
    ):
        if name not in os.environ and mallopt(param, value) == 1:
            applied[name] = value
    return applied
