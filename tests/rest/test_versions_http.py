"""R4 and R4B over real HTTP: the version bases (/fhir/R4, /fhir/R4B) and the `fhirVersion` parameter
of Accept and Content-Type give the same views of the stored R5 resources (read, vread, search with
_include and paging, history, metadata, writes converted back), never R5 bytes."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from fhir.resources.R4B import get_fhir_model_class as r4b_model
from fhirclient.models import fhirelementfactory

from fhir_service import versions

SEED_BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "bundles" / "tolperisone.json"
JSON = "application/fhir+json"
R4 = f"{JSON}; fhirVersion=4.0"
R4B = f"{JSON}; fhirVersion=4.3"
MK = "tolperisone-mk"


@pytest.fixture(scope="module")
def server(live):
    bundle = json.loads(SEED_BUNDLE.read_text(encoding="utf-8"))
    response = live.post_bundle(bundle)
    assert response.status_code == 200, response.text
    live.seed = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    return live


def get(server, path: str, accept: str = JSON, **params):
    return server.http.get(f"{server.base_url}/{path}", headers={"Accept": accept}, params=params)


def ids_of(server, cud_type: str) -> list[str]:
    return sorted(
        r["id"]
        for r in server.seed.values()
        if r["resourceType"] == "ClinicalUseDefinition" and r["type"] == cud_type
    )


def r4_parse(resource: dict):
    """fhirclient's R4 models, strict: an element R4 does not define raises."""
    return fhirelementfactory.FHIRElementFactory.instantiate(resource["resourceType"], resource)


def r4b_parse(resource: dict):
    return r4b_model(resource["resourceType"]).model_validate(resource)


# --- reads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("base", "accept", "parse"), [("R4", R4, r4_parse), ("R4B", R4B, r4b_parse)])
def test_base_and_accept_parameter_serve_the_same_view(server, base, accept, parse):
    by_base = get(server, f"{base}/MedicationKnowledge/{MK}")
    by_accept = get(server, f"MedicationKnowledge/{MK}", accept)
    r5 = get(server, f"MedicationKnowledge/{MK}").json()
    assert by_base.status_code == by_accept.status_code == 200, by_base.text
    assert by_base.json() == by_accept.json()
    view = by_base.json()
    assert view != r5 and "clinicalUseIssue" not in view and "name" not in view
    parse(view)
    assert by_base.headers["ETag"] == 'W/"1"' and by_base.headers["Content-Type"].startswith(JSON)
    version = versions.BASES[base]
    assert versions.from_version(view, version) == r5  # nothing lost on the way out


@pytest.mark.parametrize("accept", [R4, f"{JSON};fhirVersion=4.0.1", f"*/*;q=0.1, {R4}"])
def test_the_fast_read_path_never_serves_r5_bytes_to_an_r4_client(server, accept):
    r5 = get(server, f"MedicationKnowledge/{MK}")
    for path in (f"MedicationKnowledge/{MK}", f"MedicationKnowledge/{MK}/_history/1"):
        answer = get(server, path, accept)
        assert answer.status_code == 200 and answer.content != r5.content
        assert "clinicalUseIssue" not in answer.json()
        r4_parse(answer.json())
    searched = get(server, "MedicationKnowledge", accept, _id=MK).json()
    assert "clinicalUseIssue" not in searched["entry"][0]["resource"]


def test_split_types_are_read_by_their_view_type_only(server):
    indication, contraindication = ids_of(server, "indication")[0], ids_of(server, "contraindication")[0]
    read = get(server, f"R4/MedicinalProductIndication/{indication}")
    assert read.status_code == 200 and read.json()["resourceType"] == "MedicinalProductIndication"
    r4_parse(read.json())
    assert get(server, f"R4/MedicinalProductIndication/{indication}/_history/1").json() == read.json()
    assert get(server, f"R4/MedicinalProductContraindication/{indication}").status_code == 404
    assert get(server, f"R4/MedicinalProductIndication/{contraindication}").status_code == 404
    r4b = get(server, f"R4B/ClinicalUseDefinition/{indication}")
    assert r4b.status_code == 200 and r4b.json()["type"] == "indication"
    r4b_parse(r4b.json())


