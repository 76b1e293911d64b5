"""`fhir-service convert PATH...`: monograph Markdown → one validated FHIR R5 Bundle per monograph.

Every Bundle (and so every resource in it) goes through the R5 validator; a Bundle with an
invalid resource is reported and not written, and the exit code is then 1. Without --out a
single file's Bundle is printed to stdout; several files without --out are only checked.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import click

from fhir_service.formats import to_xml
from fhir_service.validation import has_errors, validate_bundle_entries
from mappings.convert import convert_file, dumps


@dataclass
class Summary:
    files: int = 0
    bundles: int = 0
    written: int = 0
    identical_copies: int = 0  # files whose Bundle is byte-identical to one already produced
    resources: Counter = field(default_factory=Counter)
    invalid_resources: int = 0
    invalid_files: list[str] = field(default_factory=list)
    no_content: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    unmapped_pieces: int = 0
    files_with_unmapped: int = 0
    document_only_statements: int = 0
    text_element_statements: int = 0
    structured_statements: int = 0
    sections: Counter = field(default_factory=Counter)  # (section kind, "structured" | "text") → files

    @property
    def ok(self) -> bool:
        return not self.invalid_files and not self.failed

    def section_table(self) -> list[str]:
        kinds = sorted({kind for kind, _ in self.sections})
        if not kinds:
            return []
        rows = [f"{'section':<20} {'structured':>10} {'text only':>10}"]
        rows += [
            f"{k:<20} {self.sections[(k, 'structured')]:>10} {self.sections[(k, 'text')]:>10}" for k in kinds
        ]
        return ["files per section (parsed into structured elements vs kept as text only):", *rows]

    def lines(self) -> list[str]:
        out = [
            f"files: {self.files}",
            f"bundles: {self.bundles} ({self.written} written, {self.identical_copies} identical copies skipped)",
            f"resources: {sum(self.resources.values())}",
            *(f"  {rtype}: {n}" for rtype, n in sorted(self.resources.items())),
            f"invalid resources: {self.invalid_resources} (in {len(self.invalid_files)} files)",
            f"files without clinical content: {len(self.no_content)}",
            f"files that failed to convert: {len(self.failed)}",
            f"statements placed in structured elements: {self.structured_statements}",
            f"statements placed as prose in text elements (Dosage.text, MPD.description): {self.text_element_statements}",
            f"statements kept in the DocumentReference only: {self.document_only_statements}",
            f"unmapped text pieces: {self.unmapped_pieces} (in {self.files_with_unmapped} files)",
        ]
        out += self.section_table()
        out += [f"  no clinical content: {path}: {reason}" for path, reason in self.no_content]
        out += [f"  failed: {path}: {error}" for path, error in self.failed]
        return out


def monograph_files(paths: tuple[str, ...]) -> list[Path]:
    """Files as given; a folder means every *.md below it except upper-case documentation files
    (README.md, SOURCE.md), in sorted order."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.md") if p.is_file() and not p.stem.isupper())
        else:
            out.append(path)
    return out


def serialise(bundle: dict, fmt: str) -> bytes:
    if fmt == "xml":
        return to_xml(bundle)  # not pretty: indentation would add whitespace inside the XHTML narrative
    return dumps(bundle).encode("utf-8")


def _cell(text) -> str:
    return " ".join(str(text).split())  # TSV cells: no tabs or newlines


def coverage_rows(path: Path, coverage) -> list[str]:
    """TSV rows: file, section, target ("Type/id.path" or "DocumentReference only"), statement."""
    return [f"{path}\t{_cell(e.section)}\t{e.target}\t{_cell(e.statement)}" for e in coverage.entries]


