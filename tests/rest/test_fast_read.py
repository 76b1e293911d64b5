"""The read fast path (rest/fast_read.py) answers exactly like the Flask routes, and only when it may;
the access log writes one JSON line per request, fast path included."""

from __future__ import annotations

import json
import os
import re
import select

import pytest
from flask import Response

from fhir_service.formats import parse_xml, to_json
from fhir_service.rest import access_log, fast_xml
from fhir_service.rest.app import create_app
from fhir_service.rest.fast_read import FastRead
from fhir_service.store import migrate
from fhir_service.versions import to_version

ORG = {"resourceType": "Organization", "id": "fast-1", "name": "Fast pharmacy"}
JSON = "application/fhir+json"
XML = "application/fhir+xml"
READS = [
    "/fhir/Organization/fast-1",
    "/fhir/Organization/fast-1/_history/1",
    "/fhir/Organization/fast-1/_history/2",
]


@pytest.fixture(scope="module")
def app(database_url_factory):
    url = database_url_factory()
    migrate.upgrade(url)
    application = create_app({"DATABASE_URL": url, "ACCESS_LOG": False, "BASE_URL": "http://test/fhir"})
    client = application.test_client()
    for resource in (ORG, {**ORG, "name": "Fast pharmacy, v2"}, {**ORG, "id": "gone-1"}):
        assert client.put(f"/fhir/Organization/{resource['id']}", json=resource).status_code in (200, 201)
    assert client.delete("/fhir/Organization/gone-1").status_code == 204
    yield application
    application.extensions["fhir_repository"].dispose()


@pytest.fixture()
def flask_calls(app, monkeypatch):
    """How many requests reached Flask behind the fast path."""
    fast = app.wsgi_app
    assert isinstance(fast, FastRead)
    calls, inner = [], fast.wsgi_app

    def counted(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    monkeypatch.setattr(fast, "wsgi_app", counted)
    return calls


def answer(response) -> tuple:
    return response.status_code, sorted(response.headers.items()), response.data


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize(
    "accept",
    [
        None,
        JSON,
        "application/json",
        "*/*",
        "application/fhir+json, */*;q=0.5",
        "application/fhir+json; fhirVersion=5.0",
        "application/fhir+json;charset=utf-8",
        "application/fhir+xml;q=0.5, application/fhir+json;q=0.9",
    ],
)
def test_fast_answers_are_the_routes_answers(app, flask_calls, path, accept):
    client = app.test_client()
    headers = {"Accept": accept} if accept else {}
    fast = client.get(path, headers=headers)
    assert flask_calls == []  # answered before Flask
    routed = client.get(path + "?_format=json", headers=headers)  # same answer, through the route
    assert flask_calls == [path]
    assert fast.status_code == 200 and answer(fast) == answer(routed)
    expected_version = path.rsplit("/", 1)[-1] if "_history" in path else "2"
    assert json.loads(fast.data)["meta"]["versionId"] == expected_version


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/fhir/R4/Organization/fast-1", None),
        ("/fhir/R4B/Organization/fast-1/_history/1", JSON),
        ("/fhir/Organization/fast-1", "application/fhir+json; fhirVersion=4.0"),
        ("/fhir/Organization/fast-1/_history/2", "application/fhir+json; fhirVersion=4.3"),
    ],
)
def test_fast_view_reads_are_the_routes_answers(app, flask_calls, path, accept):
    """R4/R4B reads are answered before Flask too, with the view the route gives, never R5 bytes."""
    client = app.test_client()
    headers = {"Accept": accept} if accept else {}
    fast = client.get(path, headers=headers)
    assert flask_calls == []
    routed = client.get(path + "?_format=json", headers=headers)
    assert len(flask_calls) == 1
    assert fast.status_code == 200 and answer(fast) == answer(routed)
    r5 = client.get(path.replace("/R4B/", "/").replace("/R4/", "/"))
    version = "4.3" if "R4B" in path or "4.3" in (accept or "") else "4.0"
    assert fast.data == to_json(to_version(json.loads(r5.data), version))  # the view of the stored bytes


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/fhir/Organization/nope", {}, 404),
        ("/fhir/Organization/gone-1", {}, 410),
        ("/fhir/Organization/gone-1/_history/2", {}, 410),
        ("/fhir/Organization/fast-1/_history/9", {}, 404),
        ("/fhir/Organization/fast-1/_history/x", {}, 400),
        ("/fhir/Nonsense/fast-1", {}, 404),  # http.html: the type is not supported
        ("/fhir/Organization/fast-1", {"Accept": "application/fhir+json; fhirVersion=3.0"}, 406),
        ("/fhir/Organization/fast-1", {"Accept": "text/html"}, 406),
        ("/fhir/Organization/fast-1", {"Accept": "application/fhir+xml; fhirVersion=4.0"}, 406),
        ("/fhir/R4/Organization/fast-1", {"Accept": "application/fhir+xml"}, 406),
        ("/fhir/Organization/nope", {"Accept": "application/fhir+xml"}, 404),
        ("/fhir/Organization/fast-1", {"If-None-Match": 'W/"2"'}, 304),
        ("/fhir/Organization/fast-1", {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}, 304),
    ],
)
def test_everything_else_goes_to_flask(app, flask_calls, path, headers, status):
    response = app.test_client().get(path, headers=headers)
    assert response.status_code == status
    assert flask_calls == [path]
    if status >= 400 and "xml" in headers.get("Accept", "") and status != 406:
        assert b"<OperationOutcome" in response.data
    elif status >= 400:
        assert response.get_json()["resourceType"] == "OperationOutcome"


