"""`fhir-service validate FILE|DIR...`: validate FHIR R5 JSON/XML resources and Bundles (every entry
too) and print an OperationOutcome per file, or one table row per file with --summary.
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


def _load(path: Path) -> dict:
    from fhir_service.formats import parse_json, parse_xml

    data = path.read_bytes()
    return parse_xml(data) if path.suffix.lower() == ".xml" else parse_json(data)


def _count(resource: dict) -> int:
    entries = resource.get("entry") if resource.get("resourceType") == "Bundle" else None
    return 1 + sum(1 for e in entries or [] if isinstance(e, dict) and "resource" in e)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--summary", is_flag=True, help="One line per file instead of the OperationOutcomes.")
@click.option("--no-warnings", is_flag=True, help="Report errors only (skip warning-level invariants).")
def validate(paths: tuple[str, ...], summary: bool, no_warnings: bool) -> None:
    """Validate FHIR R5 resources (JSON or XML files, or directories of them)."""
    from fhir_service.formats import FormatError
    from fhir_service.validation import has_errors, outcome, validate_resource

    status = 0
    rows = []
    elapsed = 0.0
    for path in _files(paths):
        try:
            resource = _load(path)
        except (FormatError, OSError) as exc:
            status = 2
            rows.append((str(path), 0, 1, 0, f"cannot read: {exc}"))
            if not summary:
                click.echo(f"== {path}\n" + json.dumps(_fatal(str(exc)), indent=2))
            continue
        started = time.perf_counter()
        issues = validate_resource(resource, warnings=not no_warnings)
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
            f"validation time {elapsed:.2f} s ({resources / elapsed:.0f} resources/s, parsing excluded)"
        )