def convert_one(path: Path, style: str, summary: Summary, report, cover=None) -> tuple[str, dict] | None:
    """Convert and validate one file; the (slug, bundle) to write, or None."""
    try:
        conversion = convert_file(path)
    except Exception as exc:  # one bad file must not stop a corpus run; it is reported and fails the run
        summary.failed.append((str(path), f"{type(exc).__name__}: {exc}"))
        return None
    coverage = conversion.coverage
    if cover is not None:
        cover.extend(coverage_rows(path, coverage))
    summary.unmapped_pieces += len(conversion.monograph.unmapped)
    summary.files_with_unmapped += bool(conversion.monograph.unmapped)
    if not conversion.resources:
        reason = conversion.monograph.no_content_reason or "no clinical content"
        summary.no_content.append((str(path), reason))
        return None
    summary.sections.update(coverage.sections.items())
    summary.structured_statements += coverage.structured
    summary.document_only_statements += coverage.document_only
    summary.text_element_statements += coverage.text_elements
    bundle = conversion.bundle(style)
    summary.bundles += 1
    summary.resources.update(r["resourceType"] for r in conversion.resources)
    issues = validate_bundle_entries(bundle)
    errors = {entry: found for entry, found in issues.items() if has_errors(found)}
    if errors:
        summary.invalid_resources += sum(1 for entry in errors if entry is not None)
        summary.invalid_files.append(str(path))
        for entry, found in sorted(errors.items(), key=lambda kv: -1 if kv[0] is None else kv[0]):
            where = "Bundle" if entry is None else _entry_name(bundle, entry)
            for issue in found:
                if issue.severity in ("error", "fatal"):
                    report(f"INVALID {path}: {where}: {issue.expression}: {issue.message}")
        return None
    return conversion.slug, bundle


def _entry_name(bundle: dict, index: int) -> str:
    resource = bundle["entry"][index]["resource"]
    return f"{resource['resourceType']}/{resource['id']}"


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), help="Write one Bundle per monograph here."
)
@click.option("--format", "fmt", type=click.Choice(["json", "xml"]), default="json", show_default=True)
@click.option(
    "--coverage",
    "coverage_path",
    type=click.Path(dir_okay=False),
    help="Write where every parsed statement went (TSV: file, section, target, statement).",
)
@click.option(
    "--bundle",
    "style",
    type=click.Choice(["transaction", "collection"]),
    default="transaction",
    show_default=True,
)
def convert(paths, out_dir, fmt, style, coverage_path):
    """Convert monograph Markdown files (or folders of them) into FHIR R5 Bundles."""
    files = monograph_files(paths)
    summary = Summary(files=len(files))
    to_stdout = out_dir is None and len(files) == 1
    messages: list[str] = []
    cover: list[str] | None = ["file\tsection\ttarget\tstatement"] if coverage_path else None
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)

    written: dict[str, bytes] = {}  # slug → SHA-256 of the Bundle already produced under that name

    def handle(path: Path) -> None:
        result = convert_one(path, style, summary, messages.append, cover)
        if result is None:
            return
        slug, bundle = result
        data = serialise(bundle, fmt)
        digest = hashlib.sha256(data).digest()
        if slug in written:
            if written[slug] != digest:
                # Same file name and ids, different content: one would silently overwrite the other.
                summary.failed.append(
                    (str(path), f"another monograph already produced {slug}.{fmt} and its ids")
                )
            else:
                summary.identical_copies += 1
            return
        written[slug] = digest
        if to_stdout:
            sys.stdout.buffer.write(data)
            summary.written += 1
        elif out_dir:
            (Path(out_dir) / f"{slug}.{fmt}").write_bytes(data)
            summary.written += 1

    if len(files) > 1:
        with click.progressbar(files, label="Converting", file=sys.stderr) as bar:
            for path in bar:
                handle(path)
    else:
        for path in files:
            handle(path)

    if cover is not None:
        Path(coverage_path).write_text("\n".join(cover) + "\n", encoding="utf-8")
    for line in messages:
        click.echo(line, err=True)
    for line in summary.lines():
        click.echo(line, err=to_stdout)  # keep stdout a clean Bundle when it carries one
    if not summary.ok:
        sys.exit(1)