def test_head_and_queries_go_to_flask(app, flask_calls):
    client = app.test_client()
    assert client.head("/fhir/Organization/fast-1").status_code == 200
    assert client.get("/fhir/Organization/fast-1?_elements=name").get_json()["meta"]["tag"]
    assert flask_calls == ["/fhir/Organization/fast-1"] * 2


def test_stands_aside_for_hooks_it_does_not_know(database_url_factory):
    """An auth-like before_request hook must see every read: the fast path then never answers."""
    url = database_url_factory()
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "ACCESS_LOG": False})
    with app.extensions["fhir_repository"].unit_of_work() as uow:  # stored without a request
        uow.update(dict(ORG))

    @app.before_request
    def deny():
        return Response("no", status=401)

    try:
        assert app.test_client().get("/fhir/Organization/fast-1").status_code == 401
        assert app.wsgi_app.enabled() is False
    finally:
        app.extensions["fhir_repository"].dispose()


def test_access_log_line_per_request_fast_path_included(app):
    read_fd, write_fd = os.pipe()
    writer = access_log._Writer(write_fd)
    logged = create_app({"REPOSITORY": app.extensions["fhir_repository"], "ACCESS_LOG": False})
    logged.wsgi_app = access_log._AccessLog(logged.wsgi_app, writer)
    client = logged.test_client()
    try:
        assert client.get("/fhir/Organization/fast-1").status_code == 200  # fast path
        assert client.get('/fhir/Organization/nope?x="1"').status_code == 404  # Flask, quoted query
        ready, _, _ = select.select([read_fd], [], [], 5)  # the flusher thread writes within 0.2 s
        assert ready
        data = b""
        while data.count(b"\n") < 2 and select.select([read_fd], [], [], 2)[0]:
            data += os.read(read_fd, 65536)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    first, second = (json.loads(x) for x in data.decode().splitlines())
    assert first["method"] == "GET" and first["path"] == "/fhir/Organization/fast-1"
    assert first["status"] == 200 and first["bytes"] > 0 and first["ms"] >= 0
    assert second["path"] == '/fhir/Organization/nope?x="1"' and second["status"] == 404
    assert set(first) == {"ts", "method", "path", "status", "ms", "bytes", "remote"}


