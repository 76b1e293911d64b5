"""The HTTP server `fhir-service serve` runs: granian (Rust, hyper) through its WSGI interface.

Connections are parsed, kept alive and timed out by granian's event loop, so a client that sends its
headers slowly, or keeps a connection open and idle, costs no Python thread; a request reaches one of
a worker's blocking threads only once its headers are complete. Each worker process builds its own
app (and so its own database engine, kept connections and Bulk export runner) after the fork:
`served_app` is the factory granian calls there.

granian answers what it cannot parse itself, with an empty body (hyper: a malformed request 400, a
request target over 64 KiB 414, more than 100 header fields or headers beyond its buffer 431).
Below those, `RequestLimits` applies gunicorn's limits (request target 4094 bytes, a header field
8190) and 64 distinct header fields, and answers 414/431 with an OperationOutcome, as every other
error.
"""

from __future__ import annotations

import gc
import json
import os
from dataclasses import dataclass

MAX_TARGET = 4094  # bytes of the request target (path and query), as gunicorn's limit_request_line
MAX_FIELD = 8190  # bytes of one header field (name and value), as gunicorn's limit_request_field_size
MAX_FIELDS = 64  # distinct header fields: below hyper's own 100, so the app answers first
HEADER_READ_TIMEOUT_MS = 30_000  # a connection that has not sent its headers by then is closed
KILL_TIMEOUT_S = 30  # on SIGTERM, in-flight requests get this long before the worker is killed
# A blocking thread idle this long ends; at the maximum, threads (and their kept database
# connections) live across quiet spells instead of being torn down and rebuilt.
THREAD_IDLE_TIMEOUT_S = 600
APP_TARGET = "fhir_service.rest.server:served_app"


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    workers: int
    threads: int  # blocking threads per worker: the requests one process runs at once
    target: str = APP_TARGET  # "module:factory", called in each worker after the fork


def granian_server(settings: Settings):
    """The granian server (not started) for `settings`; the bench's ceiling runs under the same."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    return Server(
        settings.target,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.WSGI,
        factory=True,
        workers=settings.workers,
        blocking_threads=settings.threads,
        blocking_threads_idle_timeout=THREAD_IDLE_TIMEOUT_S,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS, keep_alive=True),
        websockets=False,
        log_access=False,  # the app logs one JSON line per request itself (access_log.py)
        log_level=LogLevels.warning,
        workers_kill_timeout=KILL_TIMEOUT_S,
        # a worker that dies (OOM killer, a crash) is replaced, as gunicorn's arbiter does; granian
        # still stops the server when the replacement dies within seconds (a crash loop)
        respawn_failed_workers=True,
    )


def served_app():
    """The service as each granian worker serves it (called in the worker, after the fork). What
    start-up built (definitions, registries, compiled statements) lives as long as the worker: frozen
    out of the garbage collector, a full collection (which holds the GIL, so every request thread
    of the worker waits) walks only what requests made since."""
    from fhir_service.rest.app import create_app

    app = RequestLimits(create_app())
    gc.freeze()
    return app


def _outcome(status: str, message: str, start_response) -> list[bytes]:
    issue = {"severity": "error", "code": "too-long", "diagnostics": message}
    body = json.dumps({"resourceType": "OperationOutcome", "issue": [issue]}).encode()
    headers = [
        ("Content-Type", "application/fhir+json"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
    ]
    start_response(status, headers)
    return [body]


_WSGI_KEYS = frozenset(
    "REQUEST_METHOD SCRIPT_NAME PATH_INFO QUERY_STRING SERVER_PROTOCOL SERVER_NAME SERVER_PORT "
    "SERVER_SOFTWARE GATEWAY_INTERFACE REMOTE_ADDR REMOTE_PORT CONTENT_TYPE CONTENT_LENGTH wsgi.input "
    "wsgi.errors wsgi.url_scheme wsgi.version wsgi.multithread wsgi.multiprocess wsgi.run_once "
    "wsgi.input_terminated".split()
)


class RequestLimits:
    """414/431 OperationOutcomes for a request target or a header field over gunicorn's limits."""

    def __init__(self, wsgi_app, max_target=MAX_TARGET, max_field=MAX_FIELD, max_fields=MAX_FIELDS):
        self.wsgi_app, self.max_target = wsgi_app, max_target
        self.max_field, self.max_fields = max_field, max_fields
        # granian copies the process environment into every environ: one set difference skips it
        self._not_headers = frozenset(k for k in os.environ if not k.startswith("HTTP_")) | _WSGI_KEYS

    def __call__(self, environ, start_response):
        # PATH_INFO arrives percent-decoded: its length is at most the target's as sent
        target = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
        if target > self.max_target:
            message = f"request target longer than {self.max_target} bytes"
            return _outcome("414 URI Too Long", message, start_response)
        fields = 0
        for key in environ.keys() - self._not_headers:
            if key.startswith("HTTP_"):
                fields += 1
                if len(key) + len(environ[key]) > self.max_field:
                    message = f"header field {key[5:].replace('_', '-')} longer than {self.max_field} bytes"
                    return _outcome("431 Request Header Fields Too Large", message, start_response)
        if fields > self.max_fields:
            message = f"more than {self.max_fields} header fields"
            return _outcome("431 Request Header Fields Too Large", message, start_response)
        return self.wsgi_app(environ, start_response)


def cores() -> int:
    """The cores this process may run on (a container's or taskset's cpuset, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
