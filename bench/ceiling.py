"""The ceiling: a bare Flask view that returns the read-by-id case's exact bytes and headers, under
the same gunicorn settings as `fhir-service serve`. Whatever the service costs beyond this is ours.

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
    from gunicorn.app.base import BaseApplication

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--response", type=Path, required=True)
    args = parser.parse_args(argv)
    spec = json.loads(args.response.read_text())
    app = create_app(spec["path"], Path(spec["body_file"]).read_bytes(), spec["headers"])
    options = {"bind": f"{args.host}:{args.port}", "workers": args.workers, **gunicorn_settings()}

    class Ceiling(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    Ceiling().run()


def gunicorn_settings() -> dict:
    """`fhir-service serve`'s gunicorn settings other than bind/workers, as in fhir_service/cli/serve.py
    (it builds them inline; keep the two equal, or the ratio compares different servers)."""
    return {
        "worker_class": "gthread",
        "threads": 4,
        "keepalive": 5,
        "timeout": 120,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }


if __name__ == "__main__":
    main()
