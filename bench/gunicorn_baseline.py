"""The baseline: the service as `fhir-service serve` ran it before granian, measured in the same
bench run as the new server (gunicorn gthread, its workers x threads per database, and the worker
that spread a burst of keep-alive connections over the workers).

Every gthread worker polls the one listening socket and the first to wake takes a new connection.
A client's keep-alive connections (wrk's) arrive in a burst and stay with whoever took them; 8 of
them on one of 2 workers run on one core. Here a worker that holds as many connections as it has
threads stops accepting for HEAD_START, so an emptier sibling takes the new connection first.

Run by the harness as: python -m bench.gunicorn_baseline --port P --database-url URL, and with
--ceiling FILE (bench/ceiling.py's response file) for the ceiling as it was: a bare Flask view
returning the read's bytes under the same gunicorn settings.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from gunicorn.workers.gthread import ThreadWorker

# Longer than the GIL switch interval: a sibling whose request threads hold the GIL still
# gets to its poll loop in time.
HEAD_START = 0.010


class BalancedThreadWorker(ThreadWorker):
    _paused_until = 0.0  # monotonic time; 0: not paused

    def accept(self, listener):
        if self.nr_conns >= self.cfg.threads and not self._paused_until:
            self._paused_until = time.monotonic() + HEAD_START
            super().set_accept_enabled(False)
            return
        super().accept(listener)

    def set_accept_enabled(self, enabled):
        # run() re-enables accepting on every loop turn while it has room: not before the pause ends.
        if enabled and self._paused_until:
            if time.monotonic() < self._paused_until:
                return
            self._paused_until = 0.0
            super().set_accept_enabled(True)
            for listener in self.sockets:  # the connection no sibling took, if it still waits
                super().accept(listener)  # EAGAIN (ignored) when it has gone
            return
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        remaining = self._paused_until - time.monotonic()
        if remaining > 0:  # wake when the pause ends, not after run()'s 1 s
            timeout = min(timeout, remaining)
        super().wait_for_and_dispatch_events(timeout)


def concurrency(url: str) -> tuple[int, int]:
    """The workers x threads the gunicorn `serve` chose: SQLite one worker per core (at least 2)
    x 4 threads, PostgreSQL two per core x 2, at most 8 workers."""
    from sqlalchemy.engine import make_url

    from fhir_service.rest.server import cores

    if make_url(url).get_backend_name() == "sqlite":
        return max(2, min(cores(), 8)), 4
    return max(2, min(2 * cores(), 8)), 2


def _flask_ceiling(spec: dict):
    from flask import Flask, Response

    app = Flask(__name__)
    body = Path(spec["body_file"]).read_bytes()

    @app.get(spec["path"])
    def read():
        return Response(body, status=200, headers=spec["headers"])

    return app


def main(argv: list[str] | None = None) -> None:
    from gunicorn.app.base import BaseApplication

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--ceiling", type=Path, default=None, help="serve a bare Flask view instead")
    args = parser.parse_args(argv)
    os.environ["FHIR_SERVICE_DATABASE_URL"] = args.database_url
    workers, threads = concurrency(args.database_url)
    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": workers,
        "worker_class": "bench.gunicorn_baseline.BalancedThreadWorker",
        "threads": threads,
        "keepalive": 5,
        "timeout": 120,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }

    class Baseline(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            if args.ceiling is not None:
                return _flask_ceiling(json.loads(args.ceiling.read_text()))
            from fhir_service.rest.app import create_app

            return create_app()  # in each worker, after the fork, as serve did

    Baseline().run()


if __name__ == "__main__":
    main()
