"""store/serialized.py: a resource serialized by an ingest worker gives the writer the same bytes the
store's own stamp + serialize would, whatever versionId and lastUpdated the writer assigns."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from fhir_service.store.serialized import Serialized, as_dict, key, serialize
from fhir_service.store.unit_of_work import stamp
from fhir_service.stored import format_instant

X = "http://www.w3.org/1999/xhtml"
RESOURCES = [
    {"resourceType": "Basic", "id": "plain", "code": {"text": "x"}},
    {
        "resourceType": "Basic",
        "id": "with-meta",
        "meta": {"versionId": "9", "lastUpdated": "2001-01-01T00:00:00Z", "tag": [{"code": "t"}]},
        "code": {"text": 'Zoë ✓ \\u0000 \u0000 \u0001 \\ "'},  # escapes and stand-ins in the content
    },
    {
        "resourceType": "Basic",
        "id": "meta-first",
        "meta": {"security": [{"code": "s"}]},
        "code": {"text": "y"},
    },
    {
        "code": {"text": "keys in another order"},
        "id": "unordered",
        "text": {"status": "generated", "div": f'<div xmlns="{X}">\u0001</div>'},
        "resourceType": "Basic",
    },
]


@pytest.mark.parametrize("resource", RESOURCES, ids=[r["id"] for r in RESOURCES])
@pytest.mark.parametrize("version_id", [1, 12, 1234567])
def test_content_is_what_the_store_serializes(resource, version_id):
    at = datetime(2026, 11, 26, 21, 5, 7, 123000, tzinfo=UTC)
    expected = serialize(stamp(resource, resource["id"], version_id, at))
    made = Serialized(resource)
    assert made.content(version_id, format_instant(at)) == expected
    restored = pickle.loads(pickle.dumps(made))
    assert restored.content(version_id, format_instant(at)) == expected
    assert key(restored) == key(resource) == ("Basic", resource["id"])
    back = as_dict(restored)
    assert {k: v for k, v in back.items() if k != "meta"} == {
        k: v for k, v in resource.items() if k != "meta"
    }
