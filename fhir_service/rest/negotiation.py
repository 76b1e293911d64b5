"""Content negotiation: which format a response uses (Accept, _format), how a request body is read
(Content-Type, size limit, safe XML), and how a result becomes bytes (_pretty, _summary, _elements).

Media types are parsed with their parameters (RFC 9110 §12.5.1): q-values rank the ranges, the most
specific range that applies to a type gives its q, `charset` must be UTF-8 and `fhirVersion` (R5
http.html#version-parameter) one of the versions served (4.0, 4.3 and 5.0 at /fhir; at a version
base only its own); other parameters are ignored, as HAPI does. The version of the range chosen is
the version of the response (rest/versioned.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from flask import g, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_list_header, parse_options_header

from fhir_service import versions
from fhir_service.formats import (
    JSON_MIME,
    XML_MIME,
    bundle_to_xml,
    parse_json,
    parse_json_document,
    parse_xml,
    stored_to_xml,
    to_json,
    to_xml,
)
from fhir_service.interactions.errors import FhirError
from fhir_service.interactions.subsetting import check_summary, parse_elements, subset
from fhir_service.rest import versioned
from fhir_service.rest.versioned import base_version, body_version, short
from fhir_service.search.engine import SplicedSearchset
from fhir_service.store.repository import StoredResource

# Every media type the server reads and writes, in order of preference for `Accept: */*`; the
# `+fhir` suffixes are the DSTU2 types older clients still send.
MEDIA_TYPES = {
    JSON_MIME: "json",
    XML_MIME: "xml",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/json": "json",
    "application/json+fhir": "json",
    "application/xml+fhir": "xml",
}
# The spec's _format aliases (http.html#mime-type); Turtle is an R5 format this server does not write.
FORMAT_ALIASES = {"json": JSON_MIME, "xml": XML_MIME, "ttl": "application/fhir+turtle"}
SERVED_VERSIONS = tuple(versions.VERSIONS)
JSON_PATCH = "application/json-patch+json"
CONTENT_TYPES = {"json": f"{JSON_MIME};charset=utf-8", "xml": f"{XML_MIME};charset=utf-8"}


@dataclass(frozen=True)
class MediaRange:
    mime: str  # lower case; "*/*" and "type/*" are wildcards
    q: float
    version: str | None  # the fhirVersion parameter
    charset: str | None

    def covers(self, mime: str) -> bool:
        kind, _, _ = mime.partition("/")
        return self.mime in (mime, "*/*", f"{kind}/*")

    def specificity(self) -> int:
        """RFC 9110: a type beats type/*, which beats */*; parameters make a range more specific."""
        rank = 0 if self.mime == "*/*" else 1 if self.mime.endswith("/*") else 2
        return rank * 4 + (self.version is not None) + (self.charset is not None)

    def version_served(self, served: tuple[str, ...] = SERVED_VERSIONS) -> bool:
        return self.version is None or short(self.version) in served

    def charset_served(self) -> bool:
        return self.charset is None or self.charset.lower() in ("utf-8", "utf8")


def media_range(text: str) -> MediaRange | None:
    """One media range (`type/subtype; param=value…`); None if it cannot be read. A `+` sent
    unencoded in a query string arrives as a space: `application/fhir xml` is fhir+xml."""
    mime, _, params = text.partition(";")
    mime = re.sub(r"\s+", "+", mime.strip()).lower()
    if mime == "*":  # some clients send a bare *
        mime = "*/*"
    if mime.count("/") != 1 or mime.startswith("/") or mime.endswith("/"):
        return None
    _, options = parse_options_header("x;" + params)
    try:
        q = float(options.get("q", "1"))
    except ValueError:
        return None
    if not 0 <= q <= 1:
        return None
    return MediaRange(mime, q, options.get("fhirversion") or None, options.get("charset") or None)


def media_ranges(header: str) -> list[MediaRange]:
    return [r for r in map(media_range, parse_list_header(header)) if r is not None]


def choose(
    ranges: list[MediaRange], served: tuple[str, ...] = SERVED_VERSIONS
) -> tuple[str | None, str | None]:
    """(kind ("json"/"xml"), short fhirVersion or None) of the served type the client prefers most;
    kind None if none is acceptable. A range whose fhirVersion or charset this server does not write
    does not apply to its types."""
    best, best_q, version = None, 0.0, None
    for mime, kind in MEDIA_TYPES.items():
        applying = [r for r in ranges if r.covers(mime) and r.version_served(served) and r.charset_served()]
        if not applying:
            continue
        chosen = max(applying, key=MediaRange.specificity)
        if chosen.q > best_q:
            best, best_q, version = kind, chosen.q, short(chosen.version)
    return best, version


def response_format() -> str:
    """ "json" or "xml"; 406 for anything else."""
    return response_format_and_version()[0]


def response_format_and_version(served: tuple[str, ...] = SERVED_VERSIONS) -> tuple[str, str | None]:
    """(kind, the fhirVersion asked for or None); 406 when nothing served is acceptable. Decided
    once per distinct (_format, Accept) pair: parsing the header and matching it were a quarter of
    a read by id."""
    requested = request.args.get("_format") if request.query_string else None
    accept = request.headers.get("Accept") or None
    kind, version = negotiated(requested or None, accept, served)
    if kind is None:
        raise FhirError(406, refusal(requested or None, accept, served), "not-supported")
    return kind, version


@lru_cache(maxsize=512)
def negotiated(
    requested: str | None, accept: str | None, served: tuple[str, ...] = SERVED_VERSIONS
) -> tuple[str | None, str | None]:
    """_format, when given, overrides Accept's media type (http.html#mime-type); a version it does not
    name is still the one Accept asks for."""
    ranges = media_ranges(accept) if accept else []
    if requested:
        alias = FORMAT_ALIASES.get(requested.strip().lower())
        found = media_range(alias or requested)
        if found is None:
            return None, None
        kind, version = choose([found], served)
        if kind is not None and version is None and ranges:
            version = choose(ranges, served)[1]
        return kind, version
    if not ranges:  # no Accept, or none of it readable: any media type will do (RFC 9110 §12.5.1)
        return "json", None
    return choose(ranges, served)


def refusal(requested: str | None, accept: str | None, served: tuple[str, ...] = SERVED_VERSIONS) -> str:
    """Why negotiated() found nothing, naming what is served."""
    answers = f"this server answers in {JSON_MIME} or {XML_MIME}"
    if requested:
        alias = FORMAT_ALIASES.get(requested.strip().lower())
        ranges = [media_range(alias or requested)]
        what = f"_format '{requested}'" + (f" ({alias})" if alias else "")
    else:
        ranges = media_ranges(accept or "")
        what = f"Accept '{accept}'"
    ranges = [r for r in ranges if r is not None and r.q > 0]
    typed = [r for r in ranges if any(r.covers(m) for m in MEDIA_TYPES)]
    if typed and not any(r.version_served(served) for r in typed):
        asked = ", ".join(sorted({r.version for r in typed if r.version}))
        return version_refusal(what, asked, served)
    if typed and not any(r.charset_served() for r in typed):
        return f"Cannot answer {what}: responses are UTF-8 only"
    return f"Cannot answer {what}: {answers}"


def version_refusal(what: str, asked: str, served: tuple[str, ...] = SERVED_VERSIONS) -> str:
    names = ", ".join(served)
    where = "this base" if served != SERVED_VERSIONS else "this server"
    return f"{what} asks for FHIR version {asked}; {where} serves FHIR version {names} only (fhirVersion={names})"


def safe_response_format() -> str:
    try:
        return response_format()
    except FhirError:
        return "json"


def served_here() -> tuple[str, ...]:
    """The versions this request may speak: its version base's only, else every one served."""
    base = base_version()
    return (base,) if base else SERVED_VERSIONS


