"""The CapabilityStatement claims exactly what works, checked over real HTTP against /metadata.

Every type holds a bare probe resource (`{"resourceType": T, "id": "cap-probe"}`), and the seed
monograph's and the search conformance resources are loaded. Then, under `Prefer: handling=strict`
(an unsupported parameter would be a 400, not silently ignored):

- every claimed search parameter of every type, and every claimed system-level one, narrows: a
  value nothing has finds nothing where the type holds resources, and the probe is still found by
  `:missing` (true, or false where a bare resource has a value) or its own id, type and date: the
  parameter filters on its own values;
- every row of the conformance table (tests/search/conformance.tsv) whose parameter is claimed
  finds its resource and not the decoy, and no parameter the table marks unsupported is claimed;
- every claimed searchInclude and searchRevInclude value is accepted, and on the loaded data each
  one includes exactly the resources its reference parameter points to (or from).
"""

from __future__ import annotations

import csv
import logging
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from werkzeug.serving import WSGIRequestHandler

from fhir_service.resource_types import RESOURCE_TYPES
from fhir_service.search.extract import evaluate, evaluate_on_item
from fhir_service.search.registry import registry

STRICT = {"Prefer": "handling=strict", "Accept": "application/fhir+json"}
PROBE = "cap-probe"
NOTHING = {
    "token": "urn:cap:none|cap-nomatch",
    "string": "zqxcapnomatch",
    "date": "1871-01-01",
    "number": "-98765",
    "quantity": "-98765",
    "reference": "cap-nomatch",
    "uri": "urn:cap:nomatch",
}
# parameters whose value is not of their declared type, or that take no :missing
SPECIAL_NOTHING = {
    "_id": "cap-nomatch",
    "_in": "List/cap-nomatch",
    "_list": "cap-nomatch",
    "_content": "zqxcapnomatch",
    "_text": "zqxcapnomatch",
}
NO_MISSING = {"_id", "_lastUpdated", "_in", "_list", "_content", "_text", "_has", "_type"}
SEARCH_TESTS = Path(__file__).resolve().parents[1] / "search"
REFERENCE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/.*)?$")


@pytest.fixture(scope="module")
def server(live, seed_path):
    if str(SEARCH_TESTS) not in sys.path:  # the search tests' data and helpers
        sys.path.insert(0, str(SEARCH_TESTS))
    from search_helpers import conformance_resources, load, seed_resources

    # keep-alive: each client thread's requests on one server thread and its database connection
    live.server.RequestHandlerClass = type(
        "KeepAlive", (WSGIRequestHandler,), {"protocol_version": "HTTP/1.1"}
    )
    data = seed_resources(seed_path) + conformance_resources()
    probes = [{"resourceType": t, "id": PROBE} for t in sorted(RESOURCE_TYPES)]
    load(live.app.extensions["fhir_repository"], data + probes)  # stored as given: probes skip validation
    live.data = data
    quiet = logging.getLogger("werkzeug")
    level, quiet.level = quiet.level, logging.WARNING  # thousands of request lines
    yield live
    quiet.setLevel(level)


@pytest.fixture(scope="module")
def statement(server) -> dict:
    response = server.get("metadata")
    assert response.status_code == 200
    return response.json()


_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def total(server, path: str, params: list[tuple[str, str]]) -> tuple[int, str]:
    """(total, problem) of a search counted with _count=0; the problem is '' when it went as claimed."""
    url = f"{server.base_url}/{path}?{urlencode([*params, ('_count', '0')])}"
    response = _session().get(url, headers=STRICT)
    if response.status_code != 200:
        return -1, f"{url}: {response.status_code} {response.text[:300]}"
    bundle = response.json()
    if bundle.get("entry"):  # an outcome entry: something was warned about
        return -1, f"{url}: {bundle['entry']}"
    return bundle["total"], ""


def run_all(checks) -> str:
    """Run (callable, args) checks 8 at a time; every failure's message, one a line."""
    with ThreadPoolExecutor(8) as pool:
        return "\n".join(problem for problem in pool.map(lambda c: c[0](*c[1]), checks) if problem)


def nothing(param: dict) -> str:
    """A value of the parameter's type that no stored resource has."""
    name = param["name"]
    if name in SPECIAL_NOTHING:
        return SPECIAL_NOTHING[name]
    if param["type"] == "composite":
        definition = registry().by_url(param["definition"])
        return "$".join(NOTHING[registry().by_url(url).type] for url, _ in definition.components)
    return NOTHING[param["type"]]


