"""Pure parts: query parsing, normalisation, dates and numbers, hashing, expressions, cursors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fhir_service.interactions.errors import as_fhir_error
from fhir_service.search.dates import FIRST_US, LAST_US, parse_instant, parse_range, to_datetime
from fhir_service.search.effective import effective_types
from fhir_service.search.errors import SearchError
from fhir_service.search.extract import compile_expression, evaluate
from fhir_service.search.hashing import h64, param_hash
from fhir_service.search.indexer import rows_for
from fhir_service.search.normalise import normalise
from fhir_service.search.query import cursor
from fhir_service.search.query.parse import MAX_COUNT, Hop, parse
from fhir_service.search.registry import custom_search_parameters, official_parameters, registry
from fhir_service.search.types.number import implicit_range
from fhir_service.search.types.uri import _ancestors


@pytest.mark.parametrize(
    ("url_type", "params", "types"),
    [
        (None, [], None),  # system search without _type: every type
        ("Basic", [], ("Basic",)),
        (None, [("_type", "Basic,Group")], ("Basic", "Group")),
        (None, [("_type", "Basic,Group"), ("_type", "Group,List")], ("Group",)),  # repeated = AND
        (None, [("_type", "Basic"), ("_type", "Group")], ()),  # nothing in common: matches nothing
        ("Basic", [("_type", "Group")], ()),  # never every type
        ("Basic", [("_type", "Group,Basic")], ("Basic",)),
        ("Basic", [("_type", " Basic , ")], ("Basic",)),
    ],
)
def test_effective_types(url_type, params, types):
    assert effective_types(url_type, params) == types


@pytest.mark.parametrize("value", ["", ",", "Nope", "Basic,Nope", "basic"])
def test_effective_types_refuse_empty_and_unknown_types(value):
    with pytest.raises(SearchError) as caught:
        effective_types("Basic", [("_type", value)])
    assert as_fhir_error(caught.value).status == 400


def test_parse_or_and_modifiers_chains_and_has():
    q = parse(
        [
            ("code", "a,b\\,c"),
            ("code", "d"),
            ("subject:MedicinalProductDefinition.name:exact", "Tolperisone"),
            ("_has:ClinicalUseDefinition:subject:type", "contraindication"),
        ],
        "MedicationKnowledge",
    )
    first, second, chained, has = q.clauses
    assert first.values == ["a", "b,c"] and second.values == ["d"]  # comma = OR, repeat = AND
    assert chained.chain == [Hop("subject", "MedicinalProductDefinition")]
    assert (chained.code, chained.modifier) == ("name", "exact")
    assert has.has == ("ClinicalUseDefinition", "subject") and has.inner.values == ["contraindication"]


def test_parse_result_parameters():
    q = parse(
        [
            ("_sort", "-_lastUpdated,name"),
            ("_count", "5000"),
            ("_include:iterate", "MedicationKnowledge:clinical-use-issue"),
            ("_revinclude", "*"),
            ("_total", "accurate"),
            ("_summary", "count"),
            ("_elements", "name,code"),
            ("_type", "Basic,Group"),
        ]
    )
    assert q.sort == [("_lastUpdated", True), ("name", False)]
    assert q.count == MAX_COUNT
    assert [(i.code, i.iterate, i.reverse) for i in q.includes] == [
        ("clinical-use-issue", True, False),
        ("*", False, True),
    ]
    assert (q.total, q.summary, q.elements, q.types) == (
        "accurate",
        "count",
        ["name", "code"],
        ("Basic", "Group"),
    )


@pytest.mark.parametrize(
    "params",
    [
        [("_count", "x")],
        [("_count", "-1")],
        [("_total", "maybe")],
        [("_summary", "yes")],
        [("_include", "MedicationKnowledge")],
        [("_has:ClinicalUseDefinition", "x")],
        [("name", "")],
        [("name:missing", "perhaps")],
    ],
)
def test_parse_rejects_malformed(params):
    with pytest.raises(SearchError) as err:
        parse(params)
    assert as_fhir_error(err.value).status == 400


def test_normalise_is_accent_case_and_space_insensitive():
    assert normalise("  Tolpérisone   HCl ") == "tolperisone hcl"
    assert normalise("ＭＧ") == "mg"  # NFKD folds full-width forms
    assert normalise("Straße") == "strasse"


def test_date_ranges_follow_precision():
    y_low, y_high = parse_range("2024")
    d_low, d_high = parse_range("2024-02-29")
    assert y_low <= d_low < d_high <= y_high
    assert d_high - d_low == 86_400_000_000
    assert parse_range("2024-02-29T10:00:00+02:00")[0] == parse_range("2024-02-29T08:00:00Z")[0]
    for bad in ("2024-13", "24-01-01", "2024-02-30", "yesterday"):
        with pytest.raises(SearchError):
            parse_range(bad)


def test_dates_at_the_ends_of_fhirs_range():
    """The end of 9999 is an integer bound (no datetime past it); a bound beyond what a datetime holds
    is clamped when one is needed (_lastUpdated, _since)."""
    low, high = parse_range("9999")
    assert to_datetime(low) == datetime(9999, 1, 1, tzinfo=UTC)
    assert high == LAST_US + 1 and to_datetime(high) == datetime.max.replace(tzinfo=UTC)
    assert parse_range("9999-12")[1] == parse_range("9999-12-31")[1] == high
    assert parse_range("9999-12-31T23:59:59-14:00")[1] == high + 14 * 3_600_000_000
    assert parse_range("0001-01-01T00:00:00+14:00")[0] == FIRST_US - 14 * 3_600_000_000
    assert to_datetime(parse_range("0001-01-01T00:00:00+14:00")[0]) == datetime.min.replace(tzinfo=UTC)
    assert (
        parse_range("2024-01-01T00:00:00.1234567Z")[1] - parse_range("2024-01-01T00:00:00.1234567Z")[0] == 1
    )
    assert parse_range("2024-01-01T00:00:00+14:00")[0] == parse_range("2023-12-31T10:00:00Z")[0]
    for bad in (
        "0000",
        "2024-01-01T00:00:00+14:01",
        "2024-01-01T00:00:00-25:00",
        "2024-01-01T00:00:00+10:60",
    ):
        with pytest.raises(SearchError):
            parse_range(bad)
    assert parse_instant("9999-12-31T23:59:59-14:00", "_since") == datetime.max.replace(tzinfo=UTC)
    with pytest.raises(SearchError, match="time zone"):
        parse_instant("2024-01-01T00:00:00", "_since", zone_required=True)


def test_number_implicit_precision():
    assert implicit_range("100") == (100.0, 99.5, 100.5)
    assert implicit_range("5.40")[1:] == pytest.approx((5.395, 5.405))
    with pytest.raises(SearchError):
        implicit_range("ten")


def test_hashes_are_stable_int64():
    assert h64("http://snomed.info/sct", "47625008") == h64("http://snomed.info/sct", "47625008")
    assert -(2**63) <= param_hash("MedicationKnowledge", "code") < 2**63
    assert h64("a|", "b") != h64("a", "|b")  # the separator is not a character FHIR values use


def test_union_parts_of_other_types_are_dropped():
    assert len(compile_expression("MedicationKnowledge", "Account.status | MedicationKnowledge.status")) == 1


def test_every_official_expression_compiles_for_every_base():
    for sp in official_parameters():
        for base in sp["base"] if sp.get("expression") else ():
            compile_expression(base, sp["expression"])


def test_resolve_is_type_filters_references():
    cud = {
        "resourceType": "ClinicalUseDefinition",
        "subject": [{"reference": "MedicinalProductDefinition/a"}, {"reference": "Substance/b"}],
    }
    param = registry().get("ClinicalUseDefinition", "product")
    assert evaluate("ClinicalUseDefinition", param.expression, cud) == [
        {"reference": "MedicinalProductDefinition/a"}
    ]


def test_custom_parameters_are_registered_and_published():
    published = {sp["code"] for sp in custom_search_parameters() if sp["base"] == ["MedicationKnowledge"]}
    assert {"clinical-use-issue", "indication", "intended-route", "name"} <= published
    for sp in custom_search_parameters():
        assert sp["resourceType"] == "SearchParameter" and sp["status"] == "active"
        assert registry().get(sp["base"][0], sp["code"]).url == sp["url"]


def test_rows_for_codeable_reference_and_identifier():
    mk = {
        "resourceType": "MedicationKnowledge",
        "identifier": [
            {"system": "urn:x", "value": "1", "type": {"coding": [{"system": "urn:t", "code": "NDC"}]}}
        ],
        "indicationGuideline": [
            {
                "indication": [
                    {"concept": {"coding": [{"system": "s", "code": "c"}]}},
                    {"reference": {"reference": "ClinicalUseDefinition/x"}},
                ]
            }
        ],
    }
    rows = rows_for(registry(), mk)
    tokens = {(r["system"], r["code"]) for r in rows["token"]}
    assert ("s", "c") in tokens and ("urn:x", "1") in tokens
    assert any(r["h_of_type"] == h64("urn:t", "NDC", "1") for r in rows["token"])
    assert {(r["target_type"], r["target_id"]) for r in rows["reference"]} == {("ClinicalUseDefinition", "x")}


def test_uri_above_candidates():
    assert _ancestors("http://a.org/fhir/ValueSet/x") == [
        "http://a.org/fhir/ValueSet/x",
        "http://a.org/fhir/ValueSet",
        "http://a.org/fhir",
        "http://a.org",
    ]


def test_cursor_is_signed_and_bound_to_its_query():
    digest = cursor.query_digest([("name", "a")])
    token = cursor.encode(["x", 3], 42, "next", digest)
    assert cursor.decode(token, digest) == (["x", 3], 42, "next")
    with pytest.raises(SearchError):
        cursor.decode(token, cursor.query_digest([("name", "b")]))
    tampered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises(SearchError):
        cursor.decode(tampered, digest)
