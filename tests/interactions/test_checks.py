"""ETags read back as versions (etag_version, etag_versions): one reading for the If-Match and
If-None-Match headers and a Bundle entry's ifMatch and ifNoneMatch, malformed tags included."""

from __future__ import annotations

import pytest
from interaction_stores import organization

from fhir_service.interactions.checks import etag, etag_version, etag_versions
from fhir_service.interactions.transaction import process
from fhir_service.interactions.update import update
from fhir_service.stored import new_id


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ('W/"3"', "3"),
        ('"3"', "3"),
        ("3", "3"),
        (3, "3"),
        (' W/"3" ', "3"),
        ("*", "*"),
        ('W/""', ""),  # names no version
        ("", ""),
        ("W/", ""),
        ('W/"x"', "x"),
        ('W/"1", W/"2"', '1", W/"2'),  # a list where one tag belongs: matches no version
        (None, None),
    ],
)
def test_etag_version(tag, version):
    assert etag_version(tag) == version


def test_etag_version_reads_back_etag():
    assert etag_version(etag(12)) == "12"


@pytest.mark.parametrize(
    ("tags", "versions"),
    [
        ('W/"1", W/"2"', {"1", "2"}),
        ("*", {"*"}),
        ('W/""', {""}),
        ('W/"1",', {"1", ""}),
        (None, None),
    ],
)
def test_etag_versions(tags, versions):
    assert etag_versions(tags) == (None if versions is None else frozenset(versions))


def _put(rid: str, **request) -> dict:
    return {
        "resource": organization(rid, alias=[new_id()]),
        "request": {"method": "PUT", "url": f"Organization/{rid}", **request},
    }


def test_bundle_entries_read_etags_as_the_headers_do(store):
    """A malformed or empty tag names no version: ifMatch fails (412), ifNoneMatch lets the write go."""
    rid = new_id()
    update(store, "Organization", rid, organization(rid))
    entries = [
        _put(rid, ifMatch='W/""'),
        _put(rid, ifMatch="W/"),
        _put(rid, ifMatch='W/"x"'),
        _put(rid, ifMatch='W/"1"'),
        _put(rid, ifMatch=2),  # not a string: read as its text
        _put(rid, ifNoneMatch='W/""'),
        _put(rid, ifNoneMatch='W/"9", W/"4"'),
        _put(rid, ifMatch="*"),  # any current version
        _put(new_id(), ifMatch="*"),  # none
    ]
    _, _, response = process(
        store, {"resourceType": "Bundle", "type": "batch", "entry": entries}, "http://x/fhir", access=None
    )
    assert [e["response"]["status"] for e in response["entry"]] == [
        "412 Precondition Failed",
        "412 Precondition Failed",
        "412 Precondition Failed",
        "200 OK",
        "200 OK",
        "200 OK",
        "412 Precondition Failed",
        "200 OK",
        "412 Precondition Failed",
    ]


def test_headers_read_etags_as_bundle_entries_do(database_url_factory):
    from fhir_service.rest.app import create_app
    from fhir_service.store import migrate

    url = database_url_factory()
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "ACCESS_LOG": False, "BASE_URL": "http://test/fhir"})
    client, path, rid = app.test_client(), "/fhir/Organization/etags", "etags"
    try:
        assert client.put(path, json=organization(rid)).status_code == 201

        def put(**headers):
            return client.put(path, json=organization(rid, alias=[new_id()]), headers=headers).status_code

        assert [put(**{"If-Match": tag}) for tag in ('W/""', "W/", 'W/"x"', 'W/"1"')] == [412, 412, 412, 200]
        assert put(**{"If-Match": "*"}) == 200
        assert (
            client.put(
                "/fhir/Organization/none", json=organization("none"), headers={"If-Match": "*"}
            ).status_code
            == 412
        )
        assert put(**{"If-None-Match": 'W/""'}) == 200
        assert put(**{"If-None-Match": 'W/"9", W/"4"'}) == 412
        reads = [
            client.get(path, headers={"If-None-Match": tag}).status_code for tag in ('W/""', 'W/"4"', "*")
        ]
        assert reads == [200, 304, 304]
    finally:
        app.extensions["fhir_repository"].dispose()
