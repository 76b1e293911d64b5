"""Structured request logging: one JSON line per request on stderr.

Cost matters here: it runs on every request. The first version built a LogRecord, json.dumps'ed a dict
and handed it to a QueueListener thread; that was ~180 µs of CPU per request (half of a read by id),
most of it the listener thread waking for every line and taking the GIL from the request threads.
Now a request thread formats the line with one %-format (json.dumps only for the path, the one field
a client controls) and appends it to a list; one flusher thread per process writes what has gathered
every FLUSH_SECONDS with a single os.write, and at exit. A line is on stderr at most FLUSH_SECONDS after
its response.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import sys
import threading
import time

from flask import Flask

FLUSH_SECONDS = 0.2
MAX_PATH = 2000  # keeps a line (and so each os.write chunk boundary) sane for absurd URLs
_LINE = '{"ts":"%s","method":"%s","path":%s,"status":%d,"ms":%.2f,"bytes":%s,"remote":"%s"}\n'


class _Writer:
    """Lines gathered by request threads (deque.append/popleft are atomic), written by one thread."""

    def __init__(self, fd: int):
        self.fd = fd
        self.lines: collections.deque[str] = collections.deque()
        self._pid = 0
        self._lock = threading.Lock()  # only between the flusher and an exit-time flush

    def add(self, line: str) -> None:
        if self._pid != os.getpid():  # first line in this process (gunicorn forks after import)
            self._start()
        self.lines.append(line)

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self.lines.clear()  # the parent's unwritten lines are the parent's to write
            threading.Thread(target=self._run, name="access-log", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending = self.lines
            lines = [pending.popleft() for _ in range(len(pending))]
            if not lines:
                return
            data = "".join(lines).encode("utf-8", "backslashreplace")
            try:
                while data:
                    data = data[os.write(self.fd, data) :]
            except OSError:
                pass  # stderr gone (closed pipe): logging must never fail a request


_writer: _Writer | None = None
_stamp = [0, ""]  # [second, its ISO text]: strftime once a second, not once a request


def _now_iso() -> str:
    second = int(time.time())
    if _stamp[0] != second:
        _stamp[1] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        _stamp[0] = second
    return _stamp[1]


def line(method: str, path: str, status: int, ms: float, size: int | None, remote: str | None) -> str:
    """One access log line (JSON): ts, method, path, status, ms, bytes, remote."""
    return _LINE % (
        _now_iso(),
        method,
        json.dumps(path[:MAX_PATH]),
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
    if _writer is None:  # once per process; gunicorn builds the app in each worker, after the fork
        _writer = _Writer(_stderr_fd())
        atexit.register(_writer.flush)
    app.wsgi_app = _AccessLog(app.wsgi_app, _writer)


class _AccessLog:
    def __init__(self, wsgi_app, writer: _Writer):
        self.wsgi_app, self.writer = wsgi_app, writer

    def __call__(self, environ, start_response):
        started = time.perf_counter()

        def logged_start_response(status, headers, exc_info=None):
            size = next((v for k, v in headers if k.lower() == "content-length"), None)
            self.writer.add(
                line(
                    environ.get("REQUEST_METHOD", ""),
                    _path(environ),
                    int(status[:3]),
                    (time.perf_counter() - started) * 1000,
                    int(size) if size is not None and size.isdigit() else None,
                    environ.get("REMOTE_ADDR"),
                )
            )
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, logged_start_response)


def _path(environ) -> str:
    """As werkzeug's request.full_path (without a bare '?'): PATH_INFO is latin-1-decoded UTF-8."""
    raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    path = raw.encode("latin-1", "replace").decode("utf-8", "replace")
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path
