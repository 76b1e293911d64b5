"""The FHIR REST routes (blueprint mounted at /fhir, and again at each version base, /fhir/R4 and
/fhir/R4B). Each view reads the request, calls one storage-agnostic handler and renders its Result;
for a request in R4 or R4B, rest/versioned.py maps its types and parameters to the stored R5 ones
and its bodies both ways."""

from __future__ import annotations

import dataclasses
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
from fhir_service.interactions.checks import check_document, etag_version, etag_versions
from fhir_service.interactions.errors import FhirError, bad_request
from fhir_service.interactions.result import Result
from fhir_service.interactions.subsetting import check_summary, parse_elements, subset
from fhir_service.rest import auth, fast_read, negotiation, versioned
from fhir_service.rest.responses import (
    base_url,
    not_modified,
    respond,
    strict_handling,
    version_headers,
)
from fhir_service.rest.version_capabilities import version_capability_statement

api = Blueprint("fhir", __name__)


@api.before_request
def negotiate():
    """Refuse an unanswerable Accept/_format (406) before doing any work; the version base, else
    Accept's fhirVersion, is the FHIR version of the answer."""
    g.fhir_version = versioned.base_version() or versioned.R5  # what an early refusal speaks
    g.fhir_format, version = negotiation.response_format_and_version(negotiation.served_here())
    g.fhir_version = versioned.base_version() or version or versioned.R5
    if g.fhir_format == "xml" and versioned.is_view():
        raise FhirError(
            406,
            f"FHIR {versioned.full_version(versioned.current())} is served as JSON only "
            f"(application/fhir+json); XML is served for R5",
            "not-supported",
        )


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


def _resource_body(view: str | None = None) -> dict:
    """The body of a write, as R5: a resource whose XML showed problems is refused here (422); one
    in R4/R4B (Content-Type's fhirVersion, else the base's) is converted back."""
    resource = negotiation.read_resource()
    check_document(resource)
    version = versioned.body_version()
    if version == versioned.R5:
        return resource
    if view is not None and resource.get("resourceType") != view:
        raise bad_request(f"The body is a {resource.get('resourceType')}, not a {view}")
    return versioned.into_exactly(resource, version)


def _stored_type(rtype: str) -> str:
    """The stored type behind the URL's type (itself in R5)."""
    return versioned.stored_type(rtype)[0]


def _split(rtype: str) -> bool:
    """Is the URL's type one of several view types of one stored type (R4's MedicinalProduct*)?"""
    return versioned.is_view() and bool(versioned.stored_type(rtype)[1])


def _refuse_conditional_view(rtype: str) -> None:
    if versioned.is_view():
        raise FhirError(
            405,
            f"Conditional writes through FHIR {versioned.full_version(versioned.current())} are not "
            f"supported; address {rtype} by id, or write R5 at /fhir",
            "not-supported",
        )


def if_none_match() -> frozenset[str] | None:
    """If-None-Match on a write: the versions ("*": any) the current one must not be."""
    return etag_versions(request.headers.get("If-None-Match"))


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
    data = _rendered_statement(
        base_url(),
        kind,
        negotiation.pretty(),
        current_app.config.get("AUTH"),
        versioned.current(),
        current_app.extensions.get("fhir_operations", ()),
    )
    return Response(data, content_type=negotiation.CONTENT_TYPES[kind])


@lru_cache(maxsize=16)
def _rendered_statement(
    base: str, kind: str, pretty: bool, auth_config=None, version: str = versioned.R5, operations=()
) -> bytes:
    if version == versioned.R5:
        statement = capability_statement(base, security(auth_config), operations)
    else:
        statement = version_capability_statement(base, version, auth_config, operations)
    return to_json(statement, pretty) if kind == "json" else to_xml(statement, pretty)


@api.get("/")
def system_search():
    if versioned.is_view():
        return _view_search(None, query_params())
    return respond(
        search_.search(
            repo(), None, query_params(), base_url(), strict=prefer_strict(), raw=True, access=auth.access()
        )
    )


