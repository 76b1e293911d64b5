"""Searchset paging over real HTTP: the links carry _format, _pretty, _summary and _elements and only
the parameters the search used (ignored ones dropped, as HAPI does), so a client following `next`
gets the same representation; `_count=0` answers as `_summary=count`."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from fhir_service.formats import parse_xml

JSON = "application/fhir+json"
CODE = "http://example.org/codes|link-test"
IDS = [f"link-{n}" for n in range(5)]


@pytest.fixture(scope="module")
def server(live):
    for rid in IDS:
        basic = {
            "resourceType": "Basic",
            "id": rid,
            "code": {"coding": [{"system": "http://example.org/codes", "code": "link-test"}]},
        }
        response = live.http.put(f"{live.base_url}/Basic/{rid}", json=basic, headers={"Content-Type": JSON})
        assert response.status_code == 201
    other = {"resourceType": "Basic", "id": "link-other", "code": {"text": "other"}}
    live.http.put(f"{live.base_url}/Basic/link-other", json=other, headers={"Content-Type": JSON})
    return live


def fetch(server, url: str, **headers) -> dict:
    response = server.http.get(url, headers=headers)
    assert response.status_code == 200, response.text
    if response.headers["Content-Type"].startswith("application/fhir+xml"):
        return parse_xml(response.content)
    return response.json()


def links(bundle: dict) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


def names(url: str) -> list[str]:
    return [k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]


def matches(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def walk(server, url: str) -> tuple[list[dict], list[dict]]:
    """Every page from `url` on by its `next` links: (bundles, matched resources)."""
    bundles, resources = [], []
    while url:
        bundle = fetch(server, url)
        bundles.append(bundle)
        resources += matches(bundle)
        url = links(bundle).get("next")
    return bundles, resources


@pytest.mark.parametrize(
    "fmt", ["xml", "application/fhir+xml", "application/fhir xml", "json", "application/json"]
)
def test_links_keep_the_format_and_drop_ignored_parameters(server, fmt):
    url = f"{server.base_url}/Basic?code={CODE}&nonsense=1&_filter=code eq x&_count=2&_format={fmt}&_pretty=true"
    bundles, resources = walk(server, url)
    assert sorted(r["id"] for r in resources) == IDS and len(bundles) == 3
    for bundle in bundles:
        for relation, link in links(bundle).items():
            used = names(link)
            assert {"code", "_count", "_format", "_pretty"} <= set(used), (relation, link)
            assert "nonsense" not in used and "_filter" not in used, (relation, link)
    # the first page's warning says what was ignored; the next pages were asked without it
    outcome = [e for e in bundles[0]["entry"] if e["search"]["mode"] == "outcome"]
    assert "nonsense" in str(outcome) and "_filter" in str(outcome)
    # back from the last page by `previous`, in the same format
    last = links(bundles[-1])
    back = fetch(server, last["previous"])
    assert [r["id"] for r in matches(back)] == [r["id"] for r in matches(bundles[1])]
    assert "_format" in names(links(back)["self"])


def test_summary_and_elements_are_carried_to_every_page(server):
    _, summarised = walk(server, f"{server.base_url}/Basic?code={CODE}&_count=2&_summary=true&_sort=_id")
    assert len(summarised) == 5
    assert all(r["meta"]["tag"][-1]["code"] == "SUBSETTED" for r in summarised)
    bundles, elements = walk(server, f"{server.base_url}/Basic?code={CODE}&_count=2&_elements=code")
    assert len(elements) == 5 and all(set(r) <= {"resourceType", "id", "meta", "code"} for r in elements)
    assert all("_elements" in names(links(b)["next"]) for b in bundles[:-1])


def test_the_self_link_says_what_was_done(server):
    bundle = fetch(server, f"{server.base_url}/Basic?code={CODE}&_count=5000&_totalMethod=count&_query=x")
    self_link = links(bundle)["self"]
    assert dict(parse_qsl(urlsplit(self_link).query)) == {"code": CODE, "_count": "1000"}
    strict = server.http.get(
        f"{server.base_url}/Basic?code={CODE}&_query=x", headers={"Prefer": "handling=strict"}
    )
    assert strict.status_code == 400 and strict.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "query",
    [
        f"Basic?code={CODE}&_count=0",
        f"Basic?code={CODE}&_count=0&_totalMethod=count",  # fhirpy's count()
        f"Basic?code={CODE}&_count=0&_format=xml",
        f"?_type=Basic&code={CODE}&_count=0",
        f"Basic?code={CODE}&_summary=count",
    ],
)
def test_count_zero_is_a_count(server, query):
    bundle = fetch(server, f"{server.base_url}/{query}")
    assert bundle["type"] == "searchset" and bundle["total"] == 5
    assert matches(bundle) == [] and "next" not in links(bundle)


def test_count_zero_by_post_search(server):
    response = server.http.post(
        f"{server.base_url}/Basic/_search",
        data={"code": CODE, "_count": "0"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200 and response.json()["total"] == 5
    assert "entry" not in response.json()
