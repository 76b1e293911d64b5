#!/usr/bin/env python3
"""Build fhir_service/definitions/data/search-parameters.json.gz from the official R5 package.

Keeps every SearchParameter of hl7.fhir.r5.core 5.0.0 (all resource types, so any stored type is
searchable), trimmed to the fields the registry, the indexer and the CapabilityStatement need.
Without a path argument the package is fetched with `npm pack` into a temporary folder.

    python scripts/build_search_parameters.py [path/to/hl7.fhir.r5.core-5.0.0.tgz]
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "hl7.fhir.r5.core@5.0.0"
OUT = (
    Path(__file__).resolve().parents[1]
    / "fhir_service"
    / "definitions"
    / "data"
    / "search-parameters.json.gz"
)
KEEP = (
    "url",
    "id",
    "name",
    "code",
    "base",
    "type",
    "expression",
    "target",
    "component",
    "processingMode",
    "modifier",
    "comparator",
    "multipleOr",
    "multipleAnd",
    "description",
)
CANONICAL = "http://hl7.org/fhir/SearchParameter/"


def fetch(dest: Path) -> Path:
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=dest, check=True, stdout=subprocess.DEVNULL)
    return next(dest.glob("hl7.fhir.r5.core-*.tgz"))


def official_parameters(tgz: Path) -> list[dict]:
    params = []
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if not (name.startswith("SearchParameter-") and name.endswith(".json")):
                continue
            sp = json.load(tar.extractfile(member))
            # the package also carries examples ("example", "filter") that are not part of the spec
            if not sp.get("url", "").startswith(CANONICAL) or sp.get("id") in ("example", "filter"):
                continue
            params.append({k: sp[k] for k in KEEP if k in sp})
    return sorted(params, key=lambda p: p["url"])


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tgz = Path(argv[1]) if len(argv) > 1 else fetch(Path(tmp))
        params = official_parameters(tgz)
    data = json.dumps(params, separators=(",", ":"), sort_keys=True).encode()
    OUT.write_bytes(gzip.compress(data, mtime=0))
    print(f"{len(params)} search parameters → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv)
