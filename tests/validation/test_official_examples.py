"""The whole official hl7.fhir.r5.examples 5.0.0 package through the validator.

Every example must pass except those listed in official_examples_known_defects.json, each with
the rule it breaks and why (a "severity": "warning" entry: reported as a warning, as HL7's Java
validator does, and without errors; a write to the server refuses it); a listed example that stops failing with that rule fails the test
too, so the list cannot go stale. The package is fetched once with `npm pack` into
~/.cache/fhir-service/ (the test is skipped, with the reason, where npm or the registry is not
available). Two worker processes keep it to about a minute on the CI machine.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from fhir_service.validation import validate_resource

PACKAGE = "hl7.fhir.r5.examples@5.0.0"
CACHE = Path.home() / ".cache" / "fhir-service"
TARBALL = CACHE / "hl7.fhir.r5.examples-5.0.0.tgz"
KNOWN_DEFECTS = Path(__file__).with_name("official_examples_known_defects.json")
EXPECTED_COUNT = 2822


def _fetch() -> Path:
    if TARBALL.exists():
        return TARBALL
    if shutil.which("npm") is None:
        pytest.skip(f"npm is not installed: cannot fetch {PACKAGE} into {CACHE}")
    CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=CACHE, capture_output=True, text=True)
    if done.returncode != 0 or not TARBALL.exists():
        pytest.skip(f"`npm pack {PACKAGE}` failed (offline?): {done.stderr.strip()[:300]}")
    return TARBALL


def _examples(tarball: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(tarball) as tar:
        return [
            (m.name.split("/", 1)[1], tar.extractfile(m).read())
            for m in tar.getmembers()
            if m.isfile() and _is_example(m.name)
        ]


def _is_example(member: str) -> bool:
    folder, _, name = member.rpartition("/")
    return (
        folder == "package" and name.endswith(".json") and name != "package.json" and not name.startswith(".")
    )


def _errors(item: tuple[str, bytes]) -> tuple[str, list[tuple[str, str, str]]]:
    """(rule, severity, text) of each error, and of each warning a known defect may be listed with."""
    name, data = item
    issues = validate_resource(json.loads(data), warnings=False)
    return name, [
        (i.rule or "", i.severity, f"{i.expression}: {i.message}")
        for i in issues
        if i.severity in ("error", "fatal", "warning")
    ]


@pytest.mark.slow
def test_official_examples_pass_except_documented_defects():
    examples = _examples(_fetch())
    assert len(examples) == EXPECTED_COUNT
    known = json.loads(KNOWN_DEFECTS.read_text())["examples"]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = dict(pool.imap_unordered(_errors, examples, chunksize=16))

    errors = {name: [e for e in found if e[1] != "warning"] for name, found in results.items()}
    unexpected = {
        name: errs[:3]
        for name, errs in errors.items()
        if errs and (name not in known or known[name].get("severity") == "warning")
    }
    assert not unexpected, (
        f"{len(unexpected)} official examples fail validation: {json.dumps(unexpected, indent=1)[:4000]}"
    )

    stale = {
        name: entry["rule"]
        for name, entry in known.items()
        if name not in results
        or (entry["rule"], entry.get("severity", "error"))
        not in {
            (rule, "warning" if severity == "warning" else "error") for rule, severity, _ in results[name]
        }
    }
    assert not stale, f"listed as defective but no longer failing with the listed rule: {stale}"
