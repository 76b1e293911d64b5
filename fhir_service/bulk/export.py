"""Running one export job: the store as it was at the job's transactionTime, as ndjson files.

Each resource's stored JSON is already compact (one line), so rows are streamed from the database
straight into the files: memory stays flat however large the store. A resource changed after
transactionTime is exported as the version it had then (from resource_version), so the output is
a consistent snapshot even while clients keep writing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from fhir_service.bulk.jobs import Job
from fhir_service.store.schema import Resource, ResourceVersion

MAX_LINES_PER_FILE = 100_000
PROGRESS_EVERY = 2_000


class Cancelled(Exception):
    """The job was cancelled (or taken over) while it ran."""


def export_types(conn, job: Job) -> list[str]:
    if job.types is not None:
        return list(job.types)
    return list(conn.execute(select(Resource.type).distinct().order_by(Resource.type)).scalars())


def snapshot_rows(conn, rtype: str, at: datetime, since: datetime | None) -> Iterator[bytes]:
    """The JSON of every `rtype` resource live at `at` (and changed at or after `since`)."""
    current = select(Resource.content).where(
        Resource.type == rtype, Resource.deleted.is_(False), Resource.last_updated <= at
    )
    if since is not None:
        current = current.where(Resource.last_updated >= since)
    yield from conn.execution_options(yield_per=500).execute(current.order_by(Resource.pk)).scalars()
    changed_later = select(Resource.pk).where(Resource.type == rtype, Resource.last_updated > at)
    for pk in list(conn.execute(changed_later.order_by(Resource.pk)).scalars()):
        v = ResourceVersion
        then = conn.execute(
            select(v.content, v.deleted, v.last_updated)
            .where(v.resource_pk == pk, v.last_updated <= at)
            .order_by(v.version_id.desc())
            .limit(1)
        ).first()
        if then is not None and not then.deleted and (since is None or then.last_updated >= since):
            yield then.content


def file_name(rtype: str, part: int) -> str:
    return f"{rtype}.ndjson" if part == 1 else f"{rtype}-{part}.ndjson"


def run_export(engine: Engine, job: Job, out_dir: Path, progress: Callable[[str], bool]) -> list[dict]:
    """Write the job's files into out_dir; → manifest output items [{type, file, count}].
    `progress(text)` is called now and then; when it returns False the export stops (Cancelled)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs: list[dict] = []
    written = 0
    with engine.connect() as conn:
        for rtype in export_types(conn, job):
            part, count, handle = 0, 0, None
            try:
                for content in snapshot_rows(conn, rtype, job.transaction_time, job.since):
                    if handle is None or count == MAX_LINES_PER_FILE:
                        if handle is not None:
                            handle.close()
                            outputs.append({"type": rtype, "file": file_name(rtype, part), "count": count})
                        part, count = part + 1, 0
                        handle = (out_dir / file_name(rtype, part)).open("wb")
                    handle.write(content)
                    handle.write(b"\n")
                    count += 1
                    written += 1
                    if written % PROGRESS_EVERY == 0 and not progress(f"{written} resources ({rtype})"):
                        raise Cancelled(job.id)
            finally:
                if handle is not None:
                    handle.close()
            if handle is not None:
                outputs.append({"type": rtype, "file": file_name(rtype, part), "count": count})
    if not progress(f"{written} resources"):
        raise Cancelled(job.id)
    return outputs


def manifest(job: Job) -> dict:
    """The completion manifest (Bulk Data Access IG, "Response - Complete Status")."""
    return {
        "transactionTime": _instant(job.transaction_time),
        "request": job.request,
        "requiresAccessToken": False,
        "output": [
            {"type": o["type"], "url": f"{job.base_url}/bulkfiles/{job.id}/{o['file']}", "count": o["count"]}
            for o in job.output
        ],
        "error": [],
    }


def _instant(t: datetime) -> str:
    from fhir_service.stored import format_instant

    return format_instant(t)
