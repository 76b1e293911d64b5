"""Structured request logging: one JSON line per request on stderr.

Cost matters here: it runs on every request. A request thread appends a tuple of what it saw (the
environ's strings, the status, the headers list, two clock readings) to a deque, and once CHUNK_LINES
have gathered, the request thread that sees it turns them into JSON lines and writes them (one
os.write). Under load the lines are written by the threads that hold the GIL anyway; a separate
thread doing it took the GIL from them, and each hand-off waited on the scheduler. One flusher thread
per process writes what is left every FLUSH_SECONDS, and again when the process exits (a granian
worker ends through multiprocessing, which runs its finalizers, not atexit). A line is on stderr at
most FLUSH_SECONDS after its response.
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
CHUNK_LINES = 64  # lines formatted between two writes (~0.2 ms of one request thread)
MAX_PATH = 2000  # keeps a line (and so each os.write chunk boundary) sane for absurd URLs
_LINE = '{"ts":"%s","method":"%s","path":%s,"status":%d,"ms":%.2f,"bytes":%s,"remote":"%s"}\n'


class _Writer:
    """Records appended by request threads (deque.append/popleft are atomic), written by one thread."""

    def __init__(self, fd: int):
        self.fd = fd
        self.lines: collections.deque[tuple] = collections.deque()
        self.running = False  # this process's flusher started (reset in a forked child)
        self._lock = threading.Lock()  # only between the flusher and an exit-time flush
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self.running = False
        self.lines.clear()  # the parent's unwritten lines are the parent's to write
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

    def write_chunk(self) -> None:
        """A request thread's share: one chunk, unless another thread is writing (it takes these)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._write(min(CHUNK_LINES, len(self.lines)), time.time() - time.perf_counter())
        finally:
            self._lock.release()

    def flush(self) -> None:
        with self._lock:
            wall = time.time() - time.perf_counter()  # perf_counter readings → Unix time
            # A chunk at a time, each written (the GIL released) before the next is formatted: the
            # request threads of this process wait for the GIL while this thread formats.
            for _ in range(0, len(self.lines), CHUNK_LINES):
                if not self._write(min(CHUNK_LINES, len(self.lines)), wall):
                    return
                time.sleep(0)  # hands the GIL to a request thread that waits for it

    def _write(self, count: int, wall: float) -> bool:
        """Formats and writes the first `count` records (the caller holds the lock); False when
        stderr is gone (a closed pipe), and then drops what is pending: logging never fails a request."""
        pending = self.lines
        records = [pending.popleft() for _ in range(count)]
        data = "".join(_format(record, wall) for record in records).encode("utf-8", "backslashreplace")
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:
            pending.clear()
            return False
        return True


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
            writer.write_chunk()
        return result


def _path(script: str, path: str, query: str | None) -> str:
    """As werkzeug's request.full_path (without a bare '?'): PATH_INFO is latin-1-decoded UTF-8."""
    path = (script + path).encode("latin-1", "replace").decode("utf-8", "replace")
    return f"{path}?{query}" if query else path