def test_access_log_writes_a_long_backlog_whole_and_in_order():
    """More lines than one chunk (the flusher writes a chunk at a time): every line, in order."""
    read_fd, write_fd = os.pipe()
    writer = access_log._Writer(write_fd)
    count = access_log.CHUNK_LINES * 3 + 5
    for n in range(count):
        headers = [("Content-Length", str(n))]
        writer.lines.append(
            (1.0, 1.001, "GET", "", f"/fhir/Organization/o{n}", None, "200 OK", headers, "::1")
        )
    try:
        writer.flush()
        data = b""
        while data.count(b"\n") < count and select.select([read_fd], [], [], 2)[0]:
            data += os.read(read_fd, 1 << 20)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    lines = [json.loads(x) for x in data.decode().splitlines()]
    assert [line["path"] for line in lines] == [f"/fhir/Organization/o{n}" for n in range(count)]
    assert [line["bytes"] for line in lines] == list(range(count)) and not writer.lines


def _plain_app(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"{}"]


def test_access_log_a_request_thread_formats_each_full_chunk_and_never_writes():
    """Under load no other thread takes the GIL to format: the request that completes a chunk formats
    it before it returns. Only the flusher writes (a write may block on the disk). Here no flusher
    thread runs: flush() is called by the test."""
    read_fd, write_fd = os.pipe()
    writer = access_log._Writer(write_fd)
    writer.running = True  # as if started: no flusher thread
    logged = access_log._AccessLog(_plain_app, writer)

    def request(n: int) -> None:
        environ = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": f"/fhir/Organization/o{n}"}
        logged(environ, lambda status, headers, exc_info=None: None)

    chunk = access_log.CHUNK_LINES
    try:
        for n in range(chunk - 1):
            request(n)
        assert len(writer.lines) == chunk - 1 and not writer.chunks
        request(chunk - 1)
        assert not writer.lines and len(writer.chunks) == 1
        with writer._lock:  # another thread formatting or writing: a request does not wait for it
            for n in range(chunk, 2 * chunk + 3):
                request(n)
            assert len(writer.lines) == chunk + 3 and len(writer.chunks) == 1
        assert not select.select([read_fd], [], [], 0)[0]  # nothing written by a request thread
        writer.flush()
        data = b""
        while data.count(b"\n") < 2 * chunk + 3 and select.select([read_fd], [], [], 2)[0]:
            data += os.read(read_fd, 1 << 20)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    lines = [json.loads(x) for x in data.decode().splitlines()]
    assert [line["path"] for line in lines] == [f"/fhir/Organization/o{n}" for n in range(2 * chunk + 3)]
    assert not writer.lines and not writer.chunks


def test_a_database_error_is_answered_by_the_route_as_an_outcome(database_url_factory):
    """A real failure (no schema: the SELECT fails) must not escape as gunicorn's bare 500 page."""
    app = create_app({"DATABASE_URL": database_url_factory(), "ACCESS_LOG": False})  # not migrated
    try:
        response = app.test_client().get("/fhir/Organization/fast-1")
        assert response.status_code == 500
        assert response.get_json()["resourceType"] == "OperationOutcome"
    finally:
        app.extensions["fhir_repository"].dispose()


def _headers(response) -> list:
    assert response.headers["Content-Length"] == str(len(response.data))
    return sorted((k, v) for k, v in response.headers.items() if k != "Content-Length")


