#!/usr/bin/env python3
"""Build fhir_service/definitions/data/code-hierarchy.json.gz from the official R5 package.

Token `:below`/`:above` need the subsumption hierarchy of the code system. This keeps, for every
complete CodeSystem of hl7.fhir.r5.core 5.0.0, its url, and for those with a hierarchy (nested
`concept`, or a `subsumedBy`/`parent` property) each code's parents:

    {"flat": [url...], "hierarchies": {url: {code: [parent...]}}}

A flat system is known to have no hierarchy (a code subsumes only itself). Systems that are not in
the package (SNOMED CT, LOINC, RxNorm…) are not known locally. Without a path argument the package is
fetched with `npm pack` into a temporary folder.

    python scripts/build_code_hierarchy.py [path/to/hl7.fhir.r5.core-5.0.0.tgz]
"""

from __future__ import annotations

import gzip
import json
import sys
import tarfile
import tempfile
from pathlib import Path

from build_search_parameters import fetch  # same package, same `npm pack` (run from scripts/)

OUT = Path(__file__).resolve().parents[1] / "fhir_service" / "definitions" / "data" / "code-hierarchy.json.gz"
PARENT_PROPERTIES = ("subsumedBy", "parent")


def parents_of(code_system: dict) -> dict[str, list[str]]:
    """code → parents, from nesting and from parent properties (a code may have several)."""
    parents: dict[str, set[str]] = {}

    def walk(concepts: list[dict], parent: str | None) -> None:
        for concept in concepts:
            code = concept["code"]
            found = parents.setdefault(code, set())
            if parent is not None:
                found.add(parent)
            for prop in concept.get("property", ()):
                if prop.get("code") in PARENT_PROPERTIES and "valueCode" in prop:
                    found.add(prop["valueCode"])
            walk(concept.get("concept", ()), code)

    walk(code_system.get("concept", ()), None)
    return {code: sorted(p) for code, p in sorted(parents.items())}


def hierarchies(tgz: Path) -> dict:
    flat, nested = set(), {}
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if not (name.startswith("CodeSystem-") and name.endswith(".json")):
                continue
            cs = json.load(tar.extractfile(member))
            if cs.get("content") != "complete" or not cs.get("url"):
                continue
            parents = parents_of(cs)
            if any(parents.values()):
                nested[cs["url"]] = {code: p for code, p in parents.items() if p}
            else:
                flat.add(cs["url"])
    return {"flat": sorted(flat), "hierarchies": dict(sorted(nested.items()))}


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tgz = Path(argv[1]) if len(argv) > 1 else fetch(Path(tmp))
        data = hierarchies(tgz)
    OUT.write_bytes(gzip.compress(json.dumps(data, separators=(",", ":")).encode(), mtime=0))
    print(
        f"{len(data['flat'])} flat and {len(data['hierarchies'])} hierarchical code systems → {OUT} "
        f"({OUT.stat().st_size} bytes)"
    )


if __name__ == "__main__":
    main(sys.argv)
