"""`fhir-service validate FILE|DIR...`: validate FHIR R5 JSON/XML resources and Bundles (every entry
too) and print an OperationOutcome per file, or one table row per file with --summary.
`--fhir-version 4.0|4.3` validates against the R4 / R4B definitions instead (e.g. the views).
Exit status 1 when any file has an error, 2 when a file cannot be read as FHIR."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

SUFFIXES = (".json", ".xml")


def _files(paths: tuple[str, ...]) -> list[Path]:
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES and f.is_file()))
        else:
            found.append(p)
    return found


def file_issues(path: Path, warnings: bool = True) -> tuple[dict, list]:
    """(resource, issues) of one file as this command validates it; FormatError if it cannot be
    read as FHIR. Control characters in JSON strings are a warning here (datatypes.html: strings
    SHOULD NOT hold them), where the server refuses them (XML cannot carry them)."""
    from fhir_service.formats import has_control_characters, parse_json, parse_xml
    from fhir_service.validation import Issue, validate_resource

    data = path.read_bytes()
    if path.suffix.lower() == ".xml":
        resource, notes = parse_xml(data), []
    else:
        resource, notes = parse_json(data, controls=True), []
        if warnings and has_control_characters(data):
            message = (
                "a string holds a control character (strings SHOULD NOT; this server does not store them)"
            )
            notes.append(
                Issue("warning", "invalid", resource.get("resourceType", ""), message, "string-control")
            )
    return resource, notes + validate_resource(resource, warnings=warnings)


def _count(resource: dict) -> int:
    entries = resource.get("entry") if resource.get("resourceType") == "Bundle" else None
    return 1 + sum(1 for e in entries or [] if isinstance(e, dict) and "resource" in e)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--summary", is_flag=True, help="One line per file instead of the OperationOutcomes.")
@click.option("--no-warnings", is_flag=True, help="Report errors only (skip warning-level invariants).")
@click.option(
    "--fhir-version",
    type=click.Choice(["4.0", "4.3", "5.0"]),
    default="5.0",
    show_default=True,
    help="The FHIR version whose definitions to validate against (4.0 = R4, 4.3 = R4B, 5.0 = R5).",
)
def validate(paths: tuple[str, ...], summary: bool, no_warnings: bool, fhir_version: str) -> None:
    """Validate FHIR resources (JSON or XML files, or directories of them); R5 unless --fhir-version."""
    from fhir_service import definitions

    with definitions.fhir_version(fhir_version):
        _validate(paths, summary, no_warnings)


def _validate(paths: tuple[str, ...], summary: bool, no_warnings: bool) -> None:
    from fhir_service.formats import FormatError
    from fhir_service.validation import has_errors, outcome

    status = 0
    rows = []
    elapsed = 0.0
    for path in _files(paths):
        started = time.perf_counter()
        try:
            resource, issues = file_issues(path, warnings=not no_warnings)
        except (FormatError, OSError) as exc:
            status = 2
            rows.append((str(path), 0, 1, 0, f"cannot read: {exc}"))
            if not summary:
                click.echo(f"== {path}\n" + json.dumps(_fatal(str(exc)), indent=2))
            continue
        elapsed += time.perf_counter() - started
        errors = [i for i in issues if i.severity in ("error", "fatal")]
        if errors:
            status = max(status, 1)
        warnings = len(issues) - len(errors)
        first = f"{errors[0].expression}: {errors[0].message}" if errors else ""
        rows.append((str(path), _count(resource), len(errors), warnings, first))
        if not summary:
            click.echo(f"== {path} ({'errors' if has_errors(issues) else 'valid'})")
            click.echo(json.dumps(outcome(issues), indent=2, ensure_ascii=False))
    if summary:
        _table(rows, elapsed)
    sys.exit(status)


def _fatal(message: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "fatal", "code": "structure", "diagnostics": message}],
    }


def _table(rows: list[tuple], elapsed: float) -> None:
    width = max([len("file"), *(len(r[0]) for r in rows)])
    click.echo(f"{'file':<{width}}  resources  errors  warnings  first error")
    for name, resources, errors, warnings, first in rows:
        click.echo(f"{name:<{width}}  {resources:>9}  {errors:>6}  {warnings:>8}  {first[:120]}")
    total_errors = sum(r[2] for r in rows)
    resources = sum(r[1] for r in rows)
    click.echo(f"{len(rows)} file(s), {resources} resource(s), {total_errors} error(s)")
    if elapsed > 0:
        click.echo(
            f"validation time {elapsed:.2f} s ({resources / elapsed:.0f} resources/s, parsing included)"
        )
