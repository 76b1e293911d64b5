"""_include / _revinclude as one plain SQL statement per round (query/include.py): the results of
every include shape, the number of statements, and their plans (no full scan of resource or an
index table: the includes of a page cost O(page), not O(corpus))."""

from __future__ import annotations

import pytest
from search_helpers import BASE, ids, load, new_repo, run
from sqlalchemy import text
from test_query_plans import _full_scans

from fhir_service.interactions.errors import as_fhir_error
from fhir_service.search.active import active_registry
from fhir_service.search.errors import SearchError
from fhir_service.search.query import include as include_module
from fhir_service.search.query.parse import parse

MPD = {"resourceType": "MedicinalProductDefinition", "id": "mpd", "name": [{"productName": "Tolperisone"}]}
MPD2 = {"resourceType": "MedicinalProductDefinition", "id": "mpd-2", "name": [{"productName": "Other"}]}
CUDS = [
    {
        "resourceType": "ClinicalUseDefinition",
        "id": f"cud-{n}",
        "type": kind,
        "subject": [{"reference": f"MedicinalProductDefinition/{subject}"}],
    }
    for n, kind, subject in [
        (1, "contraindication", "mpd"),
        (2, "contraindication", "mpd"),
        (3, "warning", "mpd-2"),
    ]
]
MK = {
    "resourceType": "MedicationKnowledge",
    "id": "mk",
    "code": {"text": "Tolperisone 150 mg"},
    "clinicalUseIssue": [{"reference": f"ClinicalUseDefinition/cud-{n}"} for n in (1, 2)],
    "definitional": {"definition": [{"reference": "MedicinalProductDefinition/mpd"}]},
}
APD = {
    "resourceType": "AdministrableProductDefinition",
    "id": "apd",
    "status": "active",
    "formOf": [{"reference": f"{BASE}/MedicinalProductDefinition/mpd"}],
}
GONE = {"resourceType": "ClinicalUseDefinition", "id": "cud-gone", "type": "warning"}
MK_GONE = {
    "resourceType": "MedicationKnowledge",
    "id": "mk-gone",
    "clinicalUseIssue": [{"reference": "ClinicalUseDefinition/cud-gone"}],
}


@pytest.fixture(scope="module")
def repo(database_url_factory):
    repo = new_repo(database_url_factory)
    load(repo, [MPD, MPD2, *CUDS, MK, APD, GONE, MK_GONE])
    with repo.unit_of_work() as uow:
        uow.delete("ClinicalUseDefinition", "cud-gone")
    yield repo
    repo.dispose()


def included(repo, rtype, *params) -> list[str]:
    return sorted(ids(run(repo, rtype, [*params, ("_count", "100")]), "include"))