@pytest.mark.parametrize(
    ("path", "status", "named"),
    [
        ("R4/ClinicalUseDefinition/x", 404, "4.0.1"),  # an R4B/R5 type, not R4's
        ("R4/Requirements/x", 404, "4.0.1"),
        ("R4B/MedicinalProductIndication/x", 404, "4.3.0"),
        ("R4/MedicationKnowledge/nope", 404, "nope"),
    ],
)
def test_types_a_version_does_not_define_are_404(server, path, status, named):
    response = get(server, path)
    assert response.status_code == status and named in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        (f"R4/MedicationKnowledge/{MK}", f"{JSON}; fhirVersion=5.0"),  # the base fixes the version
        (f"R4B/MedicationKnowledge/{MK}", R4),
        (f"MedicationKnowledge/{MK}", f"{JSON}; fhirVersion=3.0"),
        (f"R4/MedicationKnowledge/{MK}", "application/fhir+xml"),  # views are JSON
        (f"MedicationKnowledge/{MK}", "application/fhir+xml; fhirVersion=4.0"),
    ],
)
def test_unanswerable_versions_are_406(server, path, accept):
    response = get(server, path, accept)
    assert response.status_code == 406
    assert response.json()["issue"][0]["code"] == "not-supported"


# --- search and history --------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["base", "accept"])
def test_search_pages_stay_on_the_version(server, how):
    path, accept = ("R4/", JSON) if how == "base" else ("", R4)
    subject = "MedicinalProduct/tolperisone-mpd"
    response = get(server, f"{path}MedicinalProductIndication", accept, subject=subject, _count="4")
    found, pages = [], 0
    while True:
        assert response.status_code == 200, response.text
        bundle = response.json()
        r4_parse(bundle)
        pages += 1
        for entry in bundle["entry"]:
            assert entry["fullUrl"].endswith(f"/MedicinalProductIndication/{entry['resource']['id']}")
            found.append(entry["resource"]["id"])
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        for url in links.values():
            split = urlsplit(url)
            assert split.path == f"/fhir/{path}MedicinalProductIndication"
            assert ("subject", subject) in parse_qsl(split.query) and "type" not in dict(
                parse_qsl(split.query)
            )
        if "next" not in links:
            break
        response = server.http.get(links["next"], headers={"Accept": accept})
    assert pages > 1 and sorted(found) == ids_of(server, "indication")


def test_chained_search_through_a_view(server):
    bundle = get(
        server, "R4/MedicinalProductContraindication", **{"subject:MedicinalProduct._id": "tolperisone-mpd"}
    ).json()
    found = sorted(e["resource"]["id"] for e in bundle["entry"])
    assert found == ids_of(server, "contraindication")
    link = urlsplit(bundle["link"][0]["url"])
    assert ("subject:MedicinalProduct._id", "tolperisone-mpd") in parse_qsl(link.query)


def test_search_include_in_r4_and_r4b(server):
    bundle = get(
        server,
        "R4/MedicinalProductContraindication",
        _include="MedicinalProductContraindication:subject",
    ).json()
    modes = {(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]}
    assert modes == {("MedicinalProductContraindication", "match"), ("MedicinalProduct", "include")}
    r4_parse(bundle)
    r4b = get(
        server, "R4B/ClinicalUseDefinition", type="contraindication", _include="ClinicalUseDefinition:subject"
    )
    r4b = r4b.json()
    assert {e["resource"]["resourceType"] for e in r4b["entry"]} == {
        "ClinicalUseDefinition",
        "MedicinalProductDefinition",
    }
    r4b_parse(r4b)