def _view_search(rtype: str | None, params: list[tuple[str, str]]):
    """A search in R4/R4B: the R5 search of the stored type (with the constraints selecting the
    view type), its entries and page links converted back."""
    asked = [t for k, v in params if k == "_type" for t in v.split(",") if t]
    if rtype is None and len(set(asked)) == 1:  # the type's own search: its constraints apply
        return _view_search(asked[0], [(k, v) for k, v in params if k != "_type"])
    translation = versioned.Translation(params, rtype, versioned.current())
    types = translation.r5
    result = search_.search(
        repo(), types, translation.params, base_url(), strict=prefer_strict(), raw=False, access=auth.access()
    )
    bundle = versioned.out(result.body, links=translation.link)
    if rtype is None and asked:  # a split type's siblings match the stored type too: not asked for
        kept = [e for e in bundle.get("entry", []) if _asked(e, asked)]
        bundle = {k: v for k, v in bundle.items() if k not in ("entry", "total")}
        if kept:
            bundle["entry"] = kept
    result.body = bundle
    return respond(result, converted=True)


def _asked(entry: dict, types: list[str]) -> bool:
    if (entry.get("search") or {}).get("mode") != "match":
        return True
    return entry.get("resource", {}).get("resourceType") in types


@api.post("/")
def system_bundle():
    # transaction/batch Bundles get their own, larger limit: 10,000 entries are ~15 MB
    request.max_content_length = current_app.config["MAX_BUNDLE_BYTES"]
    bundle = negotiation.read_resource()
    check_document(bundle)
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("transaction", "batch"):
        raise bad_request("POST to the base URL takes a Bundle of type transaction or batch")
    bundle, views = versioned.into_bundle(bundle, versioned.body_version())
    status, headers, response = transaction.process(
        repo(), bundle, base_url(), prefer=request.headers.get("Prefer"), access=auth.access()
    )
    if views:
        response = versioned.answer_views(response, views)
    return respond(Result(status, response, headers=dict(headers or {})))


@api.get("/_history")
def system_history():
    return _history(history_.history(repo(), query_params(), base_url()))


def _history(result: Result, r5: str | None = None, view: str | None = None, selected: bool = False):
    """A history Bundle in the request's version; `selected`: keep only the view type's entries
    (R4 splits the stored type)."""
    if not versioned.is_view():
        return respond(result)
    result.body = versioned.out(versioned.view_history(result.body, r5, view, selected))
    return respond(result, converted=True)


# --- type level ---------------------------------------------------------------------------


@api.get("/<rtype>")
def type_search(rtype):
    if versioned.is_view():
        return _view_search(rtype, query_params())
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
    if versioned.is_view():
        return _view_search(rtype, params)
    return respond(
        search_.search(
            repo(), rtype, params, base_url(), strict=prefer_strict(), raw=True, access=auth.access()
        )
    )


@api.post("/<rtype>")
def create(rtype):
    r5 = _stored_type(rtype)
    if versioned.is_view() and if_none_exist():
        _refuse_conditional_view(rtype)
    resource = _resource_body(rtype if versioned.body_version() != versioned.R5 else None)
    result = create_.create(repo(), r5, resource, if_none_exist(), access=auth.access())
    return respond(result, write=True)


@api.put("/<rtype>")
def conditional_update(rtype):
    _refuse_conditional_view(rtype)
    resource = _resource_body()
    query = request.query_string.decode()
    result = update_.conditional_update(
        repo(), rtype, query, resource, if_match(), if_none_match(), access=auth.access()
    )
    return respond(result, write=True)


@api.delete("/<rtype>")
def conditional_delete(rtype):
    _refuse_conditional_view(rtype)
    return respond(
        delete_.conditional_delete(repo(), rtype, request.query_string.decode(), access=auth.access()),
        write=True,
    )


@api.patch("/<rtype>")
def conditional_patch(rtype):
    if versioned.is_view():
        raise versioned.refuse_patch()
    body, kind = negotiation.read_patch()
    query = request.query_string.decode()
    return respond(
        patch_.conditional_patch(repo(), rtype, query, body, kind, if_match(), access=auth.access()),
        write=True,
    )


