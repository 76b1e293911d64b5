"""Deterministic, valid, collision-resistant ids and Bundle fullUrls."""

from __future__ import annotations

import re

from mappings.bundle import collection_bundle, transaction_bundle
from mappings.ids import IdFactory, full_url_uuid, make_id, slugify

ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def test_slugify_handles_combinations_and_non_ascii():
    assert slugify("Paracetamol + Codeine (oral)") == "paracetamol-codeine-oral"
    assert slugify("β-Carotene µg") == "carotene-g"
    assert slugify("+++") == "monograph"


def test_ids_are_valid_and_short_even_for_long_names():
    long_slug = "diphtheria-immune-globulin-haemophilus-type-b-conjugate-vaccine-pertussis-toxoid-tetanus"
    for kind, key in (("mk", ()), ("ae", ("Headache", 0)), ("grp-children", ())):
        rid = make_id(long_slug, kind, *key)
        assert ID.match(rid) and len(rid) <= 64
    # two long slugs sharing the first 50 characters still differ
    assert make_id(long_slug + "-a", "mk") != make_id(long_slug + "-b", "mk")


def test_item_ids_depend_on_wording_not_position():
    a, b = IdFactory("x"), IdFactory("x")
    a.item("ae", "Nausea")
    assert a.item("ae", "Headache") == b.item("ae", "Headache")
    factory = IdFactory("x")
    first, second = factory.item("ae", "Rash"), factory.item("ae", "Rash")
    assert first != second  # the same wording twice gets two ids


def test_bundles_have_unique_stable_full_urls_and_put_requests():
    resources = [{"resourceType": "Group", "id": "g1"}, {"resourceType": "Group", "id": "g2"}]
    tx = transaction_bundle(resources)
    urls = [e["fullUrl"] for e in tx["entry"]]
    assert len(set(urls)) == 2 and urls[0] == full_url_uuid("Group", "g1") and urls[0].startswith("urn:uuid:")
    assert tx["entry"][1]["request"] == {"method": "PUT", "url": "Group/g2"}
    assert "total" not in tx  # bdl-1
    coll = collection_bundle(resources)
    assert coll["entry"][0]["fullUrl"].endswith("/Group/g1") and "request" not in coll["entry"][0]


def test_narrative_escapes_and_drops_characters_xml_cannot_hold():
    from mappings.narrative import narrative

    div = narrative("A <b> & C", [("Row", "x\x0cy < 3"), ("Empty", None), ("List", ["a", "", "b"])])["div"]
    assert div == (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p><b>A &lt;b&gt; &amp; C</b></p>'
        "<p>Row: xy &lt; 3</p><p>List:</p><ul><li>a</li><li>b</li></ul></div>"
    )
