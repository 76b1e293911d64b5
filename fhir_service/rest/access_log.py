"""Structured request logging: one JSON line per request on stderr.

Cost matters here: it runs on every request. A request thread appends a tuple of what it saw (the
environ's strings, the status, the headers list, two clock readings) to a deque. Once CHUNK_LINES
have gathered, the request thread that sees it formats them into one chunk of JSON lines: under load
the formatting is done by the threads that hold the GIL anyway, where a separate thread doing it took
the GIL from them and each hand-off waited on the scheduler. One flusher thread per process writes
the formatted chunks every FLUSH_SECONDS, formatting what is left itself, and again when the process
exits (a granian worker ends through multiprocessing, which runs its finalizers, not atexit): a write
can block on the disk, and only that thread waits for it. A line is on stderr at most FLUSH_SECONDS
after its response.
"""

from __future__ import annotations

import collections
import multiprocessing.util
import os
import sys
import threading
import time
from json.encoder import encode_basestring_ascii  # json.dumps of a str without its Python-level set-up

from flask import Flask

FLUSH_SECONDS = 0.2
CHUNK_LINES = 64  # lines formatted at a time: one request in this many pays for it
MAX_PATH = 2000  # keeps a line sane for absurd URLs
_LINE = '{"ts":"%s","method":"%s","path":%s,"status":%d,"ms":%.2f,"bytes":%s,"remote":"%s"}\n'


class _Writer:
    """Records appended by request threads (deque.append/popleft are atomic), formatted in order by
    whichever thread holds the lock, written by the flusher."""

    def __init__(self, fd: int):
        self.fd = fd
        self.lines: collections.deque[tuple] = collections.deque()  # records not yet formatted
        self.chunks: collections.deque[bytes] = collections.deque()  # formatted, not yet written
        self.running = False  # this process's flusher started (reset in a forked child)
        self._lock = threading.Lock()  # who formats or writes, so the lines stay in order
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self.running = False
        self.lines.clear()  # the parent's unwritten lines are the parent's to write
        self.chunks.clear()
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self.running = True
            threading.Thread(target=self._run, name="access-log", daemon=True).start()
            multiprocessing.util.Finalize(self, self.flush, exitpriority=0)

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()

    def format_chunk(self) -> None:
        """A request thread's share once a chunk has gathered; skipped (never waited for) while
        another thread formats or writes: the records wait for the next request or the flusher."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._format_chunk(time.time() - time.perf_counter())
        finally:
            self._lock.release()

    def flush(self) -> None:
        """Formats what is left, then writes every chunk (the GIL released while it writes). If
        stderr is gone (a closed pipe), drops what is pending: logging never fails a request."""
        with self._lock:
            wall = time.time() - time.perf_counter()  # perf_counter readings → Unix time
            for _ in range(0, len(self.lines), CHUNK_LINES):
                self._format_chunk(wall)
                time.sleep(0)  # hands the GIL to a request thread that waits for it
            data = b"".join(self.chunks)
            self.chunks.clear()
            try:
                while data:
                    data = data[os.write(self.fd, data) :]
            except OSError:
                self.lines.clear()

    def _format_chunk(self, wall: float) -> None:
        pending = self.lines
        records = [pending.popleft() for _ in range(min(CHUNK_LINES, len(pending)))]
        text = "".join(_format(record, wall) for record in records)
        self.chunks.append(text.encode("utf-8", "backslashreplace"))


_writer: _Writer | None = None
_stamp = [0, ""]  # [second, its ISO text]: strftime once a second, not once a line


def _iso(seconds: float) -> str:
    second = int(seconds)
    if _stamp[0] != second:
        _stamp[1] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        _stamp[0] = second
    return _stamp[1]


def _format(record: tuple, wall: float) -> str:
    started, ended, method, script, path, query, status, headers, remote = record
    size = next((v for k, v in headers if k.lower() == "content-length"), None)
    return line(
        method,
        _path(script, path, query),
        int(status[:3]),
        (ended - started) * 1000,
        int(size) if size is not None and size.isdigit() else None,
        remote,
        started + wall,
    )


def line(
    method: str, path: str, status: int, ms: float, size: int | None, remote: str | None, when: float
) -> str:
    """One access log line (JSON): ts, method, path, status, ms, bytes, remote."""
    return _LINE % (
        _iso(when),
        method,
        encode_basestring_ascii(path[:MAX_PATH]),
        status,
        ms,
        "null" if size is None else size,
        remote or "",
    )


def _stderr_fd() -> int:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a replaced sys.stderr (test capture): the real one
        return 2


def install(app: Flask) -> None:
    """Wraps the WSGI app (not Flask before/after_request hooks: two more hooks per request cost
    more than the whole line)."""
    global _writer
    if _writer is None:  # once per process (a forked worker resets it: _Writer._forked)
        _writer = _Writer(_stderr_fd())
    app.wsgi_app = _AccessLog(app.wsgi_app, _writer)


class _AccessLog:
    def __init__(self, wsgi_app, writer: _Writer):
        self.wsgi_app, self.writer = wsgi_app, writer

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        writer = self.writer

        def logged_start_response(status, headers, exc_info=None):
            writer.lines.append(
                (
                    started,
                    time.perf_counter(),
                    environ.get("REQUEST_METHOD", ""),
                    environ.get("SCRIPT_NAME", ""),
                    environ.get("PATH_INFO", ""),
                    environ.get("QUERY_STRING"),
                    status,
                    headers,
                    environ.get("REMOTE_ADDR"),
                )
            )
            return start_response(status, headers, exc_info)

        if not writer.running:
            writer.start()
        result = self.wsgi_app(environ, logged_start_response)
        if len(writer.lines) >= CHUNK_LINES:
            writer.format_chunk()
        return result


def _path(script: str, path: str, query: str | None) -> str:
    """As werkzeug's request.full_path (without a bare '?'): PATH_INFO is latin-1-decoded UTF-8."""
    path = (script + path).encode("latin-1", "replace").decode("utf-8", "replace")
    return f"{path}?{query}" if query else path
