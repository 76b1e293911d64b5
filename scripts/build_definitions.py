"""Regenerate fhir_service/definitions/data/{structure,valuesets,profiles,extensions,displays}.json.gz
from the official packages.

    python scripts/build_definitions.py [CORE.tgz EXPANSIONS.tgz EXTENSIONS.tgz]

Without arguments the three packages are fetched with `npm pack` into ~/.cache/fhir-service/.
Only what the validator reads is kept (see fhir_service/definitions/__init__.py for the layout):
snapshot element paths, cardinalities, type codes with target profiles, required bindings,
constraints, primitive regexes, the expansions of the value sets bound as required, and what the
core package's resource profiles (vitalsigns, cholesterol, ...) change: cardinalities, fixed and
pattern values, outside slices other than type slices; and the URLs and contexts of the extensions
HL7 defines for everyone (the extensions pack, CC0); and the English displays and designations of
the LOINC codes the expansions list (for display checks).
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

PACKAGES = (
    "hl7.fhir.r5.core@5.0.0",
    "hl7.fhir.r5.expansions@5.0.0",
    "hl7.fhir.uv.extensions.r5@5.3.0-ballot-tc1",  # the only R5 extensions pack the npm registry holds
)
CACHE = Path.home() / ".cache" / "fhir-service"
OUT = Path(__file__).resolve().parents[1] / "fhir_service" / "definitions" / "data"
FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex"
TOO_COSTLY = "valueset-toocostly"
SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
# Constraint profiles on datatypes that resource snapshots point at (Range.low → SimpleQuantity).
DATATYPE_PROFILES = ("SimpleQuantity", "MoneyQuantity")


def npm_pack(spec: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    name, version = spec.split("@")
    tarball = CACHE / f"{name}-{version}.tgz"
    if not tarball.exists():
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=CACHE, check=True, stdout=subprocess.DEVNULL)
    return tarball


def read_package(tarball: Path, prefix: str) -> list[dict]:
    resources = []
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and name.startswith(prefix) and name.endswith(".json"):
                resources.append(json.load(tar.extractfile(member)))
    return resources


def short(url: str) -> str:
    return url[len(SD_PREFIX) :] if url.startswith(SD_PREFIX) else url


def type_code(t: dict, base_path: str) -> str:
    code = t["code"]
    if base_path == "Element.id":
        return "string"  # datatype and backbone ids are strings; only Resource.id has the id format
    if code.startswith("http://hl7.org/fhirpath/System."):
        ext = {e["url"]: e for e in t.get("extension", [])}
        return ext[FHIR_TYPE_EXT]["valueUrl"] if FHIR_TYPE_EXT in ext else "string"
    return code


def element_row(e: dict) -> list:
    base_path = e.get("base", {}).get("path", "")
    types = [
        [
            type_code(t, base_path),
            [short(p) for p in t.get("targetProfile", [])],
            [short(p) for p in t.get("profile", [])],
        ]
        for t in e.get("type", [])
    ]
    binding = e.get("binding", {})
    required = binding.get("valueSet", "").split("|")[0] if binding.get("strength") == "required" else None
    keys = []
    for c in e.get("constraint", []):
        if c["key"] in ("ele-1", "ext-1"):
            continue  # evaluated on every element by Python fast paths
        keys.append([c["key"], c["severity"], c.get("expression"), c.get("human", "")])
    return [e["path"], e.get("min", 0), e.get("max", "*"), types, required, keys, e.get("contentReference")]


def build_structure(core: list[dict]) -> dict:
    types, regexes = {}, {}
    for sd in core:
        if sd["resourceType"] != "StructureDefinition" or sd["kind"] == "logical":
            continue
        if sd.get("derivation") == "constraint" and sd["id"] not in DATATYPE_PROFILES:
            continue
        elements = sd["snapshot"]["element"]
        types[sd["id"]] = {
            "kind": sd["kind"],
            "type": sd["type"],
            "abstract": sd.get("abstract", False),
            "base": short(sd.get("baseDefinition", "")) or None,
            "elements": [element_row(e) for e in elements],
        }
        if sd["kind"] == "primitive-type":
            for e in elements:
                for t in e.get("type", []) if e["path"].endswith(".value") else []:
                    for ext in t.get("extension", []):
                        if ext["url"] == REGEX_EXT:
                            regexes[sd["id"]] = ext["valueString"]
    return {"types": types, "regexes": regexes}


def flatten_contains(contains: list[dict], into: dict) -> int:
    count = 0
    for c in contains:
        if "code" in c and not c.get("abstract"):
            into.setdefault(c.get("system", ""), set()).add(c["code"])
        count += 1
        count += flatten_contains(c.get("contains", []), into)
    return count


def build_valuesets(structure: dict, expansions: list[dict], extra: set[str]) -> dict:
    wanted = set(extra)
    for t in structure["types"].values():
        wanted.update(row[4] for row in t["elements"] if row[4])
    out = {}
    by_url = {vs["url"]: vs for vs in expansions if vs.get("resourceType") == "ValueSet"}
    for url in sorted(wanted):
        vs = by_url.get(url)
        if (
            vs is None
            or "expansion" not in vs
            or TOO_COSTLY in json.dumps(vs["expansion"].get("extension", []))
        ):
            continue  # not expandable here (e.g. all-languages, mimetypes): the binding is not checked
        codes: dict[str, set] = {}
        count = flatten_contains(vs["expansion"].get("contains", []), codes)
        total = vs["expansion"].get("total")
        if total is not None and total > count:
            continue  # truncated expansion: checking against it would reject valid codes
        out[url] = {system: sorted(c) for system, c in codes.items()}
    return out


def memberof_valuesets(structure: dict) -> set[str]:
    found = set()
    for t in structure["types"].values():
        for row in t["elements"]:
            for _, _, expression, _ in row[5]:
                found.update(re.findall(r"memberOf\('([^']+)'\)", expression or ""))
    return found


def profile_keys(element_id: str) -> list[str] | None:
    """JSON keys from the root to an element (value[x]:valueQuantity → valueQuantity); None inside a
    slice that is not a type slice, whose rules apply only to the items the slice matches."""
    keys = []
    for segment in element_id.split(".")[1:]:
        name, _, slice_name = segment.partition(":")
        if not slice_name:
            keys.append(name)
        elif (
            name.endswith("[x]")
            and slice_name.startswith(name[:-3])
            and slice_name[len(name) - 3 :][:1].isupper()
        ):
            keys.append(slice_name)
        else:
            return None
    return keys


def build_profiles(core: list[dict]) -> dict:
    """Profile id → rows [keys, min, max, "fixed" | "pattern" | None, value] where it differs from the base."""
    base = {
        sd["id"]: {e["path"]: e for e in sd["snapshot"]["element"]}
        for sd in core
        if sd["resourceType"] == "StructureDefinition" and sd.get("derivation") == "specialization"
    }
    out = {}
    for sd in core:
        if sd["resourceType"] != "StructureDefinition" or sd.get("derivation") != "constraint":
            continue
        if sd["kind"] != "resource" or not sd["url"].startswith(SD_PREFIX) or "snapshot" not in sd:
            continue
        rows = []
        for e in sd["snapshot"]["element"]:
            keys = profile_keys(e["id"])
            if not keys:
                continue
            value = next(
                (
                    (k[:5] if k.startswith("fixed") else k[:7], v)
                    for k, v in e.items()
                    if k.startswith(("fixed", "pattern"))
                ),
                None,
            )
            b = base.get(sd["type"], {}).get(e["path"])
            if b is None:
                changed = e.get("min", 0) > 0 or e.get("max") == "0"
            else:
                changed = e.get("min") != b.get("min") or e.get("max") != b.get("max")
            if changed or value:
                kind, fixed = value if value else (None, None)
                rows.append([keys, e.get("min", 0), e.get("max", "*"), kind, fixed])
        out[sd["id"]] = {"type": sd["type"], "elements": rows}
    return out


DISPLAY_SYSTEMS = ("http://loinc.org",)  # one version (the expansions' LOINC 2.73) with all designations


def collect_displays(contains: list[dict], into: dict) -> None:
    for c in contains:
        if c.get("system") in DISPLAY_SYSTEMS and "code" in c:
            names = into.setdefault(c["system"], {}).setdefault(c["code"], set())
            if c.get("display"):
                names.add(c["display"])
            names.update(
                d["value"]
                for d in c.get("designation", [])
                if d.get("value") and str(d.get("language", "en")).startswith("en")
            )
        collect_displays(c.get("contains", []), into)


def build_displays(expansions: list[dict]) -> dict:
    """System → code → the English displays and designations any expansion gives it."""
    found: dict = {}
    for vs in expansions:
        if vs.get("resourceType") == "ValueSet":
            collect_displays(vs.get("expansion", {}).get("contains", []), found)
    return {system: {code: sorted(n) for code, n in codes.items() if n} for system, codes in found.items()}


def extension_urls_used(resources: list[dict]) -> set[str]:
    """Extension URLs in HL7's namespace that the given resources use anywhere."""
    found: set[str] = set()
    stack: list = list(resources)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("extension", "modifierExtension") and isinstance(value, list):
                    found.update(
                        e["url"].split("|")[0]
                        for e in value
                        if isinstance(e, dict) and str(e.get("url", "")).startswith(SD_PREFIX)
                    )
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def build_extensions(extension_pack: list[dict], core: list[dict]) -> dict:
    """Extension URL → its contexts [[type, expression]...]: the extensions pack's, and (without
    contexts) those the core package's own definitions use that the pack has since withdrawn."""
    out = {
        sd["url"]: [[c["type"], c["expression"]] for c in sd.get("context", [])]
        for sd in extension_pack
        if sd["resourceType"] == "StructureDefinition"
        and sd.get("type") == "Extension"
        and sd.get("derivation") == "constraint"
    }
    for url in extension_urls_used(core):
        out.setdefault(url, [])
    return out


def write(name: str, data: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    with open(OUT / name, "wb") as fh:
        fh.write(gzip.compress(raw, 9, mtime=0))  # mtime=0: rebuilding unchanged inputs gives identical bytes
    print(f"{name}: {len(raw) // 1024} KiB raw, {(OUT / name).stat().st_size // 1024} KiB gz")


def main(argv: list[str]) -> None:
    core_tgz, expansions_tgz, extensions_tgz = (Path(p) for p in argv) if argv else map(npm_pack, PACKAGES)
    core = read_package(core_tgz, "StructureDefinition-")
    structure = build_structure(core)
    expansions = read_package(expansions_tgz, "ValueSet-")
    valuesets = build_valuesets(structure, expansions, memberof_valuesets(structure))
    write("structure.json.gz", structure)
    write("valuesets.json.gz", valuesets)
    write("profiles.json.gz", build_profiles(core))
    write("displays.json.gz", build_displays(expansions))
    write("extensions.json.gz", build_extensions(read_package(extensions_tgz, "StructureDefinition-"), core))


if __name__ == "__main__":
    main(sys.argv[1:])
