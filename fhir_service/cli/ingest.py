"""`fhir-service ingest PATH...`: monographs and FHIR files (resources or Bundles, JSON or XML) into
the store, validated, idempotently (see fhir_service.store.sync).

Reading, converting and validating a file is pure work, done in worker processes when there are
many files; a single writer stores the results in transactions of several files each.
"""

from __future__ import annotations

import gc
import itertools
import os
import pickle
import tempfile
import time
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import click

from fhir_service.formats import FormatError, parse_json, parse_xml
from fhir_service.validation import has_errors, validate_resource

FHIR_SUFFIXES = {".json", ".xml"}
ENTRY_BUNDLES = {"transaction", "batch", "collection", "searchset", "history"}
FILES_PER_TRANSACTION = 20
ANALYZE_FROM = 2_000  # PostgreSQL: refresh the lookups' statistics at 2,000 stored resources, 4,000, ...
# Files submitted ahead of the writer: more than a transaction's worth, so the workers keep
# preparing the next transaction while the writer stores one (with 8 they stopped after 8 files
# and writer and workers took turns); ~60 kB each
FILES_AHEAD = 2 * FILES_PER_TRANSACTION
# The last files: smaller transactions, so what is left to store once the workers are done (when a
# core idles) is a few files, not up to a whole transaction's worth
TAIL_FILES = 2 * FILES_PER_TRANSACTION
TAIL_PER_TRANSACTION = 4


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


@dataclass
class Summary:
    files: int = 0
    counts: Counter = field(default_factory=Counter)
    invalid: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    no_content: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.failed

    @property
    def resources(self) -> int:
        return sum(self.counts[k] for k in ("created", "updated", "unchanged"))

    def lines(self) -> list[str]:
        rate = self.resources / self.seconds if self.seconds else 0.0
        c = self.counts
        out = [
            f"files: {self.files}  resources: {self.resources}  ({rate:,.0f} resources/s, {self.seconds:.1f} s)",
            f"created: {c['created']}  updated: {c['updated']}  unchanged: {c['unchanged']}  deleted: {c['deleted']}",
            f"invalid (not stored): {len(self.invalid)}  failed files: {len(self.failed)}  "
            f"without clinical content: {len(self.no_content)}  skipped: {len(self.skipped)}",
        ]
        out += [f"  INVALID {line}" for line in self.invalid[:50]]
        out += [f"  FAILED {line}" for line in self.failed]
        out += [f"  NO CONTENT {line}" for line in self.no_content]
        out += [f"  SKIPPED {line}" for line in self.skipped]
        return out


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
        issues = validate_resource(resource)
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
_settings = None  # a worker's queue for (definitions, dialect) from the parent (Workers)
_STOPPED = object()


def _init_worker(definitions: list[dict], dialect: str) -> None:
    """A worker indexes with the registry the database has enabled (stored SearchParameters)."""
    from fhir_service.search.registry import use_stored_parameters

    global _dialect
    _dialect = dialect
    use_stored_parameters(definitions)


def _await_settings() -> None:
    """In a worker started before the parent read the database: its search parameters, from the
    file whose name the parent sends once per worker (Workers.configure); None when the parent
    stopped before it could say."""
    global _settings
    if _settings is not None and _settings is not _STOPPED:
        received, _settings = _settings.get(), None
        if received is None:  # and for the files still queued to this worker: no second message
            _settings = _STOPPED
        else:
            _init_worker(*pickle.loads(Path(received).read_bytes()))
    if _settings is _STOPPED:
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


def run_ingest(
    paths,
    repo,
    *,
    jobs: int | None = None,
    workers: Workers | None = None,
    progress: bool = True,
    echo=click.echo,
) -> Summary:
    """`workers`: started earlier for these paths (the ingest command starts them before its own
    imports and database work); else started here (`jobs` processes, default: CPUs, max 4)."""
    from sqlalchemy import text

    from fhir_service.search.active import enabled_definitions
    from fhir_service.search.registry import use_stored_parameters
    from fhir_service.store.database import INGEST_PENDING_LIST, refresh_statistics
    from fhir_service.store.sync import sync_sources

    files = workers.files if workers is not None else input_files(paths)
    summary = Summary(files=len(files))
    started = time.perf_counter()
    with repo.unit_of_work(write=False) as uow:
        definitions = enabled_definitions(uow.session)
    rows_registry = use_stored_parameters(definitions)  # what the workers index with
    _init_worker(definitions, repo.engine.dialect.name)
    workers = workers or Workers(files, jobs)
    workers.configure(definitions, repo.engine.dialect.name)
    results = workers.results()
    gc.freeze()  # what this process imported since: not walked by collections while it unpickles
    batch: list[Prepared] = []
    analyze_at = ANALYZE_FROM

    def flush():
        nonlocal analyze_at
        with repo.unit_of_work() as uow:
            if not repo.sqlite:
                # no wait for the WAL flush at each commit: a crash loses at most the last few
                # transactions (never consistency), and the ingest is idempotent - run it again
                uow.session.execute(text("SET LOCAL synchronous_commit = off"))
                # full-text entries merged into the GIN indexes in large batches, not 64 kB ones
                # (a sixth of PostgreSQL's CPU); refresh_statistics empties the lists at the end
                uow.session.execute(text(f"SET LOCAL gin_pending_list_limit = '{INGEST_PENDING_LIST}'"))
            summary.counts.update(
                sync_sources(uow, [(i.source, i.resources, i.index_rows) for i in batch], rows_registry)
            )
        batch.clear()
        if not repo.sqlite and summary.resources >= analyze_at:
            # planner statistics of a table that grew from empty: on none PostgreSQL reads every
            # row for each batch's lookups (id IN (...)) and a x20 ingest slows down as it goes
            with repo.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE resource, ingest_member")
            analyze_at = 2 * summary.resources

    try:
        with click.progressbar(
            results, length=len(files), label="ingest", file=None if progress else _Null()
        ) as bar:
            for seen, item in enumerate(bar, 1):
                summary.invalid += item.invalid
                if item.error:
                    summary.failed.append(item.error)
                    continue
                if item.skipped:
                    summary.skipped.append(item.skipped)
                    continue
                if item.no_content:
                    summary.no_content.append(item.no_content)
                batch.append(item)
                tail = len(files) - seen < TAIL_FILES
                if len(batch) >= (TAIL_PER_TRANSACTION if tail else FILES_PER_TRANSACTION):
                    flush()
            if batch:
                flush()
    finally:
        workers.close()
    if summary.counts["created"] or summary.counts["updated"] or summary.counts["deleted"]:
        refresh_statistics(repo.engine)
    summary.seconds = time.perf_counter() - started
    return summary