CUD = "ClinicalUseDefinition"
CASES = [
    (CUD, [("type", "contraindication"), ("_include", "ClinicalUseDefinition:subject")], ["mpd"]),
    (CUD, [("_include", "ClinicalUseDefinition:subject")], ["mpd", "mpd-2"]),
    (CUD, [("_include", "ClinicalUseDefinition:subject:MedicinalProductDefinition")], ["mpd", "mpd-2"]),
    (CUD, [("_include", "ClinicalUseDefinition:subject:Medication")], []),
    ("MedicationKnowledge", [("_id", "mk"), ("_include", "*")], ["cud-1", "cud-2", "mpd"]),
    (
        "MedicationKnowledge",
        [("_id", "mk"), ("_include", "MedicationKnowledge:*")],
        ["cud-1", "cud-2", "mpd"],
    ),
    ("MedicationKnowledge", [("_id", "mk"), ("_include", "ClinicalUseDefinition:*")], []),
    (
        "MedicationKnowledge",
        [
            ("_id", "mk"),
            ("_include", "MedicationKnowledge:clinical-use-issue"),
            ("_include", "MedicationKnowledge:definition"),
        ],
        ["cud-1", "cud-2", "mpd"],
    ),
    (
        "MedicinalProductDefinition",
        [
            ("_id", "mpd"),
            ("_revinclude", "ClinicalUseDefinition:subject"),
            ("_revinclude", "AdministrableProductDefinition:form-of"),
        ],
        ["apd", "cud-1", "cud-2"],
    ),
    (
        "MedicinalProductDefinition",
        [("_revinclude", "ClinicalUseDefinition:subject:MedicinalProductDefinition")],
        ["cud-1", "cud-2", "cud-3"],
    ),
    ("MedicinalProductDefinition", [("_revinclude", "ClinicalUseDefinition:subject:Medication")], []),
    ("MedicinalProductDefinition", [("_id", "mpd"), ("_revinclude", "MedicationKnowledge:*")], ["mk"]),
    ("MedicinalProductDefinition", [("_id", "mpd"), ("_revinclude", "*")], ["apd", "cud-1", "cud-2", "mk"]),
    # forward and reverse in one round
    (
        "MedicinalProductDefinition",
        [("_id", "mpd-2"), ("_revinclude", "ClinicalUseDefinition:subject"), ("_include", "*")],
        ["cud-3"],
    ),
    # :iterate follows the previous round's results, never back to a match
    (
        "MedicationKnowledge",
        [
            ("_id", "mk"),
            ("_include", "MedicationKnowledge:definition"),
            ("_revinclude:iterate", "AdministrableProductDefinition:form-of"),
            ("_revinclude:iterate", "ClinicalUseDefinition:subject"),
        ],
        ["apd", "cud-1", "cud-2", "mpd"],
    ),
    (
        CUD,
        [
            ("type", "contraindication"),
            ("_revinclude", "MedicationKnowledge:clinical-use-issue"),
            ("_include:iterate", "MedicationKnowledge:definition"),
        ],
        ["mk", "mpd"],
    ),
    (CUD, [("_id", "cud-1"), ("_revinclude", "MedicationKnowledge:clinical-use-issue")], ["mk"]),
    # a deleted target is not included; a deleted source has no index rows
    ("MedicationKnowledge", [("_id", "mk-gone"), ("_include", "MedicationKnowledge:clinical-use-issue")], []),
]


@pytest.mark.parametrize("rtype,params,expected", CASES, ids=[str(i) for i in range(len(CASES))])
def test_include_results(repo, rtype, params, expected):
    assert included(repo, rtype, *params) == expected


def test_an_include_never_repeats_a_match(repo):
    bundle = run(
        repo,
        CUD,
        [
            ("_id", "cud-1,cud-2"),
            ("_revinclude:iterate", "MedicationKnowledge:clinical-use-issue"),
            ("_include:iterate", "MedicationKnowledge:clinical-use-issue"),
        ],
    )
    assert sorted(ids(bundle)) == ["cud-1", "cud-2"] and ids(bundle, "include") == ["mk"]


def test_an_unknown_include_parameter_is_an_error(repo):
    with pytest.raises(SearchError) as raised:
        run(repo, CUD, [("_include", "ClinicalUseDefinition:nonsense")])
    assert as_fhir_error(raised.value).status == 400


def _statements(monkeypatch) -> list[tuple[str, list]]:
    sent = []
    execute = include_module._execute

    def capture(dbapi, options, statement, params):
        sent.append((statement, params))
        return execute(dbapi, options, statement, params)

    monkeypatch.setattr(include_module, "_execute", capture)
    return sent


def test_one_statement_per_round(repo, monkeypatch):
    sent = _statements(monkeypatch)
    revinclude = [
        ("_id", "mpd"),
        ("_revinclude", "ClinicalUseDefinition:subject"),
        ("_revinclude", "AdministrableProductDefinition:form-of"),
        ("_revinclude", "MedicationKnowledge:definition"),
    ]
    assert included(repo, "MedicinalProductDefinition", *revinclude) == ["apd", "cud-1", "cud-2", "mk"]
    assert len(sent) == 1
    sent.clear()
    assert included(
        repo,
        "MedicationKnowledge",
        ("_id", "mk"),
        ("_include", "MedicationKnowledge:definition"),
        ("_revinclude:iterate", "AdministrableProductDefinition:form-of"),
    ) == ["apd", "mpd"]
    assert len(sent) == 3  # the first round, the :iterate round that found apd, the one that found nothing


