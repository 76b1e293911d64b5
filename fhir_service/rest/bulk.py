"""Bulk Data export routes (FHIR Bulk Data Access IG), mounted at /fhir by the app factory:

    GET    /fhir/$export                    kick-off (Prefer: respond-async) → 202 + Content-Location
    GET    /fhir/bulkstatus/<job>           202 + X-Progress/Retry-After while running, then the manifest
    DELETE /fhir/bulkstatus/<job>           cancel → 202; later polls → 404
    GET    /fhir/bulkfiles/<job>/<file>     an output file (application/fhir+ndjson)

The work happens in fhir_service.bulk (job state in the database, a worker thread per process).
With authorization on (fhir_service.auth), the kick-off needs read and search scopes for every
exported type (every type without `_type`), and a job is bound to the client that started it: status,
cancel and files need a valid token of that client (any other gets 404, as for an unknown job).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from flask import Blueprint, Response, current_app, json, request, send_file
from werkzeug.http import http_date

from fhir_service.auth.context import current_grant
from fhir_service.bulk.export import manifest
from fhir_service.bulk.jobs import ACCEPTED, CANCELLED, COMPLETED, ERROR, RETENTION, RUNNING, Job, JobStore
from fhir_service.bulk.kickoff import parse_kickoff
from fhir_service.bulk.worker import ExportWorker, job_dir
from fhir_service.interactions.errors import FhirError, not_found
from fhir_service.rest.responses import base_url

blueprint = Blueprint("bulk", __name__)
RETRY_AFTER_SECONDS = 2


def bulk_dir() -> Path:
    configured = current_app.config.get("BULK_DIR") or os.environ.get("FHIR_SERVICE_BULK_DIR") or "var/bulk"
    return Path(configured).resolve()


def worker() -> ExportWorker:
    """This process's export worker (created on first use, after any gunicorn fork)."""
    extensions = current_app.extensions
    if "fhir_bulk_worker" not in extensions:
        engine = extensions["fhir_repository"].engine
        extensions["fhir_bulk_worker"] = ExportWorker(engine, bulk_dir())
    return extensions["fhir_bulk_worker"]


def store() -> JobStore:
    return worker().store


def client() -> str | None:
    """Who asks (a digest of the token's client), None with authorization off."""
    grant = current_grant()
    return None if grant is None else hashlib.sha256(grant.client.encode()).hexdigest()


def own_job(job_id: str) -> Job | None:
    """The job, unless another client started it: with authorization on only its client may poll,
    cancel or download, and to others it does not exist (404, so a job URL reveals nothing)."""
    job = store().get(job_id)
    if job is None or ("fhir_auth" in current_app.extensions and job.owner != client()):
        return None
    return job


@blueprint.get("/$export")
def kickoff():
    export = parse_kickoff(list(request.args.items(multi=True)), request.headers.get("Prefer"))
    job = store().create(export, request.url, base_url(), owner=client())
    worker().wake()
    return Response(status=202, headers={"Content-Location": f"{base_url()}/bulkstatus/{job.id}"})


@blueprint.get("/bulkstatus/<job_id>")
def status(job_id):
    worker().ensure_started()  # so a job whose process died is picked up by whoever is polled
    job = own_job(job_id)
    if job is None or job.status == CANCELLED:
        raise not_found(f"No export job {job_id}")
    if job.status in (ACCEPTED, RUNNING):
        progress = job.progress if job.status == RUNNING else "queued"
        return Response(
            status=202,
            headers={"X-Progress": progress or "in progress", "Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if job.status == ERROR:
        raise FhirError(500, f"Export failed: {job.error}", "exception")
    assert job.status == COMPLETED
    headers = {"Expires": http_date(job.finished_at + RETENTION)} if job.finished_at else {}
    body = manifest(job)
    if "fhir_auth" in current_app.extensions:  # authorization is on: files need the bearer token too
        body["requiresAccessToken"] = True
    return Response(json.dumps(body), status=200, headers=headers, content_type="application/json")


@blueprint.delete("/bulkstatus/<job_id>")
def cancel(job_id):
    if own_job(job_id) is None or not store().cancel(job_id):
        raise not_found(f"No export job {job_id}")
    shutil.rmtree(job_dir(bulk_dir(), job_id), ignore_errors=True)
    return Response(status=202)


@blueprint.get("/bulkfiles/<job_id>/<name>")
def output_file(job_id, name):
    job = own_job(job_id)
    if job is None or job.status != COMPLETED or name not in {o["file"] for o in job.output}:
        raise not_found(f"No export file {job_id}/{name}")
    path = job_dir(bulk_dir(), job_id) / name
    if not path.is_file():
        raise not_found(f"Export file {job_id}/{name} is gone")
    return send_file(path, mimetype="application/fhir+ndjson")
