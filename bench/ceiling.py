"""The ceiling: a bare WSGI callable that returns the read-by-id case's exact bytes and headers,
under the same granian settings as `fhir-service serve` (rest/server.py's granian_server). Whatever
the service costs beyond this is ours.

Run by the harness as: python -m bench.ceiling --port P --workers N --threads T --response FILE
(FILE is JSON: {"path": ..., "headers": {...}, "body_file": ...}).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

RESPONSE_ENV = "FHIR_SERVICE_BENCH_CEILING_RESPONSE"  # how each granian worker finds the response


def create_app():
    """The WSGI callable (granian's factory, called in each worker): the read's bytes for its path,
    404 for anything else."""
    spec = json.loads(Path(os.environ[RESPONSE_ENV]).read_text())
    body = Path(spec["body_file"]).read_bytes()
    path = spec["path"]
    headers = [*spec["headers"].items(), ("Content-Length", str(len(body)))]
    missing = [("Content-Length", "0")]

    def app(environ, start_response):
        if environ["PATH_INFO"] == path:
            start_response("200 OK", headers)
            return [body]
        start_response("404 Not Found", missing)
        return [b""]

    return app


def main(argv: list[str] | None = None):
    from fhir_service.rest.server import Settings, granian_server

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--response", type=Path, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ[RESPONSE_ENV] = str(args.response.resolve())
    settings = Settings(args.host, args.port, args.workers, args.threads, target="bench.ceiling:create_app")
    granian_server(settings).serve()  # as serve runs its app


if __name__ == "__main__":
    main()
