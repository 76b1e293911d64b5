"""Bulk Data export routes (FHIR Bulk Data Access IG), mounted at /fhir by the app factory:

    GET    /fhir/$export                    kick-off (Prefer: respond-async) → 202 + Content-Location
    GET    /fhir/bulkstatus/<job>           202 + X-Progress/Retry-After while running, then the manifest
    DELETE /fhir/bulkstatus/<job>           cancel → 202; later polls → 404
    GET    /fhir/bulkfiles/<job>/<file>     an output file (application/fhir+ndjson)

The work happens in fhir_service.bulk (job state in the database, a worker thread per process).
With authorization on (fhir_service.auth), the kick-off needs read and search scopes for every
exported type (every type without `_type`), and a job is bound to the client that started it: status,
cancel and files need a valid token of that client (any other gets 404, as for an unknown job).

Through a version base (/fhir/R4/$export, /fhir/R4B/$export) `_type` names that version's types; the
job exports the stored R5 resources, and once it is complete its files are converted, one file per
view type (R4 splits ClinicalUseDefinition), which its manifest lists and bulkfiles serves.
"""

from __future__ import annotations

import hashlib
import json as jsonlib
import os
import shutil
import threading
from pathlib import Path

from flask import Blueprint, Response, current_app, json, request, send_file
from werkzeug.http import http_date

from fhir_service.bulk.export import manifest
from fhir_service.bulk.jobs import ACCEPTED, CANCELLED, COMPLETED, ERROR, RETENTION, RUNNING, Job, JobStore
from fhir_service.bulk.kickoff import parse_kickoff
from fhir_service.bulk.worker import ExportWorker, job_dir
from fhir_service.interactions.capabilities import Operation
from fhir_service.interactions.errors import FhirError, not_found
from fhir_service.rest import auth, versioned
from fhir_service.rest.responses import base_url

blueprint = Blueprint("bulk", __name__)
EXPORT = Operation("export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export")
RETRY_AFTER_SECONDS = 2


def bulk_dir() -> Path:
    configured = current_app.config.get("BULK_DIR") or os.environ.get("FHIR_SERVICE_BULK_DIR") or "var/bulk"
    return Path(configured).resolve()


def worker() -> ExportWorker:
    """This process's export worker (created on first use, after any worker fork)."""
    extensions = current_app.extensions
    if "fhir_bulk_worker" not in extensions:
        engine = extensions["fhir_repository"].engine
        extensions["fhir_bulk_worker"] = ExportWorker(engine, bulk_dir())
    return extensions["fhir_bulk_worker"]


def store() -> JobStore:
    return worker().store


def client() -> str | None:
    """Who asks (a digest of the token's client), None with authorization off."""
    access = auth.access()
    return None if access is None else hashlib.sha256(access.grant.client.encode()).hexdigest()


def own_job(job_id: str) -> Job | None:
    """The job, unless another client started it: with authorization on only its client may poll,
    cancel or download, and to others it does not exist (404, so a job URL reveals nothing)."""
    job = store().get(job_id)
    if job is None or ("fhir_auth" in current_app.extensions and job.owner != client()):
        return None
    return job


@blueprint.get("/$export")
def kickoff():
    params = list(request.args.items(multi=True))
    request_url = request.url
    version = versioned.base_version()
    if version is not None:
        params = [(k, _stored_types(v, version) if k == "_type" else v) for k, v in params]
        request_url = base_url() + request.full_path[len("/fhir") :].rstrip("?")
    export = parse_kickoff(params, request.headers.get("Prefer"))
    job = store().create(export, request_url, base_url(), owner=client())
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
    version = _job_version(job)
    if version is not None:
        body["output"] = [
            {**o, "url": f"{job.base_url}/bulkfiles/{job.id}/{o['file']}"} for o in _view_files(job, version)
        ]
        for o in body["output"]:
            del o["file"]
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
    if job is None or job.status != COMPLETED:
        raise not_found(f"No export file {job_id}/{name}")
    version = _job_version(job)
    files = job.output if version is None else _view_files(job, version)
    if name not in {o["file"] for o in files}:
        raise not_found(f"No export file {job_id}/{name}")
    path = job_dir(bulk_dir(), job_id) / (name if version is None else f"{VIEW_DIR}{version}/{name}")
    if not path.is_file():
        raise not_found(f"Export file {job_id}/{name} is gone")
    return send_file(path, mimetype="application/fhir+ndjson")


VIEW_DIR = "fhir-"  # a job's files converted to FHIR <version> are in <job dir>/fhir-<version>/


def _stored_types(value: str, version: str) -> str:
    """`_type` of a version base as the stored types (404 for a type that version does not have)."""
    names = [t.strip() for t in value.split(",") if t.strip()]
    return ",".join(dict.fromkeys(versioned.stored_type(t, version)[0] for t in names))


def _job_version(job: Job) -> str | None:
    """The FHIR version a job was started in: the version base of its base URL, if any."""
    from fhir_service.versions import BASES

    return BASES.get(job.base_url.rstrip("/").rsplit("/", 1)[-1])


def _view_files(job: Job, version: str) -> list[dict]:
    """The job's files as FHIR `version` (made once, on first use, beside the R5 ones): each
    resource converted, one file per view type; [{type, file, count}]."""
    folder = job_dir(bulk_dir(), job.id) / f"{VIEW_DIR}{version}"
    listing = folder / "output.json"
    if listing.is_file():
        return jsonlib.loads(listing.read_text(encoding="utf-8"))
    staging = folder.with_name(f"{folder.name}.{os.getpid()}.{threading.get_ident()}")
    staging.mkdir(parents=True, exist_ok=True)
    conversion = versioned.Conversion(current_app.extensions["fhir_repository"], version)
    counts: dict[str, int] = {}
    handles = {}
    try:
        for output in job.output:
            with (job_dir(bulk_dir(), job.id) / output["file"]).open("rb") as lines:
                for line in lines:
                    if not line.strip():
                        continue
                    view = versioned.out(jsonlib.loads(line), version, conversion=conversion)
                    rtype = view["resourceType"]
                    if rtype not in versioned.types_of(version):
                        continue  # a type this version does not define
                    if rtype not in handles:
                        handles[rtype] = (staging / f"{rtype}.ndjson").open("wb")
                    handles[rtype].write(versioned.to_json(view) + b"\n")
                    counts[rtype] = counts.get(rtype, 0) + 1
    finally:
        for handle in handles.values():
            handle.close()
    files = [{"type": t, "file": f"{t}.ndjson", "count": n} for t, n in sorted(counts.items())]
    (staging / "output.json").write_text(jsonlib.dumps(files), encoding="utf-8")
    try:
        staging.rename(folder)  # another poll may have made it first: theirs is the same
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return jsonlib.loads(listing.read_text(encoding="utf-8"))