def check_param(server, rtype: str | None, param: dict) -> str:
    path = rtype or ""
    name = param["name"]
    if name == "_has":
        criteria = [("_has:Provenance:target:_id", "cap-nomatch")]
    elif name == "_type":  # another type than the URL's; at system level one of many
        criteria = [("_type", "Basic" if rtype != "Basic" else "Account"), ("_id", "cap-nomatch")]
    else:
        criteria = [(name, nothing(param))]
    found, problem = total(server, path, criteria)
    if problem:
        return problem
    if found != 0:
        return f"{path}?{criteria}: {found} found, the parameter does not narrow"
    return ""


def probe_criteria(rtype: str | None, param: dict) -> list[tuple[str, str]]:
    """Criteria the probe meets through the parameter: its own id, type and date, or `:missing`
    as it has (no) value; [] where the probe cannot show it (_text, _list, _has, …)."""
    name = param["name"]
    if name in NO_MISSING and name not in ("_id", "_type", "_lastUpdated"):
        return []
    missing = "false" if probe_has_value(rtype or "Basic", name) else "true"
    return {
        "_id": [("_id", PROBE)],
        "_type": [("_type", rtype or "Basic")],
        "_lastUpdated": [("_lastUpdated", "gt1900-01-01")],
    }.get(name, [(f"{name}:missing", missing)])


def check_probe_found(server, rtype: str | None, params: list[dict]) -> str:
    """All the criteria at once (AND) must still find the probe; if not, each alone names the culprit."""
    path = rtype or ""
    expected = 1 if rtype else len(RESOURCE_TYPES)
    criteria = [c for p in params for c in probe_criteria(rtype, p)]
    if any(k == "_type" for k, _ in criteria):
        expected = 1
    found, problem = total(server, path, [*criteria, ("_id", PROBE)])
    if not problem and found == expected:
        return ""
    problems = []
    for p in params:
        alone = [*probe_criteria(rtype, p), ("_id", PROBE)]
        found, problem = total(server, path, alone)
        wanted = 1 if rtype or p["name"] == "_type" else len(RESOURCE_TYPES)
        if problem or found != wanted:
            problems.append(problem or f"{path}?{alone}: {found} found, expected the probe ({wanted})")
    return "\n".join(problems) or f"{path}: the probe is not found by {criteria} together"


def probe_has_value(rtype: str, code: str) -> bool:
    """Whether the bare probe has a value for the parameter (`deceased` is `false` on any Patient;
    a composite's value is its first component's)."""
    probe = {"resourceType": rtype, "id": PROBE}
    definition = registry().get(rtype, code)
    if definition is None:
        return False
    items = evaluate(rtype, definition.expression, probe)
    if definition.type == "composite":
        first = definition.components[0][1]
        return any(evaluate_on_item(first, item) for item in items)
    return bool(items)


def test_every_claimed_search_parameter_narrows(server, statement):
    rest = statement["rest"][0]
    resources = {r["type"]: r for r in rest["resource"]}
    assert set(resources) == set(RESOURCE_TYPES)
    checks = [(check_param, (server, t, p)) for t, r in resources.items() for p in r.get("searchParam", [])]
    assert len(checks) > 3000
    checks += [(check_param, (server, None, p)) for p in rest["searchParam"]]
    for rtype, params in [
        *((t, r.get("searchParam", [])) for t, r in resources.items()),
        (None, rest["searchParam"]),
    ]:
        for start in range(0, len(params), 25):  # FHIR_SERVICE_MAX_SEARCH_PARAMS: 30 criteria
            checks.append((check_probe_found, (server, rtype, params[start : start + 25])))
    assert run_all(checks) == ""


