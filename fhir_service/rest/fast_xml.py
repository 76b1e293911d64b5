"""The plain R5 read, vread and type-level search answered in XML before Flask (rest/fast_read.py
hands them here), with the routes' handlers, negotiation, headers and rendering
(negotiation.render_as), so the answer is the route's byte for byte.

Only `_format` and `_pretty` may come with a read; anything else (other parameters, R4/R4B, which
are served as JSON only, an error) is left to Flask, which answers it as before."""

from __future__ import annotations

from flask import Flask

from fhir_service.interactions import read as read_
from fhir_service.interactions import search as search_
from fhir_service.resource_types import RESOURCE_TYPES
from fhir_service.rest import negotiation
from fhir_service.rest.responses import known_base_url, strict_handling, version_headers
from fhir_service.rest.versioned import R5
from fhir_service.versions import BASES

_CONTENT_TYPE = negotiation.CONTENT_TYPES["xml"]


def answer(app: Flask, environ: dict, parts: list[str]) -> tuple[str, list, bytes] | None:
    """(status, headers, body) of a GET of /fhir/<parts> that negotiates to R5 XML, else None."""
    if parts[0] in BASES or not 1 <= len(parts) <= 4:
        return None
    request = app.request_class(environ)  # no context pushed: werkzeug's own parsing only
    try:
        args = request.args
        kind, version = negotiation.negotiated(
            args.get("_format") or None, request.headers.get("Accept") or None
        )
    except (UnicodeError, ValueError):
        return None
    if kind != "xml" or version not in (None, R5):
        return None
    pretty = args.get("_pretty", "false").lower() == "true"  # as negotiation.pretty()
    repo = app.extensions["fhir_repository"]
    try:
        if len(parts) == 1:
            return _search(app, request, parts[0], repo, pretty)
        if any(name not in search_.FORMAT_PARAMETERS for name in args):
            return None  # _summary, _elements, …: the route subsets
        if len(parts) == 2:
            stored = read_.read(repo, parts[0], parts[1]).stored
        elif len(parts) == 4 and parts[2] == "_history":
            stored = read_.vread(repo, parts[0], parts[1], parts[3]).stored
        else:
            return None
        body = negotiation.render_as(stored, "xml", pretty)
    except Exception:  # 400/404/410, content XML cannot place, a database error: the route answers
        return None
    headers = [*version_headers(stored).items(), ("Content-Type", _CONTENT_TYPE)]
    headers.append(("Content-Length", str(len(body))))
    return "200 OK", headers, body


def _search(app: Flask, request, resource_type: str, repo, pretty: bool) -> tuple[str, list, bytes] | None:
    """GET /fhir/Type?…&_format=xml, as routes.type_search answers it."""
    if resource_type not in RESOURCE_TYPES:
        return None
    base = known_base_url(request.environ, app.config)
    if base is None:
        return None
    params = list(request.args.items(multi=True))
    strict = strict_handling(request.headers.get("Prefer", ""))
    # access=None: the fast path stands aside whenever authorization is on
    result = search_.search(repo, resource_type, params, base, strict=strict, raw=True, access=None)
    data = negotiation.render_as(result.body, "xml", pretty)
    return "200 OK", [("Content-Type", _CONTENT_TYPE), ("Content-Length", str(len(data)))], data
