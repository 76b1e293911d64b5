"""Turning an interaction Result into a Flask Response: status, ETag, Last-Modified, Location,
Prefer (return=minimal | representation | OperationOutcome), and the negotiated body."""

from __future__ import annotations

from functools import lru_cache

from flask import Response, g, request
from werkzeug.http import http_date

from fhir_service.interactions.checks import etag, etag_versions
from fhir_service.interactions.errors import outcome
from fhir_service.interactions.result import Result
from fhir_service.rest import negotiation, versioned
from fhir_service.stored import StoredResource

_BASE_URLS: dict[tuple, str] = {}  # the request's (scheme, host, server, script root) -> base URL
_BASE_URL_KEYS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")


def base_url() -> str:
    """The configured base URL, else the one the request was addressed to. Werkzeug's url_root
    re-parses the host and IRI-decodes it on every call (costly next to a search), so its answer
    is kept per distinct set of the environ values it is made of (a few; bounded for hostile Hosts)."""
    from flask import current_app

    known = known_base_url(request.environ, current_app.config)
    if known is None:
        if len(_BASE_URLS) >= 256:
            _BASE_URLS.clear()
        known = _BASE_URLS[_base_url_key(request.environ)] = request.url_root.rstrip("/") + "/fhir"
        version_base = versioned.base_name()
        return f"{known}/{version_base}" if version_base else known
    return known


def known_base_url(environ: dict, config) -> str | None:
    """base_url() without a request context, if it is configured or was made for these environ
    values before (else None: the fast path leaves such a request to Flask)."""
    known = config.get("BASE_URL") or _BASE_URLS.get(_base_url_key(environ))
    version_base = versioned.base_name(environ)
    return f"{known}/{version_base}" if known and version_base else known


def _base_url_key(environ: dict) -> tuple:
    return tuple(environ.get(k) for k in _BASE_URL_KEYS)


def strict_handling(prefer: str) -> bool:
    """Prefer: handling=strict makes unknown search parameters a 400 (default: lenient, warned)."""
    return "handling=strict" in prefer.replace(" ", "").lower()


def prefer_return() -> str:
    for part in request.headers.get("Prefer", "").split(";"):
        for token in part.split(","):
            key, _, value = token.strip().partition("=")
            if key.strip().lower() == "return":
                return value.strip().strip('"')
    return "representation"


def version_headers(stored: StoredResource) -> dict[str, str]:
    return {"ETag": etag(stored.version_id), "Last-Modified": _http_date(stored.last_updated)}


@lru_cache(maxsize=4096)
def _http_date(last_updated) -> str:
    """Formatting an HTTP date costs more than reading the row; hot resources repeat theirs."""
    return http_date(last_updated)


def respond(
    result: Result, *, write: bool = False, subsettable: bool = False, converted: bool = False
) -> Response:
    """`converted`: the body is already in the request's FHIR version (else it is R5 and converted
    here when the request speaks R4/R4B)."""
    kind = g.get("fhir_format") or negotiation.response_format()
    headers = dict(result.headers)
    if result.stored is not None:
        headers.update(version_headers(result.stored))
        if result.location:
            s = result.stored
            rtype = versioned.view_of(s.type, s.resource()) if versioned.is_view() else s.type
            headers["Location"] = f"{base_url()}/{rtype}/{s.id}/_history/{s.version_id}"
    status, body = result.status, result.body
    if write:
        preference = prefer_return()
        if preference == "minimal":
            body = None
        elif preference == "OperationOutcome":
            body = result.outcome or outcome("The interaction succeeded", "informational", "information")
            status = 200 if status == 204 else status
    if body is None or status in (204, 304):
        response = Response(status=status, headers=headers)
        del response.headers["Content-Type"]  # no body, no media type (Flask's default says text/html)
        return response
    if versioned.is_view() and not converted:
        body = versioned.out(body)
    data = negotiation.render(body, kind, subsettable=subsettable)
    headers["Content-Type"] = negotiation.CONTENT_TYPES[kind]
    return Response(data, status=status, headers=list(headers.items()))  # a list: no per-key checks


def not_modified(result: Result) -> bool:
    """If-None-Match / If-Modified-Since on a read: does the client already have this version?"""
    stored = result.stored
    if stored is None:
        return False
    environ = request.environ  # the headers straight from the environ: most reads send neither
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        tags = etag_versions(if_none_match)
        return "*" in tags or str(stored.version_id) in tags
    if not environ.get("HTTP_IF_MODIFIED_SINCE"):
        return False
    since = request.if_modified_since
    return since is not None and stored.last_updated.replace(microsecond=0) <= since