def test_nothing_ignored_is_claimed(statement):
    rest = statement["rest"][0]
    claimed = {p["name"] for r in rest["resource"] for p in r.get("searchParam", [])}
    assert not {"_filter", "_query", "_contained", "_containedType"} & claimed
    location = next(r for r in rest["resource"] if r["type"] == "Location")
    assert "near" not in {p["name"] for p in location["searchParam"]}  # no geographic search
    system = {p["name"] for p in rest["searchParam"]}
    assert {"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "_text", "_content"} <= system
    assert {"_type", "_has", "_list", "_in"} <= system


def conformance_rows() -> list[dict]:
    with (SEARCH_TESTS / "conformance.tsv").open() as fh:
        return list(csv.DictReader([line for line in fh if not line.startswith("#")], delimiter="\t"))


def check_row(server, row: dict) -> str:
    rtype, expect = row["resource_type"], row["expect"]
    url = f"{server.base_url}/{rtype}?{urlencode([*parse_qsl(row['positive']), ('_count', '1000')])}"
    response = _session().get(url, headers=STRICT)
    if response.status_code != 200:
        return f"{url}: {response.status_code} {response.text[:300]}"
    found = [e["resource"]["id"] for e in response.json().get("entry", []) if e["search"]["mode"] == "match"]
    decoy = "-".join(expect.split("-")[:2]) + "-decoy"
    if expect not in found or decoy in found:
        return f"{url}: found {found}, expected {expect} and not {decoy}"
    return ""


def test_the_conformance_table_agrees_with_the_claims(server, statement):
    claimed = {
        (r["type"], p["name"]) for r in statement["rest"][0]["resource"] for p in r.get("searchParam", [])
    }
    rows = conformance_rows()
    unsupported = {(r["resource_type"], r["param"]) for r in rows if r["expect"] == "unsupported"}
    assert unsupported & claimed == set()  # e.g. MedicationKnowledge packaging-cost has no expression
    checked = [r for r in rows if r["expect"] != "unsupported"]
    assert all((r["resource_type"], re.split("[:.]", r["param"])[0]) in claimed for r in checked)
    assert len(checked) > 50
    assert run_all([(check_row, (server, r)) for r in checked]) == ""


def references(rtype: str, code: str, resource: dict) -> set[tuple[str, str]]:
    """The local references (type, id) the reference parameter `code` of `rtype` selects."""
    param = registry().get(rtype, code)
    out = set()
    for value in evaluate(rtype, param.expression, resource):
        if isinstance(value, dict) and isinstance(value.get("reference"), dict):  # a CodeableReference
            value = value["reference"]
        match = REFERENCE.match(value.get("reference", "") if isinstance(value, dict) else "")
        if match:
            out.add((match[1], match[2]))
    return out


def included(server, path: str, params: list[tuple[str, str]]) -> tuple[set, str]:
    url = f"{server.base_url}/{path}?{urlencode([*params, ('_count', '1000')])}"
    response = _session().get(url, headers=STRICT)
    if response.status_code != 200:
        return set(), f"{url}: {response.status_code} {response.text[:300]}"
    entries = response.json().get("entry", [])
    if any(e["search"]["mode"] == "outcome" for e in entries):
        return set(), f"{url}: warned {entries[-1]}"
    return {
        (e["resource"]["resourceType"], e["resource"]["id"])
        for e in entries
        if e["search"]["mode"] == "include"
    }, ""


def check_accepted(server, rtype: str, name: str, values: list[str]) -> str:
    return included(server, rtype, [("_id", PROBE), *((name, v) for v in values)])[1]


def check_include(server, source: str, code: str) -> str:
    stored = {(r["resourceType"], r["id"]) for r in server.data}
    expected = set()
    for resource in server.data:
        if resource["resourceType"] == source:
            expected |= references(source, code, resource) & stored
    found, problem = included(server, source, [("_include", f"{source}:{code}")])
    if problem or found != expected:
        return problem or f"{source}?_include={source}:{code}: {sorted(found)}, expected {sorted(expected)}"
    return ""


def check_revinclude(server, target: str, source: str, code: str) -> str:
    targets = {(r["resourceType"], r["id"]) for r in server.data if r["resourceType"] == target}
    expected = {
        (source, r["id"])
        for r in server.data
        if r["resourceType"] == source and references(source, code, r) & targets
    }
    found, problem = included(server, target, [("_revinclude", f"{source}:{code}")])
    if problem or found != expected:
        return (
            problem or f"{target}?_revinclude={source}:{code}: {sorted(found)}, expected {sorted(expected)}"
        )
    return ""


def test_every_claimed_include_is_accepted_and_includes_what_it_names(server, statement):
    resources = statement["rest"][0]["resource"]
    checks = []
    for r in resources:
        for name, key in (("_include", "searchInclude"), ("_revinclude", "searchRevInclude")):
            values = r.get(key, [])
            assert not values or values[0] == "*"
            for start in range(0, len(values), 20):  # FHIR_SERVICE_MAX_INCLUDES per search
                checks.append((check_accepted, (server, r["type"], name, values[start : start + 20])))
    assert len(checks) > 500
    loaded = {r["resourceType"] for r in server.data}
    with_data = 0
    for r in resources:
        for value in r.get("searchInclude", [])[1:]:
            source, code = value.split(":")
            if source in loaded:
                checks.append((check_include, (server, source, code)))
                with_data += 1
        for value in r.get("searchRevInclude", [])[1:]:
            source, code = value.split(":")
            if source in loaded and r["type"] in loaded:
                checks.append((check_revinclude, (server, r["type"], source, code)))
                with_data += 1
    assert with_data > 50
    assert run_all(checks) == ""
    # the data makes the check bite: MedicationKnowledge includes its clinical-use issues
    found, _ = included(
        server, "MedicationKnowledge", [("_include", "MedicationKnowledge:clinical-use-issue")]
    )
    assert len(found) > 10
