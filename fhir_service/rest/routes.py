"""The FHIR REST routes (blueprint mounted at /fhir). Each view reads the request, calls one
storage-agnostic handler and renders its Result."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request

from fhir_service.auth.security import security
from fhir_service.formats import to_json, to_xml
from fhir_service.interactions import create as create_
from fhir_service.interactions import delete as delete_
from fhir_service.interactions import history as history_
from fhir_service.interactions import patch as patch_
from fhir_service.interactions import read as read_
from fhir_service.interactions import search as search_
from fhir_service.interactions import transaction
from fhir_service.interactions import update as update_
from fhir_service.interactions import validate as validate_
from fhir_service.interactions.capabilities import capability_statement
from fhir_service.interactions.checks import check_document, etag_version
from fhir_service.interactions.errors import FhirError, bad_request
from fhir_service.interactions.result import Result
from fhir_service.rest import auth, fast_read, negotiation
from fhir_service.rest.responses import (
    base_url,
    not_modified,
    respond,
    strict_handling,
    version_headers,
)

api = Blueprint("fhir", __name__)


@api.before_request
def negotiate():
    """Refuse an unanswerable Accept/_format (406) before doing any work."""
    g.fhir_format = negotiation.response_format()


# Plain JSON reads and vreads are answered before Flask's request context (see fast_read.py); it
# stands aside if the app gets any hook other than this module's.
api.record_once(lambda state: fast_read.install(state.app, known_hooks={negotiate}))


def repo():
    return current_app.extensions["fhir_repository"]


def query_params() -> list[tuple[str, str]]:
    return list(request.args.items(multi=True))


def prefer_strict() -> bool:
    return strict_handling(request.headers.get("Prefer", ""))


def if_match() -> str | None:
    return etag_version(request.headers.get("If-Match"))


def _resource_body() -> dict:
    """The body of a write: a resource whose XML showed problems is refused here (422)."""
    resource = negotiation.read_resource()
    check_document(resource)
    return resource


def if_none_match() -> frozenset[str] | None:
    """If-None-Match on a write: the versions ("*": any) the current one must not be."""
    header = request.headers.get("If-None-Match")
    return None if header is None else frozenset(etag_version(tag) for tag in header.split(","))


def if_none_exist() -> str | None:
    """Conditional create criteria: the If-None-Exist header, or (as fhirpy sends them) the query."""
    header = request.headers.get("If-None-Exist")
    if header is not None:
        return header
    criteria = [(k, v) for k, v in query_params() if k not in ("_format", "_pretty")]
    return urlencode(criteria) if criteria else None


# --- system level -------------------------------------------------------------------------


@api.get("/metadata")
def metadata():
    """Also the health check: the statement is rendered once per base URL and format."""
    kind = g.fhir_format
    data = _rendered_statement(base_url(), kind, negotiation.pretty(), current_app.config.get("AUTH"))
    return Response(data, content_type=negotiation.CONTENT_TYPES[kind])


@lru_cache(maxsize=16)
def _rendered_statement(base: str, kind: str, pretty: bool, auth=None) -> bytes:
    statement = capability_statement(base, security(auth))
    return to_json(statement, pretty) if kind == "json" else to_xml(statement, pretty)


@api.get("/")
def system_search():
    return respond(
        search_.search(
            repo(), None, query_params(), base_url(), strict=prefer_strict(), raw=True, access=auth.access()
        )
    )


@api.post("/")
def system_bundle():
    # transaction/batch Bundles get their own, larger limit: 10,000 entries are ~15 MB
    request.max_content_length = current_app.config["MAX_BUNDLE_BYTES"]
    bundle = _resource_body()
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("transaction", "batch"):
        raise bad_request("POST to the base URL takes a Bundle of type transaction or batch")
    status, headers, response = transaction.process(
        repo(), bundle, base_url(), prefer=request.headers.get("Prefer"), access=auth.access()
    )
    return respond(Result(status, response, headers=dict(headers or {})))


@api.get("/_history")
def system_history():
    return respond(history_.history(repo(), query_params(), base_url()))


# --- type level ---------------------------------------------------------------------------


@api.get("/<rtype>")
def type_search(rtype):
    return respond(
        search_.search(
            repo(), rtype, query_params(), base_url(), strict=prefer_strict(), raw=True, access=auth.access()
        )
    )


@api.post("/<rtype>/_search")
def type_search_post(rtype):
    if request.mimetype != "application/x-www-form-urlencoded":
        raise FhirError(415, "_search takes an application/x-www-form-urlencoded body", "not-supported")
    params = query_params() + list(request.form.items(multi=True))
    return respond(
        search_.search(
            repo(), rtype, params, base_url(), strict=prefer_strict(), raw=True, access=auth.access()
        )
    )


@api.post("/<rtype>")
def create(rtype):
    resource = _resource_body()
    result = create_.create(repo(), rtype, resource, if_none_exist(), access=auth.access())
    return respond(result, write=True)


@api.put("/<rtype>")
def conditional_update(rtype):
    resource = _resource_body()
    query = request.query_string.decode()
    result = update_.conditional_update(
        repo(), rtype, query, resource, if_match(), if_none_match(), access=auth.access()
    )
    return respond(result, write=True)


@api.delete("/<rtype>")
def conditional_delete(rtype):
    return respond(
        delete_.conditional_delete(repo(), rtype, request.query_string.decode(), access=auth.access()),
        write=True,
    )


@api.patch("/<rtype>")
def conditional_patch(rtype):
    body, kind = negotiation.read_patch()
    query = request.query_string.decode()
    return respond(
        patch_.conditional_patch(repo(), rtype, query, body, kind, if_match(), access=auth.access()),
        write=True,
    )


@api.get("/<rtype>/_history")
def type_history(rtype):
    return respond(history_.history(repo(), query_params(), base_url(), rtype))


@api.route("/<rtype>/$validate", methods=["GET", "POST"])
def type_validate(rtype):
    body = negotiation.read_resource() if request.method == "POST" else None
    return respond(validate_.validate(repo(), rtype, body, mode=request.args.get("mode")))


# --- instance level -----------------------------------------------------------------------


@api.get("/<rtype>/<rid>")
def read(rtype, rid):
    result = read_.read(repo(), rtype, rid)
    if not_modified(result):
        return Response(status=304, headers=version_headers(result.stored))
    return respond(result, subsettable=True)


@api.put("/<rtype>/<rid>")
def update(rtype, rid):
    resource = _resource_body()
    return respond(update_.update(repo(), rtype, rid, resource, if_match(), if_none_match()), write=True)


@api.patch("/<rtype>/<rid>")
def patch(rtype, rid):
    body, kind = negotiation.read_patch()
    if kind == "fhirpath":
        check_document(body)
    return respond(patch_.patch(repo(), rtype, rid, body, kind, if_match()), write=True)


@api.delete("/<rtype>/<rid>")
def delete(rtype, rid):
    return respond(delete_.delete(repo(), rtype, rid, if_match()), write=True)


@api.get("/<rtype>/<rid>/_history")
def instance_history(rtype, rid):
    return respond(history_.history(repo(), query_params(), base_url(), rtype, rid))


@api.get("/<rtype>/<rid>/_history/<vid>")
def vread(rtype, rid, vid):
    result = read_.vread(repo(), rtype, rid, vid)
    if not_modified(result):
        return Response(status=304, headers=version_headers(result.stored))
    return respond(result, subsettable=True)


@api.route("/<rtype>/<rid>/$validate", methods=["GET", "POST"])
def instance_validate(rtype, rid):
    body = negotiation.read_resource() if request.method == "POST" else None
    return respond(validate_.validate(repo(), rtype, body, rid, mode=request.args.get("mode")))