@api.get("/<rtype>/_history")
def type_history(rtype):
    r5, constraints = versioned.stored_type(rtype)
    result = history_.history(repo(), query_params(), base_url(), r5)
    return _history(result, r5, rtype, selected=bool(constraints))


@api.route("/<rtype>/$validate", methods=["GET", "POST"])
def type_validate(rtype):
    _refuse_validate_view()
    body = negotiation.read_resource() if request.method == "POST" else None
    return respond(validate_.validate(repo(), rtype, body, mode=request.args.get("mode")))


def _refuse_validate_view() -> None:
    if versioned.is_view():
        raise FhirError(
            405,
            f"$validate through FHIR {versioned.full_version(versioned.current())} is not offered "
            f"here; use `fhir-service validate --fhir-version`, or $validate the R5 resource at /fhir",
            "not-supported",
        )


# --- instance level -----------------------------------------------------------------------


@api.get("/<rtype>/<rid>")
def read(rtype, rid):
    r5 = _selected_type(rtype)
    result = read_.read(repo(), r5, rid)
    _check_selected(rtype, r5, result)
    if not_modified(result):
        return Response(status=304, headers=version_headers(result.stored))
    return _respond_read(result)


def _respond_read(result: Result):
    """A read or vread: in R4/R4B the stored version's view, kept converted (rest/versioned.py)."""
    if not versioned.is_view():
        return respond(result, subsettable=True)
    summary, elements = request.args.get("_summary"), request.args.get("_elements")
    if summary or elements:  # R5's summary elements, then the view of what is left
        reduced = subset(result.stored.resource(), check_summary(summary), parse_elements(elements))
        result.body = versioned.out(reduced)
        return respond(result, converted=True)
    content = versioned.stored_view(result.stored, versioned.current(), repo())
    result.body = dataclasses.replace(result.stored, content=content)
    return respond(result, subsettable=True, converted=True)


def _selected_type(rtype: str) -> str:
    return versioned.stored_type(rtype)[0] if versioned.is_view() else rtype


def _check_selected(rtype: str, r5: str, result: Result) -> None:
    if _split(rtype) and result.stored is not None:
        versioned.check_selected(rtype, result.stored.resource())


@api.put("/<rtype>/<rid>")
def update(rtype, rid):
    r5 = _stored_type(rtype)
    resource = _resource_body(rtype if versioned.body_version() != versioned.R5 else None)
    return respond(update_.update(repo(), r5, rid, resource, if_match(), if_none_match()), write=True)


@api.patch("/<rtype>/<rid>")
def patch(rtype, rid):
    if versioned.is_view():
        raise versioned.refuse_patch()
    body, kind = negotiation.read_patch()
    if kind == "fhirpath":
        check_document(body)
    return respond(patch_.patch(repo(), rtype, rid, body, kind, if_match()), write=True)


@api.delete("/<rtype>/<rid>")
def delete(rtype, rid):
    r5 = _selected_type(rtype)
    if _split(rtype):
        _check_selected(rtype, r5, read_.read(repo(), r5, rid))
    return respond(delete_.delete(repo(), r5, rid, if_match()), write=True)


@api.get("/<rtype>/<rid>/_history")
def instance_history(rtype, rid):
    r5 = _selected_type(rtype)
    if _split(rtype):
        _check_selected(rtype, r5, read_.read(repo(), r5, rid))
    return _history(history_.history(repo(), query_params(), base_url(), r5, rid), r5, rtype)


@api.get("/<rtype>/<rid>/_history/<vid>")
def vread(rtype, rid, vid):
    r5 = _selected_type(rtype)
    result = read_.vread(repo(), r5, rid, vid)
    _check_selected(rtype, r5, result)
    if not_modified(result):
        return Response(status=304, headers=version_headers(result.stored))
    return _respond_read(result)


@api.route("/<rtype>/<rid>/$validate", methods=["GET", "POST"])
def instance_validate(rtype, rid):
    _refuse_validate_view()
    body = negotiation.read_resource() if request.method == "POST" else None
    return respond(validate_.validate(repo(), rtype, body, rid, mode=request.args.get("mode")))