def test_history_in_r4(server):
    indication = ids_of(server, "indication")[0]
    instance = get(server, f"R4/MedicinalProductIndication/{indication}/_history").json()
    assert instance["total"] == 1
    entry = instance["entry"][0]
    assert entry["request"]["url"] == f"MedicinalProductIndication/{indication}"
    assert entry["resource"]["resourceType"] == "MedicinalProductIndication"
    typed = get(server, "R4/MedicinalProductIndication/_history", _count="1000").json()
    assert {e["resource"]["resourceType"] for e in typed["entry"]} == {"MedicinalProductIndication"}
    assert all("/R4/MedicinalProductIndication/_history" in link["url"] for link in typed["link"])
    system = get(server, "R4/_history", _count="5").json()
    r4_parse(system)
    assert all("/fhir/R4/_history" in link["url"] for link in system["link"])


# --- metadata ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("base", "full"), [("R4", "4.0.1"), ("R4B", "4.3.0")])
def test_each_base_has_its_capability_statement(server, base, full):
    statement = get(server, f"{base}/metadata").json()
    assert statement["fhirVersion"] == full
    (r4_parse if base == "R4" else r4b_parse)(statement)
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert "MedicationKnowledge" in resources and "Requirements" not in resources
    assert ("MedicinalProductIndication" in resources) == (base == "R4")
    mk_params = {p["name"] for p in resources["MedicationKnowledge"]["searchParam"]}
    assert {"code", "status", "_id"} <= mk_params and "product-type" not in mk_params  # R5 only
    # every parameter listed is answered (a strict search refuses unknown ones)
    for rtype in (
        "MedicationKnowledge",
        "MedicinalProductIndication" if base == "R4" else "ClinicalUseDefinition",
    ):
        for param in resources[rtype]["searchParam"]:
            value = {"reference": "MedicinalProduct/x", "date": "2020", "number": "1", "quantity": "1"}
            response = server.http.get(
                f"{server.base_url}/{base}/{rtype}",
                params={param["name"]: value.get(param["type"], "x")},
                headers={"Accept": JSON, "Prefer": "handling=strict"},
            )
            assert response.status_code == 200, (rtype, param, response.text)


# --- writes --------------------------------------------------------------------------------------


