"""Content negotiation: which format a response uses (Accept, _format), how a request body is read
(Content-Type, size limit, safe XML), and how a result becomes bytes (_pretty, _summary, _elements)."""

from __future__ import annotations

from functools import lru_cache

from flask import g, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_accept_header

from fhir_service.formats import (
    JSON_MIME,
    XML_MIME,
    parse_json,
    parse_json_document,
    parse_xml,
    to_json,
    to_xml,
)
from fhir_service.interactions.errors import FhirError
from fhir_service.interactions.subsetting import check_summary, parse_elements, subset
from fhir_service.search.engine import SplicedSearchset
from fhir_service.store.repository import StoredResource

JSON_TYPES = {"application/fhir+json", "application/json", "text/json", "json"}
XML_TYPES = {"application/fhir+xml", "application/xml", "text/xml", "xml"}
JSON_PATCH = "application/json-patch+json"
CONTENT_TYPES = {"json": f"{JSON_MIME};charset=utf-8", "xml": f"{XML_MIME};charset=utf-8"}
# What we can answer, in order of preference for `Accept: */*`.
OFFERED = [JSON_MIME, XML_MIME, "application/json", "application/xml", "text/xml", "text/json"]


def response_format() -> str:
    """ "json" or "xml"; 406 for anything else. Decided once per distinct (_format, Accept) pair:
    werkzeug's Accept parsing and best_match were a quarter of a read by id."""
    requested = request.args.get("_format") if request.query_string else None
    kind = negotiated(requested or None, request.headers.get("Accept") or None)
    if kind is None:
        if requested:
            raise FhirError(406, f"Unsupported _format '{requested}'", "not-supported")
        raise FhirError(406, f"Cannot answer in any of: {request.headers['Accept']}", "not-supported")
    return kind


@lru_cache(maxsize=512)
def negotiated(requested: str | None, accept: str | None) -> str | None:
    if requested:
        return _kind(requested)
    if not accept:
        return "json"
    best = parse_accept_header(accept, MIMEAccept).best_match(OFFERED)
    if best is None:
        return None
    return _kind(best) or "json"


def safe_response_format() -> str:
    try:
        return response_format()
    except FhirError:
        return "json"


def _kind(mime: str) -> str | None:
    base = mime.split(";")[0].strip().lower()
    if base in JSON_TYPES:
        return "json"
    if base in XML_TYPES:
        return "xml"
    return None


def body_bytes() -> bytes:
    """The body; 413 beyond MAX_CONTENT_LENGTH, also for chunked bodies, which werkzeug would
    silently cut at the limit (and the cut JSON would then look malformed)."""
    if "fhir_body" in g:
        return g.fhir_body
    limit = request.max_content_length  # the app's MAX_CONTENT_LENGTH unless the view set its own
    if request.content_length is None and limit and request.environ.get("wsgi.input_terminated"):
        data = _read_at_most(request.environ["wsgi.input"], limit + 1)
        if len(data) > limit:
            raise RequestEntityTooLarge()
    else:
        data = request.get_data(cache=True)  # werkzeug raises 413 on a Content-Length over the limit
    g.fhir_body = data
    return data


def _read_at_most(stream, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining > 0:
        chunk = stream.read(min(remaining, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_resource() -> dict:
    """The request body as a resource dict; 415 for a type we do not read, 400 if malformed."""
    kind = _kind(request.mimetype or "")
    _check_fhir_version()
    if kind is None:
        raise FhirError(415, f"Unsupported Content-Type '{request.content_type}'", "not-supported")
    return parse_body(body_bytes(), kind)


def read_patch() -> tuple[object, str]:
    """(body, kind): a JSON Patch array or a FHIRPath Patch Parameters resource."""
    mime = (request.mimetype or "").lower()
    _check_fhir_version()
    if mime == JSON_PATCH:
        return _json_document(body_bytes()), "json-patch"
    kind = _kind(mime)
    if kind is None:
        raise FhirError(415, f"Unsupported PATCH Content-Type '{request.content_type}'", "not-supported")
    data = body_bytes()
    if kind == "json":
        document = _json_document(data)
        if isinstance(document, list):  # JSON Patch sent as plain JSON
            return document, "json-patch"
        return parse_body(data, "json"), "fhirpath"
    return parse_body(data, "xml"), "fhirpath"


def parse_body(data: bytes, kind: str) -> dict:
    if not data.strip():
        raise FhirError(400, "The request has no body", "required")
    try:
        return parse_json(data) if kind == "json" else parse_xml(data)
    except RecursionError as exc:
        raise FhirError(400, "The document is nested too deeply", "structure") from exc


def _json_document(data: bytes):
    try:
        return parse_json_document(data)  # hostile-input checks (formats.py, limits.py)
    except (ValueError, RecursionError) as exc:
        raise FhirError(400, f"Malformed JSON: {exc}", "structure") from exc


def _check_fhir_version() -> None:
    version = request.mimetype_params.get("fhirVersion") or request.mimetype_params.get("fhirversion")
    if version and not version.startswith("5.0"):
        raise FhirError(415, f"This server speaks FHIR 5.0, not fhirVersion={version}", "not-supported")


def pretty() -> bool:
    return bool(request.query_string) and request.args.get("_pretty", "false").lower() == "true"


def render(body: dict | StoredResource | SplicedSearchset, kind: str, *, subsettable: bool = False) -> bytes:
    """Stored JSON (a stored resource, or a searchset of them) goes out as stored unless the client
    asked for a different representation."""
    if kind == "json" and not request.query_string and isinstance(body, StoredResource | SplicedSearchset):
        return body.content  # the common case: no _pretty/_summary/_elements, nothing to parse
    summary = check_summary(request.args.get("_summary")) if subsettable else None
    elements = parse_elements(request.args.get("_elements")) if subsettable else None
    as_is = kind == "json" and not pretty() and not summary and not elements
    if isinstance(body, StoredResource | SplicedSearchset):
        if as_is:
            return body.content
        body = body.resource()
    body = subset(body, summary, elements)
    if kind == "json":
        return to_json(body, pretty=pretty())
    try:
        return to_xml(body, pretty=pretty())
    except Exception as exc:  # fhir.resources refuses content it cannot model: say so, as an outcome
        raise FhirError(500, f"The resource cannot be represented as XML: {exc}", "exception") from exc
