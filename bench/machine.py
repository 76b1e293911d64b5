"""How fast this machine is right now, by a fixed workload that uses only the standard library.

Ratios to the ceiling cancel drift for the HTTP cases, but ingest's resources/s is an absolute
figure: on this shared machine the same ingest code ran 1,629 res/s one evening and 1,043 the next
night. Timing a workload that never changes with the project, at the start and at the end of each
run and right after each ingest, says how much of a difference between two runs is the machine's.
"""

from __future__ import annotations

import json
import re
import time

_WORD = re.compile(r"[a-z]+")


def _document(n: int) -> dict:
    """A nested, FHIR-like document: strings, numbers and lists of small objects."""
    return {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "id": f"r{i}",
                    "text": "take two tablets daily with food unless told otherwise " * 3,
                    "dose": {"value": i * 0.5, "unit": "mg", "code": "mg"},
                    "coding": [{"system": "http://example.org", "code": str(i), "display": f"code {i}"}],
                }
            }
            for i in range(n)
        ],
    }


def _workload() -> int:
    text = json.dumps(_document(400))
    words = 0
    for _ in range(10):
        doc = json.loads(text)
        for entry in doc["entry"]:
            words += len(_WORD.findall(entry["resource"]["text"]))
        doc["entry"].sort(key=lambda e: e["resource"]["dose"]["value"], reverse=True)
        text = json.dumps(doc)
    return words


def reference_ms(rounds: int = 5) -> float:
    """The fastest of `rounds` timings of the workload, in ms (the fastest: a round the machine
    interrupted says nothing about its speed). About 40 ms a round here when the machine is fast."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        _workload()
        best = min(best, time.perf_counter() - started)
    return best * 1000
