"""The plain read, vread and type-level search, answered before Flask builds a request context.

`GET /fhir/Type/id`, `GET /fhir/Type/id/_history/n` and `GET /fhir/Type?params` with no conditional
header and an Accept that negotiates to JSON are most of a FHIR server's traffic, and for them
Flask's request/app context, routing, hooks and Response object cost several times the database
read (docs/performance.md). This WSGI wrapper
answers exactly those with the same handlers (interactions/read.py, interactions/search.py), the same
negotiation and the same headers as the routes; anything else - every error (404, 410, 400, 406),
_format/_pretty (and for reads any query), If-None-Match/If-Modified-Since, HEAD, XML (R5 XML
reads and searches go to rest/fast_xml.py first), a base URL
not yet derived from these request values - goes to Flask unchanged, so it is answered there (an
error is answered by running the interaction once more: errors are rare, and that keeps one place
that renders them).

It stands aside entirely when the app has hooks it does not know (auth, CORS: they must see every
request) or routes that would claim such a path (a static first segment that is a resource type).
R4/R4B reads and vreads (a version base, or Accept's fhirVersion) are answered here too, with the
view kept per stored version (rest/versioned.py.stored_view), so an R4 client is never served R5
bytes and a kept view costs about what a read does. Installed by routes.py when the blueprint is
registered; tests/rest/test_fast_read.py checks that both
paths give the same answers.
"""

from __future__ import annotations

import logging

from flask import Flask

from fhir_service.formats import to_json
from fhir_service.interactions import read as read_
from fhir_service.interactions import search as search_
from fhir_service.resource_types import RESOURCE_TYPES
from fhir_service.rest import fast_xml, negotiation, versioned
from fhir_service.rest.kept_searches import KeptSearches
from fhir_service.rest.responses import known_base_url, strict_handling, version_headers
from fhir_service.rest.versioned import R5
from fhir_service.search.engine import SplicedSearchset
from fhir_service.versions import BASES

logger = logging.getLogger("fhir_service.rest")
PREFIX = "/fhir/"  # the blueprint's url_prefix (routes.py)
_CONTENT_TYPE = negotiation.CONTENT_TYPES["json"]
MAX_KEPT_HEADERS = 1024  # versions whose headers are kept; all are dropped when full


def install(app: Flask, known_hooks: set) -> None:
    app.wsgi_app = FastRead(app, app.wsgi_app, known_hooks)


