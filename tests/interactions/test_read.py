"""read and vread over both stores: the stored bytes, 404 unknown, 410 deleted, 400 bad version."""

from __future__ import annotations

import pytest
from interaction_stores import failure, organization

from fhir_service.interactions.create import create
from fhir_service.interactions.delete import delete
from fhir_service.interactions.read import read, vread
from fhir_service.interactions.update import update
from fhir_service.stored import new_id


def test_read_answers_the_current_version_as_stored(store):
    created = create(store, "Organization", organization(), access=None).stored
    updated = update(store, "Organization", created.id, organization(created.id, alias=["W3"])).stored
    result = read(store, "Organization", created.id)
    assert result.status == 200
    assert result.body.content == updated.content
    assert result.stored.version_id == 2
    assert result.body.resource()["meta"]["versionId"] == "2"


def test_vread_answers_each_version(store):
    created = create(store, "Organization", organization(), access=None).stored
    update(store, "Organization", created.id, organization(created.id, alias=["W3"]))
    first = vread(store, "Organization", created.id, "1")
    second = vread(store, "Organization", created.id, "2")
    assert first.body.content == created.content
    assert second.body.resource()["alias"] == ["W3"]
    assert (first.stored.method, second.stored.method) == ("POST", "PUT")


def test_unknown_resource_and_version_are_404(store):
    assert failure(read, store, "Organization", new_id()).status == 404
    created = create(store, "Organization", organization(), access=None).stored
    assert failure(vread, store, "Organization", created.id, "2").status == 404
    assert failure(vread, store, "Organization", created.id, "99999999999").status == 404


@pytest.mark.parametrize("version", ["x", "-1", "1.0", "²", ""])
def test_a_version_that_is_not_a_number_is_400(store, version):
    assert failure(vread, store, "Organization", new_id(), version).status == 400


def test_a_deleted_resource_is_410_with_its_etag_and_its_versions_stay(store):
    created = create(store, "Organization", organization(), access=None).stored
    delete(store, "Organization", created.id)
    gone = failure(read, store, "Organization", created.id)
    assert gone.status == 410
    assert gone.headers["ETag"] == 'W/"2"'
    assert failure(vread, store, "Organization", created.id, "2").status == 410  # the deletion
    assert vread(store, "Organization", created.id, "1").body.content == created.content


def test_an_unknown_type_is_404_and_a_bad_id_400(store):
    assert failure(read, store, "Organisation", "x").status == 404
    assert failure(read, store, "Organization", "a/b").status == 400
