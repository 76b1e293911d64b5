"""The `bulk_job` table and the job state machine, kept in the database so every server process
sees the same jobs (see the package docstring).

    accepted ──claim──▶ in-progress ──▶ completed | error
        └──────────────── cancel ──────────▶ cancelled (files removed; polls then answer 404)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, String, Text, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from fhir_service.bulk.kickoff import ExportRequest
from fhir_service.store.database import is_sqlite
from fhir_service.store.schema import Base, UtcDateTime
from fhir_service.stored import now

ACCEPTED, RUNNING, COMPLETED, ERROR, CANCELLED = "accepted", "in-progress", "completed", "error", "cancelled"
STALE_AFTER = timedelta(seconds=60)  # a runner that has not beaten its heart this long is presumed dead
RETENTION = timedelta(hours=24)  # finished jobs and their files are purged this long after finishing


class BulkJob(Base):
    __tablename__ = "bulk_job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    request: Mapped[str] = mapped_column(Text)  # the kick-off URL, echoed in the manifest
    base_url: Mapped[str] = mapped_column(String(1024))  # file URLs are built on the base the client used
    types: Mapped[str | None] = mapped_column(Text)  # comma-separated, None = all, "" = none
    since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    transaction_time: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    worker: Mapped[str | None] = mapped_column(String(128))
    progress: Mapped[str | None] = mapped_column(String(200))
    output: Mapped[str | None] = mapped_column(Text)  # JSON [{"type", "file", "count"}]
    error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(64))  # the client that started it (auth on)


@dataclass(frozen=True)
class Job:
    """A detached snapshot of a job row."""

    id: str
    status: str
    request: str
    base_url: str
    types: tuple[str, ...] | None
    since: datetime | None
    transaction_time: datetime
    progress: str | None
    output: list[dict]
    error: str | None
    finished_at: datetime | None = None  # when it completed / failed (its files expire from then)
    owner: str | None = None

    @classmethod
    def of(cls, row: BulkJob) -> Job:
        return cls(
            row.id,
            row.status,
            row.request,
            row.base_url,
            None if row.types is None else tuple(t for t in row.types.split(",") if t),
            row.since,
            row.transaction_time,
            row.progress,
            json.loads(row.output) if row.output else [],
            row.error,
            row.heartbeat_at if row.status in (COMPLETED, ERROR) else None,
            row.owner,
        )


class JobStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    @contextmanager
    def _session(self, write: bool) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            if is_sqlite(self.engine):
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE" if write else "DEFERRED"})
            yield session
            session.commit()

    def create(self, export: ExportRequest, request_url: str, base_url: str, owner: str | None = None) -> Job:
        """A new accepted job; its transactionTime is now (the snapshot the export will show)."""
        stamp = now()
        row = BulkJob(
            id=str(uuid.uuid4()),
            status=ACCEPTED,
            request=request_url,
            base_url=base_url,
            types=None if export.types is None else ",".join(export.types),
            since=export.since,
            transaction_time=stamp,
            created_at=stamp,
            owner=owner,
        )
        with self._session(write=True) as session:
            session.add(row)
            session.flush()
            return Job.of(row)

    def get(self, job_id: str) -> Job | None:
        if not is_job_id(job_id):  # from a URL: PostgreSQL would raise on a NUL
            return None
        with self._session(write=False) as session:
            row = session.get(BulkJob, job_id)
            return None if row is None else Job.of(row)

    def claim(self, worker: str) -> Job | None:
        """Atomically take the oldest runnable job (accepted, or running with a dead runner)."""
        stale = now() - STALE_AFTER
        runnable = or_(
            BulkJob.status == ACCEPTED,
            (BulkJob.status == RUNNING) & (BulkJob.heartbeat_at < stale),
        )
        with self._session(write=False) as session:  # idle polls must not take SQLite's write lock
            candidates = session.scalars(
                select(BulkJob.id).where(runnable).order_by(BulkJob.created_at).limit(5)
            ).all()
        if not candidates:
            return None
        with self._session(write=True) as session:
            for job_id in candidates:
                claimed = session.execute(
                    update(BulkJob)
                    .where(BulkJob.id == job_id, runnable)
                    .values(status=RUNNING, worker=worker, heartbeat_at=now(), progress="starting")
                )
                if claimed.rowcount == 1:
                    return Job.of(session.get(BulkJob, job_id))
        return None

    def heartbeat(self, job_id: str, worker: str, progress: str) -> bool:
        """Record progress; False when the job is no longer ours to run (cancelled or taken over)."""
        with self._session(write=True) as session:
            result = session.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id, BulkJob.status == RUNNING, BulkJob.worker == worker)
                .values(heartbeat_at=now(), progress=progress[:200])
            )
            return result.rowcount == 1

    def finish(self, job_id: str, worker: str, output: list[dict] | None, error: str | None = None) -> bool:
        with self._session(write=True) as session:
            result = session.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id, BulkJob.status == RUNNING, BulkJob.worker == worker)
                .values(
                    status=ERROR if error else COMPLETED,
                    output=json.dumps(output or []),
                    error=error,
                    heartbeat_at=now(),
                    progress="done",
                )
            )
            return result.rowcount == 1

    def purge(self, older_than: datetime) -> list[str]:
        """Delete finished or cancelled jobs last touched before `older_than`; → their ids."""
        done = BulkJob.status.in_((COMPLETED, ERROR, CANCELLED))
        old = func.coalesce(BulkJob.heartbeat_at, BulkJob.created_at) < older_than
        with self._session(write=False) as session:
            ids = list(session.scalars(select(BulkJob.id).where(done, old)))
        if ids:
            with self._session(write=True) as session:
                session.execute(delete(BulkJob).where(BulkJob.id.in_(ids), done))
        return ids

    def cancel(self, job_id: str) -> bool:
        """Mark a job cancelled (its runner notices at the next heartbeat); False if unknown."""
        if not is_job_id(job_id):
            return False
        with self._session(write=True) as session:
            result = session.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id, BulkJob.status != CANCELLED)
                .values(status=CANCELLED)
            )
            return result.rowcount == 1


def is_job_id(value: str) -> bool:
    """Job ids are the uuid4 strings `create` makes."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