def _comparable(data: bytes) -> dict:
    """A searchset without what differs between two answers to the same search: its id, its
    lastUpdated, the urn:uuid of an outcome entry, and the `_format=json` the route's links carry."""
    bundle = json.loads(data)
    bundle.pop("id")
    bundle.pop("meta")
    for link in bundle["link"]:
        link["url"] = re.sub(r"([?&])_format=json(&|$)", r"\1", link["url"]).rstrip("?&")
    for entry in bundle.get("entry", []):
        if entry["fullUrl"].startswith("urn:uuid:"):
            entry.pop("fullUrl")
    return bundle


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?name=fast",
        "?name=fast&_count=1",  # with a next link
        "?_id=fast-1,gone-1&_total=accurate",
        "?_summary=count",  # a dict body, not the stored bytes
        "?_elements=name&_sort=-_lastUpdated",
        "?nonsense=1",  # unknown: a warning outcome entry
        "?name=fa%C3%9Fst&name:contains=ast",  # the route's decoding and order of repeated names
        "?_include=Organization:partof&name=fast&_include=Organization:endpoint",
        "?name=fast&_count=0",  # a count, as _summary=count
        "?_count=0&_totalMethod=count",  # fhirpy's count(): the unknown parameter is ignored
    ],
)
@pytest.mark.parametrize(
    "accept", [None, JSON, "*/*", "application/fhir+json; fhirVersion=5.0; charset=utf-8"]
)
def test_fast_searches_are_the_routes_searches(app, flask_calls, query, accept):
    client = app.test_client()
    headers = {"Accept": accept} if accept else {}
    path = "/fhir/Organization"
    fast = client.get(path + query, headers=headers)
    assert flask_calls == []  # answered before Flask
    routed = client.get(path + (query + "&" if query else "?") + "_format=json", headers=headers)
    assert flask_calls == [path]
    assert fast.status_code == routed.status_code == 200
    assert _headers(fast) == _headers(routed)  # but Content-Length: the route's links say _format
    assert _comparable(fast.data) == _comparable(routed.data)
    if query == "?name=fast":  # the test can fail: the search finds something
        assert [e["resource"]["id"] for e in json.loads(fast.data)["entry"]] == ["fast-1"]
    if "_count=0" in query:  # the total, no matches (an unknown parameter: its warning only)
        counted = json.loads(fast.data)
        assert counted["total"] == 1
        assert [e["search"]["mode"] for e in counted.get("entry", [])] in ([], ["outcome"])


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("?name:nonsense=x", {}, 400),
        ("?nonsense=1", {"Prefer": "handling=strict"}, 400),
        ("?_count=x", {}, 400),
        ("?name=fast&_pretty=true", {}, 200),
        ("?name=fast&_format=json", {}, 200),
        ("?name:nonsense=x", {"Accept": "application/fhir+xml"}, 400),
        ("?name=fast&_format=xml", {"Accept": "application/fhir+xml; fhirVersion=4.0"}, 406),
    ],
)
def test_searches_the_fast_path_leaves_to_flask(app, flask_calls, query, headers, status):
    response = app.test_client().get("/fhir/Organization" + query, headers=headers)
    assert response.status_code == status
    assert flask_calls == ["/fhir/Organization"]
    if status == 400:
        outcome = response.data if "xml" in headers.get("Accept", "") else response.get_json()["resourceType"]
        assert "OperationOutcome" in str(outcome)


def test_system_paths_and_unknown_types_go_to_flask(app, flask_calls):
    client = app.test_client()
    assert client.get("/fhir/metadata").status_code == 200
    assert client.get("/fhir/_history").status_code == 200
    assert client.get("/fhir/Nonsense?name=x").status_code in (400, 404)
    assert flask_calls == ["/fhir/metadata", "/fhir/_history", "/fhir/Nonsense"]


def test_a_search_waits_for_flask_to_derive_the_base_url(database_url_factory):
    """Without a configured base URL the first search of a Host is Flask's (werkzeug derives the
    URL); later ones with the same Host are fast and carry the same links."""
    url = database_url_factory()
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "ACCESS_LOG": False})
    try:
        client = app.test_client()
        first = client.get("/fhir/Organization?name=x", headers={"Host": "ehr.example:8443"})
        calls, inner = [], app.wsgi_app.wsgi_app
        app.wsgi_app.wsgi_app = lambda environ, start: calls.append(1) or inner(environ, start)
        second = client.get("/fhir/Organization?name=x", headers={"Host": "ehr.example:8443"})
        assert calls == []
        links = [link["url"] for link in json.loads(second.data)["link"]]
        assert links == [link["url"] for link in json.loads(first.data)["link"]]
        assert links[0] == "http://ehr.example:8443/fhir/Organization?name=x"
    finally:
        app.extensions["fhir_repository"].dispose()


