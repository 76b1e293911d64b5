"""_text / _content (full-text index), _list / _in (membership through the containers' reference
index), token :below / :above (code systems of the R5 core package), on the configured database
and over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from search_helpers import ids, load, new_repo, run
from sqlalchemy import text as sql

from fhir_service.definitions.hierarchy import known, related
from fhir_service.ingest.writer import run_ingest
from fhir_service.interactions.errors import as_fhir_error
from fhir_service.search import text
from fhir_service.search.errors import SearchError
from fhir_service.search.maintenance import rebuild_index
from fhir_service.store import migrate
from fhir_service.store.database import make_engine

X = "http://www.w3.org/1999/xhtml"
INTENT = "http://hl7.org/fhir/CodeSystem/medicationrequest-intent"


def narrative(html: str) -> dict:
    return {"status": "generated", "div": f'<div xmlns="{X}">{html}</div>'}


RESOURCES = [
    {
        "resourceType": "Patient",
        "id": "tx-1",
        "text": narrative("<p>Myasthénia <b>gravis</b> since 2019; x-ray of the chest &amp; hands</p>"),
        "name": [{"family": "Müller", "given": ["Zoë"]}],
    },
    {
        "resourceType": "Patient",
        "id": "tx-2",
        "text": narrative("<p>Gravis myasthenia? No: migraine.</p>"),
        "name": [{"family": "Chestnut"}],
    },
    {"resourceType": "Patient", "id": "tx-3", "name": [{"family": "Plain"}]},
    {
        "resourceType": "List",
        "id": "ls-1",
        "status": "current",
        "mode": "working",
        "entry": [{"item": {"reference": "Patient/tx-1"}}, {"item": {"reference": "Observation/ob-1"}}],
    },
    {
        "resourceType": "Group",
        "id": "gr-1",
        "type": "person",
        "membership": "enumerated",
        "member": [{"entity": {"reference": "Patient/tx-2"}}],
    },
    {
        "resourceType": "CareTeam",
        "id": "ct-1",
        "participant": [{"member": {"reference": "Patient/tx-3"}}],
    },
    {
        "resourceType": "Observation",
        "id": "ob-1",
        "status": "final",
        "code": {"text": "chest x-ray"},
    },
    *(
        {
            "resourceType": "MedicationRequest",
            "id": f"mr-{intent}",
            "status": "active",
            "intent": intent,
            "subject": {"reference": "Patient/tx-1"},
        }
        for intent in ("order", "filler-order", "instance-order", "plan")
    ),
]


@pytest.fixture(scope="module")
def repo(database_url_factory):
    repository = new_repo(database_url_factory)
    load(repository, RESOURCES)
    yield repository
    repository.dispose()


def found(repo, rtype, params, strict=True) -> set[str]:
    return set(ids(run(repo, rtype, params, strict=strict)))


# --- pure parts ----------------------------------------------------------------------------


def test_words_fold_case_and_accents_and_split_on_punctuation():
    assert text.words("Myasthénia GRAVIS, x-ray_film Zoë") == [
        "myasthenia",
        "gravis",
        "x",
        "ray",
        "film",
        "zoe",
    ]


def test_narrative_is_plain_text_and_content_skips_narrative_ids_and_systems():
    resource = RESOURCES[0]
    assert text.narrative_words(resource)[:3] == ["myasthenia", "gravis", "since"]
    assert "amp" not in text.narrative_words(resource)  # entities are decoded, tags dropped
    content = text.content_words(
        {**resource, "meta": {"versionId": "7"}, "identifier": [{"system": "urn:x"}]}
    )
    assert content == ["muller", "zoe"]


def test_query_syntax():
    assert text.parse_terms(['"gravis since" myas OR x-ray', "zoe"]) == (
        (("gravis", "since"), ("myas",)),
        (("x", "ray"),),
        (("zoe",),),
    )
    terms = text.parse_terms(["a b"])
    assert text.fts5_query("narrative", terms) == '{narrative} : (("a"* AND "b"*))'
    assert text.tsquery(terms) == "(('a':*) & ('b':*))"
    with pytest.raises(SearchError):
        text.parse_terms([" ,;- "])


def test_tsvector_literal_keeps_positions():
    assert text._tsvector(["a", "b", "a"]) == "'a':1,3 'b':2"
    huge = text._tsvector([f"w{i:060d}" for i in range(20_000)])  # 1.2 MB of distinct words
    assert len(huge.encode()) < 1_000_000


def test_hierarchy_of_a_core_code_system():
    assert related(INTENT, "order", "below") >= {"order", "filler-order", "instance-order"}
    assert "plan" not in related(INTENT, "order", "below")
    assert related(INTENT, "instance-order", "above") >= {"instance-order", "filler-order", "order"}
    assert related("http://hl7.org/fhir/administrative-gender", "male", "below") == {"male"}  # flat
    assert related("http://snomed.info/sct", "404684003", "below") is None
    assert known(INTENT) and not known("http://loinc.org")


def test_hierarchy_and_value_set_expansions_agree():
    """:below and :in read two files built from the same R5 release: the codes agree."""
    from fhir_service import definitions

    expansion = definitions.value_set("http://hl7.org/fhir/ValueSet/medicationrequest-intent")[INTENT]
    assert related(INTENT, "order", "below") <= expansion


# --- _text / _content ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params,expected",
    [
        ([("_text", "gravis")], {"tx-1", "tx-2"}),
        ([("_text", "MYASTH")], {"tx-1", "tx-2"}),  # case-insensitive word prefix
        ([("_text", "myasthénia gravis")], {"tx-1", "tx-2"}),  # every word, any order
        ([("_text", '"myasthenia gravis"')], {"tx-1"}),  # phrase: adjacent, in order
        ([("_text", "x-ray")], {"tx-1"}),
        ([("_text", "ray-x")], set()),
        ([("_text", "gravis migraine")], {"tx-2"}),
        ([("_text", "hands OR migraine")], {"tx-1", "tx-2"}),
        ([("_text", "hands,migraine")], {"tx-1", "tx-2"}),
        ([("_text", "gravis"), ("_text", "hands")], {"tx-1"}),  # repeated: AND
        ([("_text", "muller")], set()),  # the name is content, not narrative
        ([("_content", "muller")], {"tx-1"}),
        ([("_content", "zoe muller")], {"tx-1"}),
        ([("_content", "chest")], {"tx-1", "tx-2"}),  # narrative words are content too
        ([("_content", "chestn")], {"tx-2"}),
        ([("_content", "tx")], set()),  # ids are not content
        ([("_content", "gravis"), ("name", "chestnut")], {"tx-2"}),
    ],
)
def test_text_and_content(repo, params, expected):
    assert found(repo, "Patient", params) == expected


def test_content_across_types(repo):
    assert found(repo, None, [("_content", "chest ray")]) == {"tx-1", "ob-1"}
    assert found(repo, None, [("_content", "chest ray"), ("_type", "Observation")]) == {"ob-1"}


def test_chains_and_has_reach_the_new_parameters(repo):
    orders = {"mr-order", "mr-filler-order", "mr-instance-order", "mr-plan"}
    assert found(repo, "MedicationRequest", [("subject._text", "myasthenia")]) == orders
    assert found(repo, "MedicationRequest", [("subject:Patient._list", "ls-1")]) == orders
    assert found(repo, "MedicationRequest", [("subject._content", "chestnut")]) == set()
    below = f"{INTENT}|filler-order"
    assert found(repo, "Patient", [("_has:MedicationRequest:subject:intent:below", below)]) == {"tx-1"}
    assert found(repo, "Patient", [("_has:List:item:_content", "working")]) == {"tx-1"}


def test_text_refuses_modifiers_and_empty_queries(repo):
    for params in ([("_text:exact", "gravis")], [("_content", "--")]):
        with pytest.raises(SearchError) as err:
            run(repo, "Patient", params)
        assert as_fhir_error(err.value).status == 400


def test_index_follows_update_delete_and_reindex(database_url_factory):
    repo = new_repo(database_url_factory)
    try:
        load(repo, RESOURCES[:3])
        changed = {**RESOURCES[0], "text": narrative("<p>resolved</p>")}
        load(repo, [changed])
        assert found(repo, "Patient", [("_text", "gravis")]) == {"tx-2"}
        assert found(repo, "Patient", [("_text", "resolved")]) == {"tx-1"}
        with repo.unit_of_work() as uow:
            uow.delete("Patient", "tx-2")
        assert found(repo, "Patient", [("_text", "gravis")]) == set()
        with repo.engine.begin() as conn:
            assert conn.scalar(sql("SELECT count(*) FROM search_text")) == 2  # one row per live resource
            assert text.check(conn) == (0, 0)
            conn.execute(sql("DELETE FROM search_text"))
            assert text.check(conn) == (0, 2)
        assert found(repo, "Patient", [("_text", "resolved")]) == set()
        assert rebuild_index(repo) == 2
        assert found(repo, "Patient", [("_text", "resolved")]) == {"tx-1"}
        with repo.unit_of_work() as uow:  # the bulk path (ingest): index_many
            batch = [RESOURCES[1], {**RESOURCES[0], "text": narrative("again")}]
            uow.put_many(batch, uow.read_many([(r["resourceType"], r["id"]) for r in batch]))
        assert found(repo, "Patient", [("_text", "again")]) == {"tx-1"}
    finally:
        repo.dispose()


def test_migration_fills_the_index_of_stored_resources(database_url_factory):
    url = database_url_factory()
    migrate.upgrade(url)
    repo = new_repo(lambda: url)
    try:
        load(repo, RESOURCES[:2])
        migrate.downgrade(url, "0003")
        migrate.upgrade(url)
        assert found(repo, "Patient", [("_text", "migraine")]) == {"tx-2"}
    finally:
        repo.dispose()


# --- _list / _in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rtype,params,expected",
    [
        ("Patient", [("_list", "ls-1")], {"tx-1"}),
        ("Patient", [("_list", "List/ls-1")], {"tx-1"}),
        (None, [("_list", "ls-1")], {"tx-1", "ob-1"}),
        ("Observation", [("_list", "ls-1")], {"ob-1"}),
        ("Patient", [("_list", "nope")], set()),
        ("Patient", [("_in", "Group/gr-1")], {"tx-2"}),
        ("Patient", [("_in", "CareTeam/ct-1")], {"tx-3"}),
        ("Patient", [("_in", "List/ls-1,Group/gr-1")], {"tx-1", "tx-2"}),
        ("Patient", [("_in", "List/ls-1"), ("_in", "Group/gr-1")], set()),
        ("Patient", [("_in", "Group/gr-1"), ("_text", "migraine")], {"tx-2"}),
        ("Patient", [("_list", "ls-1"), ("family", "mul")], {"tx-1"}),
    ],
)
def test_list_and_in(repo, rtype, params, expected):
    assert found(repo, rtype, params) == expected


def test_list_and_in_refusals(repo):
    for params in ([("_list", "$current-problems")], [("_in", "Patient/tx-1")], [("_list", "Group/gr-1")]):
        with pytest.raises(SearchError) as err:
            run(repo, "Patient", params)
        assert as_fhir_error(err.value).status == 400, params


def test_deleted_lists_and_members(database_url_factory):
    repo = new_repo(database_url_factory)
    try:
        load(repo, RESOURCES)
        with repo.unit_of_work() as uow:
            uow.delete("Patient", "tx-2")
        bundle = run(repo, "Patient", [("_in", "Group/gr-1"), ("_total", "accurate")])
        assert (ids(bundle), bundle["total"]) == ([], 0)  # a deleted member is no member
        with repo.unit_of_work() as uow:
            uow.delete("List", "ls-1")
        assert found(repo, "Patient", [("_list", "ls-1")]) == set()
    finally:
        repo.dispose()


# --- :below / :above -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "modifier,code,expected",
    [
        ("below", "order", {"mr-order", "mr-filler-order", "mr-instance-order"}),
        ("below", "filler-order", {"mr-filler-order", "mr-instance-order"}),
        ("above", "instance-order", {"mr-order", "mr-filler-order", "mr-instance-order"}),
        ("above", "order", {"mr-order"}),
        ("below", "plan", {"mr-plan"}),
    ],
)
def test_token_below_above_in_a_core_hierarchy(repo, modifier, code, expected):
    assert found(repo, "MedicationRequest", [(f"intent:{modifier}", f"{INTENT}|{code}")]) == expected


def test_in_and_below_select_the_same_orders(repo):
    in_set = found(
        repo, "MedicationRequest", [("intent:in", "http://hl7.org/fhir/ValueSet/medicationrequest-intent")]
    )
    assert in_set == {"mr-order", "mr-filler-order", "mr-instance-order", "mr-plan"}
    below = found(repo, "MedicationRequest", [("intent:below", f"{INTENT}|order")])
    assert below < in_set


def test_token_below_outside_the_local_hierarchies(repo):
    params = [("intent:below", "http://snomed.info/sct|order")]
    with pytest.raises(SearchError) as err:
        run(repo, "MedicationRequest", params, strict=True)
    assert as_fhir_error(err.value).status == 400 and "not known locally" in err.value.args[0]
    bundle = run(repo, "MedicationRequest", params)
    outcome = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert len(outcome[0]["issue"]) == 1 and "not known locally" in outcome[0]["issue"][0]["diagnostics"]
    with pytest.raises(SearchError):  # no system: no hierarchy to look in
        run(repo, "MedicationRequest", [("intent:below", "order")])


# --- refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,value", [("_query", "x"), ("_filter", "name eq x"), ("_contained", "true"), ("_contained", "both")]
)
def test_unsupported_result_parameters_warn_or_fail(repo, name, value):
    bundle = run(repo, "Patient", [(name, value), ("_text", "gravis")])
    outcome = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert name in outcome[0]["issue"][0]["diagnostics"] and set(ids(bundle)) == {"tx-1", "tx-2"}
    with pytest.raises(SearchError) as err:
        run(repo, "Patient", [(name, value)], strict=True)
    assert as_fhir_error(err.value).status == 400


def test_contained_false_is_what_search_does_anyway(repo):
    bundle = run(repo, "Patient", [("_contained", "false"), ("_containedType", "container")], strict=True)
    assert set(ids(bundle)) == {"tx-1", "tx-2", "tx-3"}


# --- over HTTP -----------------------------------------------------------------------------


def get(base, path, params, headers=None):
    request = urllib.request.Request(f"{base}/{path}?{urlencode(params)}", headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_http(server):
    base, repo = server
    load(repo, RESOURCES)
    status, bundle = get(base, "Patient", [("_text", "myasthenia"), ("_list", "ls-1")])
    assert status == 200 and ids(bundle) == ["tx-1"]
    status, bundle = get(base, "MedicationKnowledge", [("_content", "conformanzol tablets")])
    assert status == 200 and "conf-mk" in ids(bundle)
    status, bundle = get(base, "MedicationRequest", [("intent:below", f"{INTENT}|filler-order")])
    assert status == 200 and set(ids(bundle)) == {"mr-filler-order", "mr-instance-order"}
    strict = {"Prefer": "handling=strict"}
    for params in (
        [("_filter", "name eq x")],
        [("intent:above", "http://loinc.org|x")],
        [("_list", "$current")],
    ):
        status, outcome = get(base, "MedicationRequest", params, strict)
        assert status == 400 and outcome["resourceType"] == "OperationOutcome", params


def test_a_huge_resource_is_stored_and_its_first_words_found(repo):
    words = " ".join(f"w{i:060d}" for i in range(20_000))  # 1.2 MB of distinct words
    load(repo, [{"resourceType": "Basic", "id": "huge", "code": {"text": words}}])
    assert found(repo, "Basic", [("_content", f"w{0:060d}")]) == {"huge"}


def test_postgresql_gin_pending_lists_stay_small(repo):
    """A 4 MB pending list after an ingest made the planner read search_text in full: the service's
    sessions ask for 64 kB (the indexes no longer carry a limit of their own, migration 0006), also
    when the URL sets options of its own."""
    if repo.engine.dialect.name != "postgresql":
        pytest.skip("GIN indexes are PostgreSQL's")
    with repo.engine.connect() as conn:
        options = dict(
            conn.execute(
                sql("SELECT relname, reloptions FROM pg_class WHERE relname LIKE 'ix_search_text_%'")
            ).all()
        )
        assert conn.execute(sql("SHOW gin_pending_list_limit")).scalar() == "64kB"
    assert options == {"ix_search_text_narrative": None, "ix_search_text_all": None}
    url = repo.engine.url.update_query_dict({"options": "-c statement_timeout=5s"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            assert conn.execute(sql("SHOW statement_timeout")).scalar() == "5s"
            assert conn.execute(sql("SHOW gin_pending_list_limit")).scalar() == "64kB"
            assert conn.execute(sql("SHOW plan_cache_mode")).scalar() == "force_generic_plan"
    finally:
        engine.dispose()


def test_postgresql_ingest_leaves_the_pending_lists_empty(database_url_factory, tmp_path):
    """Ingest lets the lists grow (4 MB) while it writes and merges them into the indexes at the end."""
    repo = new_repo(database_url_factory)
    if repo.engine.dialect.name != "postgresql":
        pytest.skip("GIN indexes are PostgreSQL's")
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Basic",
                    "id": f"gin-{i}",
                    "code": {"text": "gin"},
                    "text": narrative(f"<p>word{i} pending</p>"),
                }
            }
            for i in range(40)
        ],
    }
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    try:
        assert run_ingest([tmp_path / "b.json"], repo, jobs=1, progress=False).ok
        with repo.engine.connect() as conn:
            cleaned = conn.execute(
                sql(
                    "SELECT gin_clean_pending_list('ix_search_text_all'), gin_clean_pending_list('ix_search_text_narrative')"
                )
            ).one()
        assert tuple(cleaned) == (0, 0)
        assert found(repo, "Basic", [("_text", "word7")]) == {"gin-7"}
    finally:
        repo.dispose()
