"""Worker processes that prepare input files (prepare.py) a few files ahead of the single writer."""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import pickle
import tempfile
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fhir_service.ingest import prepare as prepared_files
from fhir_service.ingest.prepare import init_worker, input_files, prepare_for_store

FILES_PER_TRANSACTION = 20
# Files submitted ahead of the writer: more than a transaction's worth, so the workers keep
# preparing the next transaction while the writer stores one; ~60 kB each
FILES_AHEAD = 2 * FILES_PER_TRANSACTION


class Workers:
    """Prepared files (prepare_for_store) in input order, from worker processes that run at most a
    few files ahead of the writer, so memory stays flat however large the corpus (Executor.map
    would submit everything at once).

    Started before the parent's own imports and database work (`fhir-service ingest` does so first
    thing): the first file is converted and validated here, which loads the definitions, models and
    caches once for every worker (forked after it, frozen for the garbage collector:
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
        context = multiprocessing.get_context("fork")  # the warm parent's memory, shared
        if dialect is not None:  # forked before the parent knows the search parameters: sent later
            init_worker([], dialect)
            self._queue = context.SimpleQueue()
        prepare_for_store(self.files[0])  # the warm-up (its result is prepared again by a worker)
        gc.freeze()
        prepared_files.worker_settings = self._queue
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