@pytest.fixture()
def routed_only(monkeypatch):
    """Answers through Flask's routes alone: the XML fast path declines everything."""

    def run(client, path, headers):
        with monkeypatch.context() as patched:
            patched.setattr(fast_xml, "answer", lambda app, environ, parts: None)
            return client.get(path, headers=headers)

    return run


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("", XML),
        ("", "application/xml"),
        ("", "application/fhir+xml; fhirVersion=5.0; charset=utf-8"),
        ("", "application/fhir+json;q=0.5, application/fhir+xml"),
        ("?_format=xml", None),
        ("?_format=application/fhir+xml", JSON),  # an unencoded + arrives as a space
        ("?_format=application%2Ffhir%2Bxml", None),
        ("?_format=xml&_pretty=true", None),
        ("?_pretty=true", XML),
    ],
)
def test_fast_xml_reads_are_the_routes_answers(app, flask_calls, routed_only, path, query, accept):
    client = app.test_client()
    headers = {"Accept": accept} if accept else {}
    fast = client.get(path + query, headers=headers)
    assert flask_calls == []  # answered before Flask
    routed = routed_only(client, path + query, headers)
    assert flask_calls == [path]
    assert fast.status_code == 200 and answer(fast) == answer(routed)
    assert fast.headers["Content-Type"] == "application/fhir+xml;charset=utf-8"
    resource = parse_xml(fast.data)
    expected_version = path.rsplit("/", 1)[-1] if "_history" in path else "2"
    assert resource["meta"]["versionId"] == expected_version
    assert (b"\n  <id" in fast.data) == ("_pretty=true" in query)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/fhir/Organization/fast-1?_format=xml&_summary=true", {}),  # the route subsets
        ("/fhir/Organization/fast-1?_elements=name", {"Accept": XML}),
        ("/fhir/Organization/fast-1?_format=xml&x=1", {}),
        ("/fhir/Organization/fast-1?_format=json", {"Accept": XML}),  # _format wins: JSON
        ("/fhir/Organization/gone-1?_format=xml", {}),
        ("/fhir/Organization/fast-1/_history/9", {"Accept": XML}),
    ],
)
def test_xml_reads_the_fast_path_leaves_to_flask(app, flask_calls, path, headers):
    response = app.test_client().get(path, headers=headers)
    assert flask_calls == [path.split("?")[0]]
    assert response.status_code in (200, 404, 410)
    if "_format=json" not in path:
        assert response.headers["Content-Type"].startswith("application/fhir+xml")


def _comparable_xml(data: bytes) -> dict:
    return _comparable(to_json(parse_xml(data)))


@pytest.mark.parametrize(
    "query",
    [
        "?name=fast&_format=xml",
        "?name=fast&_count=1&_format=xml",  # with a next link that keeps _format
        "?_id=fast-1,gone-1&_total=accurate&_format=xml&_pretty=true",
        "?_summary=count&_format=xml",  # a dict body, not the stored bytes
        "?nonsense=1&_format=xml",  # a warning outcome entry
        "?_include=Organization:partof&name=fast",
    ],
)
@pytest.mark.parametrize("accept", [None, XML])
def test_fast_xml_searches_are_the_routes_searches(app, flask_calls, routed_only, query, accept):
    if accept is None and "_format" not in query:
        query += "&_format=xml"
    client = app.test_client()
    headers = {"Accept": accept} if accept else {}
    path = "/fhir/Organization"
    fast = client.get(path + query, headers=headers)
    assert flask_calls == []  # answered before Flask
    routed = routed_only(client, path + query, headers)
    assert flask_calls == [path]
    assert fast.status_code == routed.status_code == 200
    assert _headers(fast) == _headers(routed)
    assert fast.headers["Content-Type"] == "application/fhir+xml;charset=utf-8"
    assert _comparable_xml(fast.data) == _comparable_xml(routed.data)
    bundle = parse_xml(fast.data)
    if query.startswith("?name=fast"):  # the test can fail: the search finds something
        assert [e["resource"]["id"] for e in bundle["entry"]] == ["fast-1"]
    assert all("_format=xml" in link["url"] for link in bundle["link"]) == ("_format" in query)
