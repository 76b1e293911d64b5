"""`fhir-service parse FILE`: print the intermediate Monograph model as JSON (for debugging).
`fhir-service parse --summary PATH...`: a per-section coverage table over many files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mappings.model import dump
from mappings.parse import parse_file
from mappings.parse.coverage import Coverage


def _markdown_files(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(p.rglob("*.md")) if p.is_dir() else [p])
    return [p for p in out if p.name not in ("SOURCE.md", "README.md")]


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--summary", is_flag=True, help="Print a per-section coverage table instead of the model.")
def parse(paths: tuple[str, ...], summary: bool) -> None:
    """Parse monograph Markdown into the intermediate model (JSON), or summarise coverage."""
    files = _markdown_files(paths)
    if summary:
        coverage = Coverage()
        for path in files:
            coverage.add(_parse_file(path))
        click.echo(coverage.table())
        return
    if len(files) != 1:
        raise click.UsageError("give one FILE, or --summary for many files and folders")
    click.echo(json.dumps(dump(_parse_file(files[0])), indent=2, ensure_ascii=False))


def _parse_file(path: Path):
    try:
        return parse_file(path)
    except UnicodeDecodeError as exc:  # a monograph is UTF-8 Markdown: anything else gets a clear message
        raise click.ClickException(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