def test_writes_through_a_view_are_converted_back(server):
    indication = ids_of(server, "indication")[0]
    view = get(server, f"R4/MedicinalProductIndication/{indication}").json()
    stored = get(server, f"ClinicalUseDefinition/{indication}").json()
    new = {k: v for k, v in view.items() if k not in ("id", "meta")}
    created = server.http.post(
        f"{server.base_url}/R4/MedicinalProductIndication", json=new, headers={"Content-Type": JSON}
    )
    assert created.status_code == 201, created.text
    assert created.json()["resourceType"] == "MedicinalProductIndication"
    assert "/fhir/R4/MedicinalProductIndication/" in created.headers["Location"]
    rid = created.json()["id"]
    as_r5 = get(server, f"ClinicalUseDefinition/{rid}").json()
    assert as_r5["type"] == "indication"
    assert {k: v for k, v in as_r5.items() if k not in ("id", "meta")} == {
        k: v for k, v in stored.items() if k not in ("id", "meta")
    }
    # the same body, declared R4 by its Content-Type, at /fhir
    updated = server.http.put(
        f"{server.base_url}/MedicinalProductIndication/{rid}",
        json={**new, "id": rid},
        headers={"Content-Type": R4, "Accept": R4},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["resourceType"] == "MedicinalProductIndication"  # same content: no new version
    assert server.http.delete(f"{server.base_url}/R4/MedicinalProductIndication/{rid}").status_code == 204
    assert get(server, f"ClinicalUseDefinition/{rid}").status_code == 410


def test_a_write_that_would_lose_an_element_is_422(server):
    view = get(server, f"R4/MedicationKnowledge/{MK}").json()
    view["ingredient"] = [{**view["ingredient"][0], "isActive": True}]  # R4 only: no R5 home in the map
    response = server.http.put(
        f"{server.base_url}/R4/MedicationKnowledge/{MK}", json=view, headers={"Content-Type": JSON}
    )
    assert response.status_code == 422, response.text
    assert "without loss" in response.json()["issue"][0]["diagnostics"]


def test_put_of_a_read_view_changes_nothing(server):
    before = get(server, f"MedicationKnowledge/{MK}").json()
    view = get(server, f"R4/MedicationKnowledge/{MK}").json()
    put = server.http.put(
        f"{server.base_url}/R4/MedicationKnowledge/{MK}", json=view, headers={"Content-Type": JSON}
    )
    assert put.status_code == 200, put.text
    after = get(server, f"MedicationKnowledge/{MK}").json()
    assert {k: v for k, v in after.items() if k != "meta"} == {k: v for k, v in before.items() if k != "meta"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("PATCH", f"R4/MedicationKnowledge/{MK}", {"Content-Type": "application/json-patch+json"}, 405),
        (
            "PATCH",
            f"MedicationKnowledge/{MK}",
            {"Content-Type": "application/json-patch+json", "Accept": R4},
            405,
        ),
        ("PUT", "R4/MedicationKnowledge?code=x", {"Content-Type": JSON}, 405),
        ("DELETE", "R4/MedicationKnowledge?code=x", {}, 405),
        ("POST", "R4/MedicationKnowledge", {"Content-Type": JSON, "If-None-Exist": "code=x"}, 405),
        ("POST", "R4/MedicinalProductContraindication", {"Content-Type": JSON}, 400),  # body of another type
        ("POST", "R4/MedicationKnowledge", {"Content-Type": f"{JSON}; fhirVersion=5.0"}, 415),
        ("POST", "R4/MedicationKnowledge/$validate", {"Content-Type": JSON}, 405),
        ("POST", "MedicationKnowledge", {"Content-Type": "application/fhir+xml; fhirVersion=4.0"}, 415),
    ],
)
def test_writes_refused_through_a_view(server, method, path, headers, status):
    before = server.history_total()
    body = [] if "patch" in headers.get("Content-Type", "") else {"resourceType": "MedicationKnowledge"}
    if path.startswith("R4/MedicinalProductContraindication"):
        body = {"resourceType": "MedicinalProductIndication"}
    response = server.http.request(method, f"{server.base_url}/{path}", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert server.history_total() == before


def test_an_r4_transaction(server):
    indication = ids_of(server, "indication")[0]
    view = get(server, f"R4/MedicinalProductIndication/{indication}").json()
    body = {k: v for k, v in view.items() if k != "meta"}
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"MedicinalProductIndication/{indication}",
                "resource": body,
                "request": {"method": "PUT", "url": f"MedicinalProductIndication/{indication}"},
            }
        ],
    }
    response = server.http.post(server.base_url, json=bundle, headers={"Content-Type": R4, "Accept": R4})
    assert response.status_code == 200, response.text
    answer = response.json()
    r4_parse(answer)
    assert answer["entry"][0]["response"]["status"].startswith("200")
    assert get(server, f"ClinicalUseDefinition/{indication}").json()["type"] == "indication"


def test_an_r4_batch_reads_as_the_r4_routes_do(server):
    indication, contraindication = ids_of(server, "indication")[0], ids_of(server, "contraindication")[0]
    subject = "MedicinalProduct/tolperisone-mpd"
    urls = [
        f"MedicinalProductIndication?subject={subject}&_count=4",
        "MedicinalProductIndication/_history?_count=1000",
        f"MedicinalProductIndication/{indication}",
        f"MedicinalProductIndication/{contraindication}",
        f"MedicinalProductContraindication/{contraindication}/_history/1",
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": u}} for u in urls],
    }
    response = server.http.post(f"{server.base_url}/R4", json=bundle, headers={"Accept": JSON})
    assert response.status_code == 200, response.text
    answer = response.json()
    r4_parse(answer)
    search, history, read, other, vread = answer["entry"]
    direct = get(server, "R4/MedicinalProductIndication", subject=subject, _count="4").json()
    assert [e["resource"]["id"] for e in search["resource"]["entry"]] == [
        e["resource"]["id"] for e in direct["entry"]
    ]
    assert {link["relation"]: link["url"] for link in search["resource"]["link"]} == {
        link["relation"]: link["url"] for link in direct["link"]
    }  # the view's type and parameters, not ClinicalUseDefinition?type=indication
    served = {e["resource"]["resourceType"] for e in history["resource"]["entry"] if "resource" in e}
    assert served == {"MedicinalProductIndication"}
    assert (
        urlsplit(history["resource"]["link"][0]["url"]).path == "/fhir/R4/MedicinalProductIndication/_history"
    )
    assert read["resource"]["resourceType"] == "MedicinalProductIndication"
    assert other["response"]["status"] == "404 Not Found" and "resource" not in other
    assert vread["resource"]["resourceType"] == "MedicinalProductContraindication"


