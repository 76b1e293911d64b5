"""The app as a granian worker builds it (rest/server.py: served_app)."""

from __future__ import annotations

import gc

from fhir_service.rest.server import RequestLimits, served_app
from fhir_service.store import migrate


def test_a_worker_freezes_what_start_up_built(database_url_factory, monkeypatch):
    url = database_url_factory()
    migrate.upgrade(url)
    monkeypatch.setenv("FHIR_SERVICE_DATABASE_URL", url)
    monkeypatch.setenv("FHIR_SERVICE_ACCESS_LOG", "0")
    gc.unfreeze()
    app = None
    try:
        app = served_app()
        assert isinstance(app, RequestLimits)
        assert gc.get_freeze_count() > 10_000  # the app, its definitions and registries
    finally:
        gc.unfreeze()
        if app is not None:
            app.wsgi_app.extensions["fhir_repository"].dispose()
