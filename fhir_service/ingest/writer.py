"""The single writer of an ingest: prepared files stored in transactions of several files each,
counted in a Summary."""

from __future__ import annotations

import gc
import time
from collections import Counter
from dataclasses import dataclass, field

import click

from fhir_service.ingest.prepare import Prepared, init_worker, input_files
from fhir_service.ingest.workers import FILES_PER_TRANSACTION, Workers

ANALYZE_FROM = 2_000  # PostgreSQL: refresh the lookups' statistics at 2,000 stored resources, 4,000, ...
# The last files: smaller transactions, so what is left to store once the workers are done (when a
# core idles) is a few files, not up to a whole transaction's worth
TAIL_FILES = 2 * FILES_PER_TRANSACTION
TAIL_PER_TRANSACTION = 4


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
    from fhir_service.search.active import enabled_definitions
    from fhir_service.search.registry import use_stored_parameters
    from fhir_service.store.database import analyze_ingested, bulk_load_settings, refresh_statistics
    from fhir_service.store.sync import sync_sources

    files = workers.files if workers is not None else input_files(paths)
    summary = Summary(files=len(files))
    started = time.perf_counter()
    with repo.unit_of_work(write=False) as uow:
        definitions = enabled_definitions(uow.session)
    rows_registry = use_stored_parameters(definitions)  # what the workers index with
    init_worker(definitions, repo.engine.dialect.name)
    workers = workers or Workers(files, jobs)
    workers.configure(definitions, repo.engine.dialect.name)
    results = workers.results()
    gc.freeze()  # what this process imported since: not walked by collections while it unpickles
    batch: list[Prepared] = []
    analyze_at = ANALYZE_FROM

    def flush():
        nonlocal analyze_at
        with repo.unit_of_work() as uow:
            bulk_load_settings(uow.session)
            summary.counts.update(
                sync_sources(uow, [(i.source, i.resources, i.index_rows) for i in batch], rows_registry)
            )
        batch.clear()
        if not repo.sqlite and summary.resources >= analyze_at:
            analyze_ingested(repo.engine)
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


class _Null:
    def write(self, _):
        pass

    def flush(self):
        pass
