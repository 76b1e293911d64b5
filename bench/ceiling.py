"""The ceiling: a bare Flask view that returns the read-by-id case's exact bytes and headers, under
the same gunicorn settings as `fhir-service serve` (its gunicorn_options). Whatever the service
costs beyond this is ours.

Run by the harness as: python -m bench.ceiling --port P --workers N --response FILE
(FILE is JSON: {"path": ..., "headers": {...}, "body_file": ...}).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from flask import Flask, Response


def create_app(path: str, body: bytes, headers: dict[str, str]) -> Flask:
    app = Flask(__name__)

    @app.get(path)
    def read():
        return Response(body, status=200, headers=headers)

    return app


def main(argv: list[str] | None = None):
    from fhir_service.cli.serve import build_gunicorn, gunicorn_options

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--response", type=Path, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args(argv)
    spec = json.loads(args.response.read_text())
    app = create_app(spec["path"], Path(spec["body_file"]).read_bytes(), spec["headers"])
    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        **gunicorn_options(args.threads),
    }
    build_gunicorn(lambda: app, options).run()  # as serve runs its app


if __name__ == "__main__":
    main()
