"""The Flask application factory: configuration, repository, routes, error handlers, logging."""

from __future__ import annotations

import os

from flask import Flask, request

from fhir_service.auth import config as auth_config
from fhir_service.rest import access_log, allocator, auth, bulk, errors, openapi, versioned
from fhir_service.rest.kept_searches import MAX_BYTES as MAX_KEPT_SEARCH_BYTES
from fhir_service.rest.routes import api
from fhir_service.store.database import database_url, make_engine
from fhir_service.store.errors import connection_lost
from fhir_service.store.repository import Repository

DEFAULT_MAX_BODY = 10 * 1024 * 1024
DEFAULT_MAX_BUNDLE = 256 * 1024 * 1024  # POST /fhir transaction/batch


def default_config() -> dict:
    return {
        "DATABASE_URL": database_url(),
        "MAX_CONTENT_LENGTH": int(os.environ.get("FHIR_SERVICE_MAX_BODY_BYTES", DEFAULT_MAX_BODY)),
        "MAX_BUNDLE_BYTES": int(os.environ.get("FHIR_SERVICE_MAX_BUNDLE_BYTES", DEFAULT_MAX_BUNDLE)),
        "BASE_URL": os.environ.get("FHIR_SERVICE_BASE_URL") or None,
        "ACCESS_LOG": os.environ.get("FHIR_SERVICE_ACCESS_LOG", "1") != "0",
        "KEPT_SEARCH_BYTES": int(os.environ.get("FHIR_SERVICE_KEPT_SEARCH_BYTES", MAX_KEPT_SEARCH_BYTES)),
        "AUTH": auth_config.from_env(),  # FHIR_SERVICE_AUTH, ..._TOKENS_FILE, ..._SMART_*, ..._CORS_ORIGINS
    }


def create_app(config: dict | None = None) -> Flask:
    allocator.tune()  # before the request threads start: see allocator.py
    app = Flask(__name__)
    app.config.update(default_config())
    app.config.update(config or {})
    app.json.sort_keys = False
    app.url_map.strict_slashes = False
    repository = app.config.get("REPOSITORY") or Repository(make_engine(app.config["DATABASE_URL"]))
    app.extensions["fhir_repository"] = repository
    app.wsgi_app = versioned.VersionBases(app.wsgi_app)  # inside the fast read path (routes.py installs it)
    app.register_blueprint(api, url_prefix="/fhir")
    app.register_blueprint(bulk.blueprint, url_prefix="/fhir")
    app.extensions["fhir_operations"] = (bulk.EXPORT,)  # what /metadata and /api-docs announce
    app.register_blueprint(openapi.blueprint, url_prefix="/fhir")
    errors.install(app)
    app.dispatch_request = _reads_retried(app, app.dispatch_request)
    if app.config["ACCESS_LOG"]:
        access_log.install(app)
    auth.install(app, app.config["AUTH"])  # mode none without CORS: installs nothing
    return app


# A read on a connection the database dropped is sent once more, on a new connection: a read is
# safe to repeat. A write is not (its answer is a 503 with Retry-After: errors.py, repository.py).
READ_METHODS = {"GET", "HEAD"}
READ_ENDPOINTS = {"fhir.type_search_post"}


def _reads_retried(app: Flask, dispatch):
    def dispatch_request():
        try:
            return dispatch()
        except Exception as exc:
            if not (request.method in READ_METHODS or request.endpoint in READ_ENDPOINTS):
                raise
            if not connection_lost(exc):
                raise
        app.extensions["fhir_repository"].forget_thread_connection()
        return dispatch()

    return dispatch_request
