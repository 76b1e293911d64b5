"""Preparing one input file for the store (pure work, in a worker process when there are many):
a monograph converted or a FHIR file read, every resource validated, and for the writer the
search index rows computed and the resources serialized."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

from fhir_service.formats import FormatError, parse_json, parse_xml
from fhir_service.validation import has_errors, validate_resource

FHIR_SUFFIXES = {".json", ".xml"}
ENTRY_BUNDLES = {"transaction", "batch", "collection", "searchset", "history"}


class NotIngestible(Exception):
    """A well-formed file ingest deliberately leaves alone (reported, not an error)."""


@dataclass
class Prepared:
    """One input file, converted and validated, ready to store."""

    path: str
    source: str
    resources: list = field(default_factory=list)  # dicts; Serialized (store.serialized) for_store
    index_rows: dict = field(default_factory=dict)  # (type, id) → search index rows (packed_rows)
    invalid: list[str] = field(default_factory=list)  # "Type/id: expression: message"
    error: str | None = None
    no_content: str | None = None
    skipped: str | None = None


def input_files(paths) -> list[Path]:
    """Files as given; a folder means what its MANIFEST.tsv lists, else every monograph/FHIR file below it."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            out.append(path)
            continue
        manifest = path / "MANIFEST.tsv"
        if manifest.is_file():
            rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
            out += [path / row.split("\t")[0] for row in rows if row.strip()]
        else:
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in {".md", *FHIR_SUFFIXES})
    return out


def prepare(path: Path, for_store: bool = False) -> Prepared:
    """Read/convert and validate one file (runs in a worker process)."""
    path = Path(path)
    is_monograph = path.suffix == ".md"
    prepared = Prepared(str(path), f"{'monograph' if is_monograph else 'file'}:{path.name}")
    try:
        resources = _convert(path, prepared) if is_monograph else fhir_resources(path)
    except NotIngestible as exc:
        prepared.skipped = f"{path}: {exc}"
        return prepared
    except Exception as exc:  # one bad file must not stop a corpus run; it is reported
        prepared.error = f"{path}: {type(exc).__name__}: {exc}"
        return prepared
    keys = [(r.get("resourceType"), r.get("id")) for r in resources]
    if len(set(keys)) != len(keys):
        prepared.error = f"{path}: the same resource (type and id) appears more than once"
        return prepared
    for resource in resources:
        # only errors decide: warning-level invariants are not evaluated (the same errors either way);
        # stored, so checked as a REST write is
        issues = validate_resource(resource, warnings=False, write=True)
        if has_errors(issues):
            name = f"{resource.get('resourceType')}/{resource.get('id')}"
            first = next(i for i in issues if i.severity in ("error", "fatal"))
            prepared.invalid.append(f"{path}: {name}: {first.expression}: {first.message}")
        else:
            prepared.resources.append(resource)
    if for_store:
        _await_settings()  # convert + validate ran meanwhile
        from fhir_service.search.indexer import packed_rows
        from fhir_service.search.registry import registry
        from fhir_service.store.serialized import Serialized

        reg = registry()
        prepared.index_rows = {
            (r["resourceType"], r["id"]): packed_rows(reg, r, _dialect) for r in prepared.resources
        }
        prepared.resources = [Serialized(r) for r in prepared.resources]
    return prepared


def prepare_for_store(path: Path) -> Prepared:
    """prepare() plus the search index rows and the resources serialized, so the single writer
    only runs SQL."""
    return prepare(path, for_store=True)


_dialect: str | None = None  # the database's, for the full-text row's values (search.text)
worker_settings = None  # a worker's queue for (definitions, dialect) from the parent (Workers)
_STOPPED = object()


def init_worker(definitions: list[dict], dialect: str) -> None:
    """A worker indexes with the registry the database has enabled (stored SearchParameters)."""
    from fhir_service.search.registry import use_stored_parameters

    global _dialect
    _dialect = dialect
    use_stored_parameters(definitions)


def _await_settings() -> None:
    """In a worker started before the parent read the database: its search parameters, from the
    file whose name the parent sends once per worker (Workers.configure); None when the parent
    stopped before it could say."""
    global worker_settings
    if worker_settings is not None and worker_settings is not _STOPPED:
        received, worker_settings = worker_settings.get(), None
        if received is None:  # and for the files still queued to this worker: no second message
            worker_settings = _STOPPED
        else:
            init_worker(*pickle.loads(Path(received).read_bytes()))
    if worker_settings is _STOPPED:
        raise RuntimeError("ingest stopped before its workers were told the search parameters")


def _convert(path: Path, prepared: Prepared) -> list[dict]:
    from mappings.convert import convert_file

    conversion = convert_file(path)
    if not conversion.resources:
        prepared.no_content = f"{path}: {conversion.monograph.no_content_reason or 'no clinical content'}"
    return conversion.resources


def fhir_resources(path: Path) -> list[dict]:
    """The resources in a FHIR file: a Bundle's entries (for transaction/batch/collection...), or the resource."""
    data = path.read_bytes()
    resource = parse_xml(data) if path.suffix == ".xml" else parse_json(data)
    if getattr(resource, "document_issues", 0):  # what only the XML showed wrong: the file is refused whole
        first = next(i for i in validate_resource(resource) if i.severity in ("error", "fatal"))
        raise FormatError(f"{first.expression}: {first.message}")
    if resource["resourceType"] != "Bundle" or resource.get("type") not in ENTRY_BUNDLES:
        return [_with_id(resource, None)]
    if any(_server_assigned(entry) for entry in resource.get("entry", [])):
        raise NotIngestible(
            "a Bundle of conditional creates (server-assigned ids) cannot be ingested idempotently; "
            "send it to a server with `fhir-service load`"
        )
    out = []
    for entry in resource.get("entry", []):
        if "resource" in entry and entry.get("request", {}).get("method", "PUT") in ("PUT", "POST"):
            out.append(_with_id(entry["resource"], entry.get("request", {}).get("url")))
    return out


def _server_assigned(entry: dict) -> bool:
    request = entry.get("request", {})
    return request.get("method") == "POST" and "id" not in entry.get("resource", {})


def _with_id(resource: dict, request_url: str | None) -> dict:
    """Ingest is idempotent only by id: take it from the resource or a `PUT Type/id` request."""
    if "id" not in resource and request_url and "/" in request_url and "?" not in request_url:
        resource = {**resource, "id": request_url.rsplit("/", 1)[1]}
    if "id" not in resource:
        raise FormatError(f"a {resource.get('resourceType')} without an id cannot be ingested idempotently")
    return resource
