"""`fhir-service export-fixtures PATH... --out DIR [--style put|conditional]`

One transaction Bundle per monograph, ready for `fhir-service load` (or any FHIR client) into a
sandbox server:

- `put` (default): `PUT Type/id` with the mappings' deterministic ids: re-loading overwrites,
  never duplicates. For servers that accept client ids (HAPI, Firely, this service, …).
- `conditional`: conditional creates matched by identifier (fixtures_export.py), with
  urn:uuid fullUrls and references, for servers that assign their own ids (Azure, Google, Medplum).

`--fhir-version 4.0|4.3` writes them as FHIR R4 / R4B (the views this service serves at /fhir/R4
and /fhir/R4B), for servers of that version; `fhir-service load --fhir-version` sends them as such.

Every Bundle is validated first, against the definitions of its version; an invalid one is
reported, not written, and the exit status is then 1.
"""

from __future__ import annotations

from pathlib import Path

import click

from fhir_service import definitions
from fhir_service.cli.convert import monograph_files
from fhir_service.fixtures_export import (
    conditional_bundle,
    has_identifier_in,
    in_version,
    unresolved_references,
)
from fhir_service.validation import has_errors, validate_resource
from mappings.convert import convert_file, dumps


def fixture_bundle(path: Path, style: str, version: str = "5.0") -> tuple[str, dict] | None:
    """(file stem, Bundle) for one monograph; None when it has no clinical content. Converted to
    `version` before the conditional rewrite, so references between entries name view types."""
    conversion = convert_file(path)
    if not conversion.has_clinical_content:
        return None
    bundle = conversion.bundle("transaction")
    if version != "5.0":
        bundle = in_version(bundle, version)
    if style == "conditional":
        bundle = conditional_bundle(bundle, has_identifier_in(version))
    return conversion.slug, bundle


@click.command("export-fixtures")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option(
    "--style",
    type=click.Choice(["put", "conditional"]),
    default="put",
    show_default=True,
    help="put: PUT Type/id (client ids); conditional: POST + ifNoneExist by identifier.",
)
@click.option(
    "--fhir-version",
    "version",
    type=click.Choice(["4.0", "4.3", "5.0"]),
    default="5.0",
    show_default=True,
    help="FHIR version of the Bundles: 4.0 = R4, 4.3 = R4B, 5.0 = R5.",
)
def export_fixtures(paths, out_dir, style, version):
    """Write one transaction Bundle per monograph into DIR (validated first); R5 unless --fhir-version."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = monograph_files(paths)
    written, skipped, problems = 0, [], []
    sources: dict[str, tuple[Path, str]] = {}  # output name → (first source, its text)
    duplicates: list[str] = []
    with click.progressbar(files, label="Exporting", item_show_func=lambda p: p.name if p else "") as bar:
        for path in bar:
            try:
                made = fixture_bundle(path, style, version)
            except Exception as exc:  # one bad monograph must not stop the export
                problems.append(f"{path}: conversion failed: {type(exc).__name__}: {exc}")
                continue
            if made is None:
                skipped.append(str(path))
                continue
            stem, bundle = made
            with definitions.fhir_version(version):
                issues = [i for i in validate_resource(bundle) if i.severity in ("fatal", "error")]
            if has_errors(issues):
                problems += [f"{path}: {i.expression}: {i.message}" for i in issues[:10]]
                continue
            dangling = unresolved_references(bundle) if style == "conditional" else []
            problems += [f"{path}: reference outside the Bundle: {ref}" for ref in dangling]
            text = dumps(bundle)
            if stem in sources:  # two sources, one slug: identical content is a duplicate, else an error
                first, first_text = sources[stem]
                if first_text == text:
                    duplicates.append(f"{path} (same Bundle as {first})")
                else:
                    problems.append(f"{path}: would overwrite {stem}.json written from {first}")
                continue
            sources[stem] = (path, text)
            (out / f"{stem}.json").write_text(text, encoding="utf-8")
            written += 1
    click.echo(
        f"{written} {style} Bundles written to {out}"
        + ("" if version == "5.0" else f" (FHIR {version})")
        + f"; {len(skipped)} monographs without clinical content"
    )
    for duplicate in duplicates:
        click.echo(f"skipped duplicate {duplicate}")
    for problem in problems:
        click.echo(f"ERROR {problem}", err=True)
    if problems:
        raise SystemExit(1)