def test_system_search_history_and_types_r4_lacks(server):
    requirement = {"resourceType": "Requirements", "id": "r5-only", "status": "active"}
    assert server.http.put(f"{server.base_url}/Requirements/r5-only", json=requirement).status_code in (
        200,
        201,
    )
    history = get(server, "R4/_history", _count="1000").json()
    served = {e["resource"]["resourceType"] for e in history["entry"] if "resource" in e}
    assert "Requirements" not in served and "MedicinalProductIndication" in served
    assert "total" not in history  # entries were left out: no total claimed
    r4_parse(history)
    everything = get(server, "R4", _count="1000").json()
    assert "Requirements" not in {e["resource"]["resourceType"] for e in everything["entry"]}
    one = get(server, "R4", _type="MedicinalProductIndication", _count="1000").json()
    assert sorted(e["resource"]["id"] for e in one["entry"]) == ids_of(server, "indication")
    two = get(server, "R4", _type="MedicinalProductIndication,MedicinalProduct", _count="1000").json()
    matched = {e["resource"]["resourceType"] for e in two["entry"] if e["search"]["mode"] == "match"}
    assert matched == {"MedicinalProductIndication", "MedicinalProduct"}


def test_summary_and_revinclude_through_a_view(server):
    indication = ids_of(server, "indication")[0]
    summary = get(server, f"R4/MedicinalProductIndication/{indication}", _summary="true").json()
    assert summary["resourceType"] == "MedicinalProductIndication"
    assert any(t["code"] == "SUBSETTED" for t in summary["meta"]["tag"])
    full = get(server, f"R4/MedicinalProductIndication/{indication}").json()  # not the subset kept
    assert not any(t.get("code") == "SUBSETTED" for t in full["meta"].get("tag", []))
    bundle = get(
        server,
        "R4/MedicinalProduct",
        _id="tolperisone-mpd",
        _revinclude="MedicinalProductIndication:subject",
    ).json()
    included = {e["resource"]["resourceType"] for e in bundle["entry"] if e["search"]["mode"] == "include"}
    assert "MedicinalProductIndication" in included
    r4_parse(bundle)


@pytest.mark.parametrize("accept", [R4, R4B])
def test_a_kept_view_is_never_another_databases_version_1(database_url_factory, accept):
    """Two stores in one process, each with its own version 1 of the same resource: each answers
    the view of its own."""
    from live_server import LiveServer

    servers = [LiveServer(database_url_factory()) for _ in range(2)]
    try:
        for n, server in enumerate(servers):
            body = {"resourceType": "MedicationKnowledge", "id": "same-id", "status": "active"}
            body["intendedJurisdiction"] = [{"text": f"store {n}"}]
            put = server.http.put(
                f"{server.base_url}/MedicationKnowledge/same-id", json=body, headers={"Content-Type": JSON}
            )
            assert put.status_code == 201, put.text
            view = get(server, "MedicationKnowledge/same-id", accept)
            assert view.status_code == 200
            assert f"store {n}" in view.text, view.text
            assert view.json()["meta"] == get(server, "MedicationKnowledge/same-id").json()["meta"]
    finally:
        for server in servers:
            server.stop()