class Workers:
    """Prepared files (prepare_for_store) in input order, from worker processes that run at most a
    few files ahead of the writer, so memory stays flat however large the corpus (Executor.map
    would submit everything at once).

    Started before the parent's own imports and database work (`fhir-service ingest` does so first
    thing): the first file is converted and validated here, which loads the definitions, models and
    caches (~0.3 CPU-s) once for every worker (forked after it, frozen for the garbage collector:
    its full collections, triggered by the many dicts each file makes, were most of the writer's
    unpickling time); the workers then convert and validate on the other core while the parent
    connects, and wait for the search parameters (configure) only to index. One job: the parent
    prepares each file itself."""

    def __init__(self, paths, jobs: int | None = None, dialect: str | None = None):
        """`dialect`: the database's, when the workers start before its search parameters are read
        (they warm up with the core ones and get the database's from configure)."""
        self.files = input_files(paths)
        # Preparing (convert + validate + index rows) costs several times what storing does: on
        # 2 cores both run workers and the writer takes what they leave.
        self.jobs = jobs or (min(os.cpu_count() or 1, 4) if len(self.files) > 4 else 1)
        self._pool = self._queue = self._file = None
        self._closed = False
        self._window: deque = deque()
        self._pending = iter(self.files)
        if self.jobs <= 1 or len(self.files) <= 1:
            return
        global _settings
        import multiprocessing

        context = multiprocessing.get_context("fork")  # the warm parent's memory, shared
        if dialect is not None:  # forked before the parent knows the search parameters: sent later
            _init_worker([], dialect)
            self._queue = context.SimpleQueue()
        prepare_for_store(self.files[0])  # the warm-up (its result is prepared again by a worker)
        gc.freeze()
        _settings = self._queue
        self._pool = ProcessPoolExecutor(self.jobs, mp_context=context)
        for path in itertools.islice(self._pending, max(FILES_AHEAD, 4 * self.jobs)):
            self._window.append(self._pool.submit(prepare_for_store, path))

    def configure(self, definitions: list[dict], dialect: str) -> None:
        """The search parameters the database has enabled, for each worker: written to a file whose
        name is the message (a short one: putting a megabyte on the queue would block until a
        worker reads it, forever if that worker had died)."""
        if self._queue is None or self._file is not None:
            return
        fd, self._file = tempfile.mkstemp(prefix="fhir-ingest-", suffix=".pickle")
        with os.fdopen(fd, "wb") as out:
            pickle.dump((definitions, dialect), out)
        for _ in range(self.jobs):
            self._queue.put(self._file)

    def results(self):
        """The prepared files; the caller closes the workers (run_ingest, when it is done)."""
        if self._pool is None:
            yield from map(prepare_for_store, self._pending)
            return
        while self._window:
            done = self._window.popleft().result()
            for path in itertools.islice(self._pending, 1):
                self._window.append(self._pool.submit(prepare_for_store, path))
            yield done

    def close(self) -> None:
        """Stops the workers (a worker still waiting for configure is told to give up); what was
        frozen for the garbage collector is collectable again."""
        if self._closed:
            return
        self._closed = True
        if self._pool is not None:
            if self._queue is not None and self._file is None:
                for _ in range(self.jobs):
                    self._queue.put(None)
            self._pool.shutdown(cancel_futures=True)
        if self._file is not None:
            Path(self._file).unlink(missing_ok=True)
        gc.unfreeze()


class _Null:
    def write(self, _):
        pass

    def flush(self):
        pass


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--jobs", type=int, default=None, help="Worker processes for convert+validate (default: CPUs, max 4)."
)
@click.option("--no-progress", is_flag=True, help="No progress bar (logs, CI).")
def ingest(paths, jobs, no_progress):
    """Convert, validate and store monographs and FHIR resources/Bundles (idempotent)."""
    from sqlalchemy.engine import make_url

    from fhir_service.store.database import database_url

    # first: the workers convert and validate while this process imports and connects
    workers = Workers(paths, jobs, dialect=make_url(database_url()).get_backend_name())
    try:
        from fhir_service.search.maintenance import publish_custom_parameters
        from fhir_service.store import migrate
        from fhir_service.store.database import make_engine
        from fhir_service.store.repository import Repository

        repo = Repository(make_engine(database_url()))
        if not migrate.at_head(repo.engine):
            migrate.upgrade(database_url())
        with repo.unit_of_work() as uow:  # the service's own SearchParameters, served like any resource
            publish_custom_parameters(uow)
        summary = run_ingest(paths, repo, workers=workers, progress=not no_progress)
    finally:
        workers.close()
    for line in summary.lines():
        click.echo(line, err=True)
    raise SystemExit(0 if summary.ok else 1)
