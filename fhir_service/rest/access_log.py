"""Structured request logging: one JSON line per request on the `fhir_service.access` logger."""

from __future__ import annotations

import json
import logging
import sys
import time

from flask import Flask, g, request

logger = logging.getLogger("fhir_service.access")


def install(app: Flask) -> None:
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response):
        if logger.isEnabledFor(logging.INFO):
            started = g.get("request_started", time.perf_counter())
            logger.info(
                json.dumps(
                    {
                        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "method": request.method,
                        "path": request.full_path.rstrip("?"),
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "bytes": response.calculate_content_length(),
                        "remote": request.remote_addr,
                    }
                )
            )
        return response