def _session_call(repo, function, rtype, params, matches):
    with repo.unit_of_work(write=False) as uow:
        registry = active_registry(uow.session)
        query = parse(params, rtype)
        return function(uow.session, registry, query.includes, [rtype], matches)


def _pks(repo, *keys) -> list[int]:
    with repo.unit_of_work(write=False) as uow:
        return [
            uow.session.execute(
                text("SELECT pk FROM resource WHERE type = :t AND id = :i"), {"t": t, "i": i}
            ).scalar_one()
            for t, i in keys
        ]


@pytest.mark.parametrize(
    "params",
    [
        [
            ("_include", "MedicationKnowledge:clinical-use-issue"),
            ("_include", "MedicationKnowledge:definition"),
        ],
        [
            ("_include", "MedicationKnowledge:definition"),
            ("_revinclude:iterate", "ClinicalUseDefinition:subject"),
        ],
    ],
    ids=["one-round", "iterate"],
)
def test_included_contents_reads_what_included_finds(repo, params):
    matches = _pks(repo, ("MedicationKnowledge", "mk"))
    pks = _session_call(repo, include_module.included, "MedicationKnowledge", params, matches)
    rows = _session_call(repo, include_module.included_contents, "MedicationKnowledge", params, matches)
    assert [row[0] for row in rows] == pks and pks == sorted(pks)
    assert all(isinstance(row[3], bytes) and row[2].encode() in row[3] for row in rows)
    assert sorted(row[2] for row in rows) == ["cud-1", "cud-2", "mpd"]


def test_frontiers_larger_than_a_statement_are_chunked(repo, monkeypatch):
    params = [("_id", "mpd,mpd-2"), ("_revinclude", "ClinicalUseDefinition:subject"), ("_include", "*")]
    whole = included(repo, "MedicinalProductDefinition", *params)
    sent = _statements(monkeypatch)
    monkeypatch.setattr(include_module, "_CHUNK", 1)
    assert included(repo, "MedicinalProductDefinition", *params) == whole == ["cud-1", "cud-2", "cud-3"]
    assert len(sent) == 2


PLANNED = [
    (CUD, [("type", "contraindication"), ("_include", "ClinicalUseDefinition:subject")]),
    (CUD, [("_include", "ClinicalUseDefinition:subject:MedicinalProductDefinition")]),
    ("MedicationKnowledge", [("_id", "mk"), ("_include", "*")]),
    ("MedicationKnowledge", [("_id", "mk"), ("_include", "MedicationKnowledge:*")]),
    (
        "MedicinalProductDefinition",
        [
            ("_id", "mpd"),
            ("_revinclude", "ClinicalUseDefinition:subject:MedicinalProductDefinition"),
            ("_revinclude", "AdministrableProductDefinition:form-of"),
            ("_revinclude", "MedicationKnowledge:*"),
        ],
    ),
    ("MedicinalProductDefinition", [("_id", "mpd"), ("_revinclude", "*")]),
]


@pytest.mark.parametrize("rtype,params", PLANNED, ids=[str(i) for i in range(len(PLANNED))])
@pytest.mark.parametrize("contents", [False, True], ids=["pks", "contents"])
def test_include_statements_use_indexes(repo, monkeypatch, rtype, params, contents):
    sent = _statements(monkeypatch)
    with repo.unit_of_work(write=False) as uow:
        registry = active_registry(uow.session)
        query = parse(params, rtype)
        matches = [
            row[-1]
            for row in uow.session.execute(text("SELECT pk FROM resource WHERE type = :t"), {"t": rtype})
        ]
        function = include_module.included_contents if contents else include_module.included
        assert function(uow.session, registry, query.includes, [rtype], matches)
    assert sent
    with repo.unit_of_work() as uow:  # a transaction (for SET LOCAL), not the autocommit read connection
        connection = uow.session.connection()
        sqlite = connection.dialect.name == "sqlite"
        if not sqlite:
            connection.execute(text("SET LOCAL enable_seqscan = off"))
        cursor = connection.connection.cursor()
        for statement, parameters in sent:
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
            lines = [str(row[-1]) for row in cursor.fetchall()]
            assert not _full_scans(connection.dialect.name, lines), "\n".join([statement, *lines])
        cursor.close()
