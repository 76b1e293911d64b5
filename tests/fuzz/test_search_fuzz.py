"""Search over HTTP with queries from a grammar of the real search parameters (the registry's codes for
the seed's types, modifiers, prefixes, chains, _has, _include/_revinclude, _sort and the result
parameters), lenient and strict: the live server answers 200 with a searchset Bundle or a 4xx
OperationOutcome, never a 5xx. Where the OpenAPI fuzz sends any string, this one sends strings the
search compiler gets past the parser with, so the SQL side is reached."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fuzz_strategies import FUZZ, examples
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_service.search.registry import registry

FHIR_NS = "{http://hl7.org/fhir}"

TYPES = [
    "MedicationKnowledge",
    "ClinicalUseDefinition",
    "AdministrableProductDefinition",
    "MedicinalProductDefinition",
    "Organization",
]
MODIFIERS = ["", "", "", ":missing", ":exact", ":contains", ":text", ":not", ":above", ":below", ":in",
             ":not-in", ":of-type", ":identifier", ":iterate", ":MedicinalProductDefinition", ":x", ":"]  # fmt: skip
PREFIXES = ["", "", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]
VALUES = ["tolperisone", "http://snomed.info/sct|221360009", "|x", "x|", "|", "2024", "2024-01-01T00:00:00Z",
          "2024-13", "1e5", "5||mg", "5|http://unitsofmeasure.org|mg", "-1", "0", "true", "false", "Common",
          "MedicinalProductDefinition/tolperisone-mpd", "tolperisone-mpd", "http://x/fhir/Organization/1",
          "a$b", "\\,", "a\\|b", "1.5e400", "9" * 40, "nan", "inf", "é", "%", "_", "*",
          "http://hl7.org/fhir/ValueSet/medicationknowledge-status"]  # fmt: skip
RESULT = {
    "_count": ["0", "1", "1000", "1001", "-1", "x"],
    "_total": ["accurate", "estimate", "none", "x"],
    "_summary": ["count", "text", "data", "true", "false", "x"],
    "_elements": ["id,code", "x", "status"],
    "_type": ["MedicationKnowledge,Organization", "x"],
    "_cursor": ["x", "eyJ4IjoxfQ"],
    "_format": ["xml", "json", "application/fhir+xml"],
}


def _codes(rtype: str) -> list[str]:
    return sorted(p.code for p in registry().params_for(rtype))


@st.composite
def criterion(draw, rtype: str) -> tuple[str, str]:
    name = draw(st.sampled_from(_codes(rtype))) + draw(st.sampled_from(MODIFIERS))
    if draw(st.integers(0, 3)) == 0:  # a chain into another type
        target = draw(st.sampled_from(TYPES))
        head = name.split(":")[0] + draw(st.sampled_from(["", f":{target}"]))
        name = f"{head}.{draw(st.sampled_from(_codes(target)))}{draw(st.sampled_from(MODIFIERS))}"
    values = draw(
        st.lists(st.tuples(st.sampled_from(PREFIXES), st.sampled_from(VALUES)), min_size=1, max_size=2)
    )
    return name, ",".join(p + v for p, v in values)


@st.composite
def search(draw) -> tuple[str, list[tuple[str, str]]]:
    rtype = draw(st.sampled_from(TYPES))
    params = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["criterion"] * 5 + ["has", "include", "sort", "result"]))
        if kind == "criterion":
            params.append(draw(criterion(rtype)))
        elif kind == "has":
            other = draw(st.sampled_from(TYPES))
            ref, code = draw(st.sampled_from(_codes(other))), draw(st.sampled_from(_codes(other)))
            params.append((f"_has:{other}:{ref}:{code}", draw(st.sampled_from(VALUES))))
        elif kind == "include":
            other = draw(st.sampled_from(TYPES))
            code = draw(st.sampled_from(_codes(other)))
            name = draw(
                st.sampled_from(["_include", "_revinclude", "_include:iterate", "_revinclude:iterate"])
            )
            value = draw(st.sampled_from(["*", f"{other}:{code}", f"{other}:*", f"{other}:{code}:{rtype}"]))
            params.append((name, value))
        elif kind == "sort":
            keys = draw(st.lists(st.sampled_from(_codes(rtype)), min_size=1, max_size=3))
            params.append(("_sort", ",".join(draw(st.sampled_from(["", "-"])) + k for k in keys)))
        else:
            name = draw(st.sampled_from(sorted(RESULT)))
            params.append((name, draw(st.sampled_from(RESULT[name]))))
    return rtype, params


@settings(max_examples=examples(100), **FUZZ)
@given(search(), st.booleans())
def test_search_never_fails_with_a_server_error(server, query, strict):
    rtype, params = query
    headers = {"Prefer": "handling=strict"} if strict else {}
    response = server.http.get(f"{server.base_url}/{rtype}", params=params, headers=headers)
    assert response.status_code < 500, (response.status_code, params, response.text[:300])
    if "xml" in response.headers["Content-Type"]:
        root = ET.fromstring(response.content)
        kind, issues = root.tag.removeprefix(FHIR_NS), root.findall(f"{FHIR_NS}issue")
        bundle_type = root.find(f"{FHIR_NS}type")
        searchset = bundle_type is not None and bundle_type.get("value") == "searchset"
    else:
        body = response.json()
        kind, issues, searchset = body["resourceType"], body.get("issue"), body.get("type") == "searchset"
    if response.status_code == 200:
        assert kind == "Bundle" and searchset
    else:
        assert 400 <= response.status_code < 500 and kind == "OperationOutcome" and issues


# --- _type: a search covers the URL's type intersected with every _type, never more ---------------
TYPE_NAMES = [*TYPES, "Group", "Provenance", "DocumentReference", "Nope", "", " "]


@st.composite
def typed_search(draw) -> tuple[str | None, list[tuple[str, str]]]:
    url_type = draw(st.sampled_from([None, *TYPES, "Group"]))
    params = [
        ("_type", ",".join(draw(st.lists(st.sampled_from(TYPE_NAMES), min_size=1, max_size=3))))
        for _ in range(draw(st.integers(1, 3)))
    ]
    if draw(st.booleans()):
        params.append(draw(st.sampled_from([("_id", "tolperisone-mk"), ("_lastUpdated", "gt2000")])))
    return url_type, params


def expected_types(url_type: str | None, params) -> set[str] | None:
    """The rule, written out again: None for a 400 (an empty or unknown _type), else the types."""
    covered = {url_type} if url_type else None
    for name, value in params:
        if name != "_type":
            continue
        named = {t.strip() for t in value.split(",") if t.strip()}
        if not named or "Nope" in named:
            return None
        covered = named if covered is None else covered & named
    return covered


@settings(max_examples=examples(60), **FUZZ)
@given(typed_search())
def test_type_parameter_only_ever_narrows_a_search(server, query):
    url_type, params = query
    expected = expected_types(url_type, params)
    url = f"{server.base_url}/{url_type or ''}"
    response = server.http.get(url, params=[*params, ("_count", "1000"), ("_total", "accurate")])
    if expected is None:
        assert response.status_code == 400, (params, response.text[:300])
        return
    assert response.status_code == 200, (params, response.text[:300])
    body = response.json()
    found = [e["resource"]["resourceType"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]
    assert set(found) <= expected, (url_type, params, set(found))
    others = [(k, v) for k, v in params if k != "_type"]
    per_type = [
        server.http.get(f"{server.base_url}/{t}", params=[*others, ("_summary", "count")]) for t in expected
    ]
    assert body["total"] == sum(r.json()["total"] for r in per_type), (url_type, params)


@settings(max_examples=examples(30), **FUZZ)
@given(st.lists(st.sampled_from(TYPE_NAMES[:-3]), min_size=1, max_size=3))
def test_conditional_create_never_matches_another_type(server, named):
    """If-None-Exist names the seed's MedicationKnowledge by id: it is a match only when the _type
    list includes the URL's type MedicationKnowledge; otherwise the create goes ahead."""
    criteria = f"_type={','.join(named)}&_id=tolperisone-mk"
    resource = {"resourceType": "MedicationKnowledge", "status": "active"}
    response = server.http.post(
        f"{server.base_url}/MedicationKnowledge",
        json=resource,
        headers={"Content-Type": "application/fhir+json", "If-None-Exist": criteria},
    )
    if "MedicationKnowledge" in named:
        assert response.status_code == 200 and response.json()["id"] == "tolperisone-mk"
    else:
        assert response.status_code == 201, response.text[:300]
        assert response.json()["resourceType"] == "MedicationKnowledge"
        assert response.json()["id"] != "tolperisone-mk"


@pytest.mark.parametrize("subset", ["_elements=id", "_summary=text"])
def test_subsetted_searchsets_render_as_xml(server, subset):
    """Found by the search fuzz: _elements/_summary=text dropped mandatory elements from the entries, so
    the XML serialiser refused the searchset (500). R5 search.html#elements: keep mandatory elements."""
    for rtype in ("AdministrableProductDefinition", "ClinicalUseDefinition", "Group", "Provenance"):
        response = server.get(f"{rtype}?{subset}&_format=xml")
        assert response.status_code == 200, (rtype, response.text[:300])
        json_view = server.get(f"{rtype}?{subset}").json()["entry"][0]["resource"]
        assert {"resourceType", "id", "meta"} < set(json_view)
