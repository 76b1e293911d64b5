"""History over real HTTP: each entry's response.status is what the interaction answered (a PUT
that created its resource was a 201), and the page links carry what history used."""

from __future__ import annotations

from fhir_service.formats import parse_xml

JSON = "application/fhir+json"


def write(server, method: str, path: str, body: dict | None = None, status: int = 200):
    response = server.http.request(
        method, f"{server.base_url}/{path}", json=body, headers={"Content-Type": JSON} if body else {}
    )
    assert response.status_code == status, response.text
    return response


def statuses(server, path: str) -> list[tuple[str, str, str]]:
    """(method, etag, status) of every entry, oldest first."""
    bundle = server.get(path).json()
    return [
        (e["request"]["method"], e["response"]["etag"], e["response"]["status"])
        for e in reversed(bundle.get("entry", []))
    ]


def test_each_entry_says_what_its_interaction_answered(live):
    org = {"resourceType": "Organization", "id": "hist-1", "name": "v1"}
    write(live, "PUT", "Organization/hist-1", org, 201)  # create-on-update
    write(live, "PUT", "Organization/hist-1", {**org, "name": "v2"}, 200)
    write(live, "DELETE", "Organization/hist-1", status=204)
    write(live, "PUT", "Organization/hist-1", {**org, "name": "v4"}, 201)  # created again
    patch = [{"op": "replace", "path": "/name", "value": "v5"}]
    response = live.http.patch(
        f"{live.base_url}/Organization/hist-1",
        json=patch,
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 200
    created = write(live, "POST", "Organization", {"resourceType": "Organization", "name": "posted"}, 201)
    expected = [
        ("PUT", 'W/"1"', "201 Created"),
        ("PUT", 'W/"2"', "200 OK"),
        ("DELETE", 'W/"3"', "204 No Content"),
        ("PUT", 'W/"4"', "201 Created"),
        ("PATCH", 'W/"5"', "200 OK"),
    ]
    assert statuses(live, "Organization/hist-1/_history") == expected
    # the same at type and system level, where the versions of other resources sit in between
    type_level = [s for s in statuses(live, "Organization/_history?_count=100") if s[0] != "POST"]
    assert type_level == expected
    posted = created.json()["id"]
    assert statuses(live, f"Organization/{posted}/_history") == [("POST", 'W/"1"', "201 Created")]


def test_a_transaction_put_that_creates_is_201_in_history(live):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "Organization", "id": "hist-tx", "name": "t"},
                "request": {"method": "PUT", "url": "Organization/hist-tx"},
            }
        ],
    }
    answered = live.post_bundle(bundle).json()["entry"][0]["response"]["status"]
    assert answered == "201 Created"
    assert statuses(live, "Organization/hist-tx/_history") == [("PUT", 'W/"1"', answered)]
    bundle["entry"][0]["resource"]["name"] = "t2"
    answered = live.post_bundle(bundle).json()["entry"][0]["response"]["status"]
    assert answered == "200 OK"
    assert statuses(live, "Organization/hist-tx/_history")[-1] == ("PUT", 'W/"2"', answered)


def test_history_links_carry_format_and_drop_what_history_ignores(live):
    for n in range(3):
        basic = {"resourceType": "Basic", "id": f"hist-page-{n}", "code": {"text": "x"}}
        write(live, "PUT", f"Basic/hist-page-{n}", basic, 201)
    for fmt in ("json", "xml"):
        url = f"{live.base_url}/Basic/_history?_count=2&_format={fmt}&_pretty=true&bogus=1"
        seen = []
        while url:
            response = live.http.get(url)
            assert response.status_code == 200
            assert response.headers["Content-Type"].startswith(f"application/fhir+{fmt}")
            bundle = response.json() if fmt == "json" else parse_xml(response.content)
            links = {link["relation"]: link["url"] for link in bundle["link"]}
            for link in links.values():
                assert f"_format={fmt}" in link and "_pretty=true" in link and "bogus" not in link
            seen += [e["fullUrl"] for e in bundle["entry"]]
            url = links.get("next")
        assert len(seen) == 3