def _kind(mime: str) -> str | None:
    return MEDIA_TYPES.get(mime.split(";")[0].strip().lower())


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
    if kind is None:
        raise FhirError(415, f"Unsupported Content-Type '{request.content_type}'", "not-supported")
    _check_content_parameters()
    if kind == "xml" and body_version() != versioned.R5:  # the XML reader knows R5's definitions only
        raise FhirError(415, "R4/R4B bodies are read as JSON (application/fhir+json) only", "not-supported")
    return parse_body(body_bytes(), kind)


def read_patch() -> tuple[object, str]:
    """(body, kind): a JSON Patch array or a FHIRPath Patch Parameters resource."""
    mime = (request.mimetype or "").lower()
    _check_content_parameters()
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


def _check_content_parameters() -> None:
    """415 for a body in a FHIR version or a charset this server does not read."""
    params = request.mimetype_params  # werkzeug lower-cases the names
    body = MediaRange(request.mimetype or "", 1.0, params.get("fhirversion"), params.get("charset"))
    served = served_here()
    if not body.version_served(served):
        what = f"Content-Type '{request.content_type}'"
        raise FhirError(415, version_refusal(what, body.version or "", served), "not-supported")
    if not body.charset_served():
        raise FhirError(415, f"Content-Type '{request.content_type}': bodies must be UTF-8", "not-supported")


def pretty() -> bool:
    return bool(request.query_string) and request.args.get("_pretty", "false").lower() == "true"


def render(body: dict | StoredResource | SplicedSearchset, kind: str, *, subsettable: bool = False) -> bytes:
    """Stored JSON (a stored resource, or a searchset of them) goes out as stored unless the client
    asked for a different representation."""
    if kind == "json" and not request.query_string and isinstance(body, StoredResource | SplicedSearchset):
        return body.content  # the common case: no _pretty/_summary/_elements, nothing to parse
    summary = check_summary(request.args.get("_summary")) if subsettable else None
    elements = parse_elements(request.args.get("_elements")) if subsettable else None
    return render_as(body, kind, pretty(), summary, elements)


def render_as(
    body: dict | StoredResource | SplicedSearchset, kind: str, pretty_: bool, summary=None, elements=None
) -> bytes:
    """render() without a request context (the fast path's XML answers use it too)."""
    if isinstance(body, StoredResource | SplicedSearchset) and not summary and not elements:
        if kind == "json" and not pretty_:
            return body.content
        if kind == "xml":
            try:  # entry by entry, each from its stored bytes: a large page as dicts is what a worker keeps
                if isinstance(body, SplicedSearchset):
                    return bundle_to_xml(body.without_entries(), body.entries(parse=bytes), pretty=pretty_)
                return stored_to_xml(body.content, pretty=pretty_)
            except Exception as exc:
                raise FhirError(
                    500, f"The resource cannot be represented as XML: {exc}", "exception"
                ) from exc
    if isinstance(body, StoredResource | SplicedSearchset):
        body = body.resource()
    body = subset(body, summary, elements)
    if kind == "json":
        return to_json(body, pretty=pretty_)
    try:
        return to_xml(body, pretty=pretty_)
    except Exception as exc:  # content XML cannot place: say so, as an outcome
        raise FhirError(500, f"The resource cannot be represented as XML: {exc}", "exception") from exc
