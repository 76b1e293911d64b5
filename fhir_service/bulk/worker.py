"""The export worker: one daemon thread per server process, started on first use.

It claims runnable jobs through the database (jobs.JobStore.claim), so with several server
workers each process has its own thread and they never run the same job twice; a kick-off wakes
the local thread at once, otherwise threads look for work every POLL_SECONDS.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from pathlib import Path

from sqlalchemy import Engine

from fhir_service.bulk.export import Cancelled, run_export
from fhir_service.bulk.jobs import RETENTION, JobStore
from fhir_service.stored import now

POLL_SECONDS = 5.0
PURGE_EVERY = 60.0
logger = logging.getLogger("fhir_service.bulk")


def job_dir(bulk_dir: Path, job_id: str) -> Path:
    return bulk_dir / job_id


class ExportWorker:
    def __init__(self, engine: Engine, bulk_dir: Path):
        self.store = JobStore(engine)
        self.engine = engine
        self.bulk_dir = bulk_dir
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_purge = 0.0

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="bulk-export", daemon=True)
                self._thread.start()

    def wake(self) -> None:
        self.ensure_started()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while self.run_one():
                    pass
                self.purge_expired()
            except Exception:  # a database hiccup must not kill the thread
                logger.exception("bulk export worker")
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def purge_expired(self, force: bool = False) -> list[str]:
        """Drop jobs (and files) finished more than RETENTION ago, at most once a minute."""
        if not force and time.monotonic() - self._last_purge < PURGE_EVERY:
            return []
        self._last_purge = time.monotonic()
        purged = self.store.purge(now() - RETENTION)
        for job_id in purged:
            shutil.rmtree(job_dir(self.bulk_dir, job_id), ignore_errors=True)
        return purged

    def run_one(self) -> bool:
        """Claim and run one job; False when there was none."""
        job = self.store.claim(self.name)
        if job is None:
            return False
        target = job_dir(self.bulk_dir, job.id)
        shutil.rmtree(target, ignore_errors=True)  # a taken-over job starts afresh
        try:
            outputs = run_export(
                self.engine, job, target, lambda text: self.store.heartbeat(job.id, self.name, text)
            )
        except Cancelled:
            shutil.rmtree(target, ignore_errors=True)
            return True
        except Exception as exc:
            logger.exception("bulk export %s failed", job.id)
            self.store.finish(job.id, self.name, None, f"{type(exc).__name__}: {exc}")
            return True
        if not self.store.finish(job.id, self.name, outputs):
            shutil.rmtree(target, ignore_errors=True)  # cancelled between the last heartbeat and now
        return True