class FastRead:
    def __init__(self, app: Flask, wsgi_app, known_hooks: set):
        self.app, self.wsgi_app, self.known_hooks = app, wsgi_app, known_hooks
        self._enabled: bool | None = None  # decided on the first request, after every install()
        self._made: dict[tuple, list] = {}  # (pk, versionId, lastUpdated) → the read's headers
        self._searches = KeptSearches(max_bytes=app.config["KEPT_SEARCH_BYTES"])

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            answer = self._answer(environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def _answer(self, environ) -> tuple[str, list, bytes] | None:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX) or environ.get("HTTP_IF_NONE_MATCH"):
            return None
        if environ.get("HTTP_IF_MODIFIED_SINCE") or not self.enabled():
            return None
        kind, version = negotiation.negotiated(None, environ.get("HTTP_ACCEPT") or None)
        if kind != "json" or "_format=" in environ.get("QUERY_STRING", ""):
            return fast_xml.answer(self.app, environ, path[len(PREFIX) :].split("/"))  # R5 XML, else None
        parts = path[len(PREFIX) :].split("/")
        if parts[0] in BASES:
            if version not in (None, BASES[parts[0]]):
                return None  # the route refuses it (406)
            return self._view_read(parts[1:], BASES[parts[0]], environ)
        if version not in (None, R5):
            return self._view_read(parts, version, environ)
        if len(parts) == 1:
            return self._search(environ, parts[0])
        if environ.get("QUERY_STRING"):
            return None
        repo = self.app.extensions["fhir_repository"]
        try:
            if len(parts) == 2:
                result = read_.read(repo, parts[0], parts[1])
            elif len(parts) == 4 and parts[2] == "_history":
                result = read_.vread(repo, parts[0], parts[1], parts[3])
            else:
                return None
        except Exception:  # 400/404/410, a database error: the route answers (and reads again: rare)
            return None
        stored = result.stored
        return "200 OK", self._headers(stored), stored.content

    def _headers(self, stored) -> list[tuple[str, str]]:
        """The response headers of a stored version, made once per version (its content never
        changes), not per request. A copy: a WSGI middleware may append to the list it is given."""
        key = (stored.pk, stored.version_id, stored.last_updated)
        headers = self._made.get(key)
        if headers is None:
            if len(self._made) >= MAX_KEPT_HEADERS:
                self._made.clear()
            headers = [*version_headers(stored).items(), ("Content-Type", _CONTENT_TYPE)]
            headers.append(("Content-Length", str(len(stored.content))))
            self._made[key] = headers
        return headers.copy()

    def _view_read(self, parts: list[str], version: str, environ) -> tuple[str, list, bytes] | None:
        """A read or vread in R4/R4B: the kept view of the stored version (rest/versioned.py), or the
        route's answer for anything else (searches, errors, a type R4 splits read by another name)."""
        if environ.get("QUERY_STRING") or len(parts) not in (2, 4):
            return None
        repo = self.app.extensions["fhir_repository"]
        try:
            r5, constraints = versioned.stored_type(parts[0], version)
            if len(parts) == 2:
                found = versioned.read_view(repo, r5, parts[1], version)
                if found is None:
                    return None
                stored, body = found
            elif parts[2] == "_history":
                stored = read_.vread(repo, r5, parts[1], parts[3]).stored
                body = versioned.stored_view(stored, version, repo)
            else:
                return None
            if constraints and versioned.view_of(r5, stored.resource(), version) != parts[0]:
                return None
        except Exception:  # 4xx, a database error: the route answers (and reads again: rare)
            return None
        headers = [*version_headers(stored).items(), ("Content-Type", _CONTENT_TYPE)]
        headers.append(("Content-Length", str(len(body))))
        return "200 OK", headers, body

    def _search(self, environ, resource_type: str) -> tuple[str, list, bytes] | None:
        """GET /fhir/Type?…, as routes.type_search answers it; a page is answered again from
        kept_searches.py while no write can have committed since it was made."""
        if resource_type not in RESOURCE_TYPES:  # metadata, _history, $export, … and unknown types
            return None
        base = known_base_url(environ, self.app.config)
        if base is None:
            return None
        strict = strict_handling(environ.get("HTTP_PREFER", ""))
        repo = self.app.extensions["fhir_repository"]
        key = (resource_type, environ.get("QUERY_STRING", ""), base, strict)
        stamp = repo.stamp()  # before the search: a write committed during it moves the stamp
        data = self._searches.get(key, stamp)
        if data is None:
            data = self._searched(environ, resource_type, base, strict, repo)
            if data is None:
                return None
            self._searches.keep(key, stamp, data)
        return "200 OK", [("Content-Type", _CONTENT_TYPE), ("Content-Length", str(len(data)))], data

    def _searched(self, environ, resource_type: str, base: str, strict: bool, repo) -> bytes | None:
        request = self.app.request_class(environ)  # no context pushed: werkzeug's own parsing only
        try:
            params = list(request.args.items(multi=True))  # as the route sees them
        except (UnicodeError, ValueError):
            return None
        if any(k in search_.FORMAT_PARAMETERS for k, _ in params):  # the route renders these
            return None
        try:
            # access=None: this path stands aside whenever authorization is on
            body = search_.search(
                repo, resource_type, params, base, strict=strict, raw=True, access=None
            ).body
            return body.content if isinstance(body, SplicedSearchset) else to_json(body)
        except Exception:  # a 4xx, a database error: the route answers (and searches again: rare)
            return None

    def enabled(self) -> bool:
        if self._enabled is None:
            claimed = _claimed_types(self.app)
            self._enabled = _only_known_hooks(self.app, self.known_hooks) and not claimed
            if not self._enabled:  # said once: reads then cost Flask's full request cycle
                logger.info("read fast path off: the app has other request hooks or routes %s", claimed or "")
        return self._enabled


def _only_known_hooks(app: Flask, known: set) -> bool:
    registries = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.url_value_preprocessors,
    )
    return all(f in known for registry in registries for funcs in registry.values() for f in funcs)


def _claimed_types(app: Flask) -> set[str]:
    """Resource types some route names literally (e.g. a special /fhir/Binary/<id>)."""
    claimed = set()
    for rule in app.url_map.iter_rules():
        first = rule.rule[len(PREFIX) :].split("/")[0] if rule.rule.startswith(PREFIX) else ""
        if first in RESOURCE_TYPES:
            claimed.add(first)
    return claimed
