"""The searches' SQL is served by indexes: EXPLAIN every statement a search runs and refuse full
scans of the resource table or an index table. On PostgreSQL the test data is too small for the
planner to prefer an index, so sequential scans are disabled to prove an index path exists."""

from __future__ import annotations

import re

import pytest
from search_helpers import BASE, searchset
from sqlalchemy import event, text

from fhir_service.search.engine import forget_plans

SCT = "http://snomed.info/sct"
SEARCHES = [
    (
        "ClinicalUseDefinition",
        [("type", "contraindication"), ("subject:MedicinalProductDefinition.name", "tolperisone")],
    ),
    ("ClinicalUseDefinition", [("indication", f"{SCT}|24700007")]),
    ("AdministrableProductDefinition", [("route", f"{SCT}|47625008")]),
    (
        "MedicationKnowledge",
        [("code:text", "tolperisone"), ("_include", "MedicationKnowledge:clinical-use-issue")],
    ),
    (
        "MedicationKnowledge",
        [("_id", "tolperisone-mk"), ("_revinclude:iterate", "AdministrableProductDefinition:form-of")],
    ),
    (
        "MedicinalProductDefinition",
        [("_has:ClinicalUseDefinition:subject:contraindication", f"{SCT}|91637004")],
    ),
    ("MedicationKnowledge", [("_lastUpdated", "ge2020-01-01"), ("_sort", "-_lastUpdated")]),
    ("MedicinalProductDefinition", [("name", "tolp")]),
    ("ClinicalUseDefinition", [("type", "undesirable-effect"), ("_sort", "effect")]),
    ("MedicationKnowledge", [("_text", "spastic")]),
    ("MedicationKnowledge", [("_content", '"rems alpha" OR conformanzol')]),
    (None, [("_content", "conformanzol")]),
    ("MedicationKnowledge", [("_text", "muscle"), ("status", "active")]),
    ("MedicationKnowledge", [("_list", "conf-list")]),
    (None, [("_in", "List/conf-list")]),
    ("MedicationKnowledge", [("_in", "List/conf-list"), ("_content", "conformanzol")]),
    (
        "MedicationKnowledge",
        [("status:below", "http://hl7.org/fhir/CodeSystem/medicationknowledge-status|active")],
    ),
    # the bench's HTTP search cases (bench/cases.py): the page walks the driving index
    ("ClinicalUseDefinition", [("type", "contraindication"), ("_count", "10")]),
    ("ClinicalUseDefinition", [("subject:MedicinalProductDefinition.name", "tolperisone"), ("_count", "10")]),
    (
        "ClinicalUseDefinition",
        [("type", "contraindication"), ("_count", "10"), ("_include", "ClinicalUseDefinition:subject")],
    ),
    (
        "MedicinalProductDefinition",
        [
            ("_id", "tolperisone-mpd"),
            ("_revinclude", "ClinicalUseDefinition:subject"),
            ("_revinclude", "AdministrableProductDefinition:form-of"),
        ],
    ),
    # two positive clauses: one drives the page, the other is probed per candidate
    (
        "ClinicalUseDefinition",
        [("type", "undesirable-effect"), ("product", "MedicinalProductDefinition/tolperisone-mpd")],
    ),
]


def _fts5_lookup(line: str) -> bool:
    """SQLite shows every virtual table access as SCAN; FTS5's plan string says whether it looks
    terms up (M: MATCH) or rows by rowid (=) rather than reading the whole table."""
    found = re.search(r"VIRTUAL TABLE INDEX \d+:(\S*)", line)
    return bool(found) and any(ch in found.group(1) for ch in "M=")


def _full_scans(dialect, lines):
    if dialect == "sqlite":
        return [
            line
            for line in lines
            if re.search(r"\bSCAN (resource|search_(?!parameter_enabled)\w+)\b", line)
            and "USING" not in line
            and not _fts5_lookup(line)
        ]
    return [
        line for line in lines if re.search(r"Seq Scan on (resource|search_(?!parameter_enabled)\w+)", line)
    ]


def _plans(repo, rtype, params) -> list[tuple[str, list[str]]]:
    """(statement, plan lines) for every SELECT the search runs."""
    engine = repo.engine
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "search_parameter_enabled" not in statement:
            captured.append((statement, parameters))

    forget_plans()  # a cached plan runs its SQL on the driver directly, past this event
    event.listen(engine, "before_cursor_execute", capture)
    try:
        with repo.unit_of_work(write=False) as uow:
            searchset(uow, [rtype] if rtype else None, params, BASE)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    with repo.unit_of_work() as uow:  # a transaction (read-only units are autocommit on PostgreSQL)
        conn = uow.session.connection()
        sqlite = engine.dialect.name == "sqlite"
        if not sqlite:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
        cursor = conn.connection.dbapi_connection.cursor()
        for statement, parameters in captured:
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
            plans.append((statement, [str(row[-1]) for row in cursor.fetchall()]))
        cursor.close()
    return plans


def test_the_check_detects_a_full_scan(seeded_repo):
    if seeded_repo.engine.dialect.name != "sqlite":
        pytest.skip("with sequential scans disabled PostgreSQL plans no Seq Scan to detect")
    plans = _plans(seeded_repo, None, [("_count", "5")])  # every resource of every type: nothing to seek
    assert any(_full_scans("sqlite", lines) for _, lines in plans)


@pytest.mark.parametrize(
    "rtype,params", SEARCHES, ids=[f"{t}?{'&'.join(f'{k}={v}' for k, v in p)}" for t, p in SEARCHES]
)
def test_search_statements_use_indexes(seeded_repo, rtype, params):
    plans = _plans(seeded_repo, rtype, params)
    assert plans
    for statement, lines in plans:
        assert not _full_scans(seeded_repo.engine.dialect.name, lines), "\n".join([statement, *lines])


def test_the_check_tells_an_fts5_lookup_from_a_full_read():
    assert _full_scans("sqlite", ["SCAN search_text VIRTUAL TABLE INDEX 0:M2"]) == []
    assert _full_scans("sqlite", ["SCAN search_text VIRTUAL TABLE INDEX 0:"])


def _sorts(dialect, lines):
    """Steps that read every match before the first row comes out: a sort or hash of all rows, or
    (SQLite) an IN list built from a whole subquery."""
    if dialect == "sqlite":
        pattern = r"USE TEMP B-TREE FOR (ORDER BY|RIGHT PART OF ORDER BY)|LIST SUBQUERY"
    else:
        pattern = r"\b(Sort|Hash)\b"
    return [line for line in lines if re.search(pattern, line)]


@pytest.mark.parametrize(
    "params",
    [
        [("type", "contraindication"), ("_count", "2")],
        [
            ("type", "undesirable-effect"),
            ("product", "MedicinalProductDefinition/tolperisone-mpd"),
            ("_count", "2"),
        ],
    ],
    ids=["one-token", "token-and-probe"],
)
def test_a_page_in_the_default_order_walks_the_index_and_stops(seeded_repo, params):
    """The page of a single-value search costs O(_count), not O(matches): the (sp, value,
    resource_pk) index yields pks in order, so no step sorts or hashes every match (×20: 29 → 0.1 ms)."""
    dialect = seeded_repo.engine.dialect.name
    if dialect != "sqlite" and len(params) > 2:
        pytest.skip(
            "PostgreSQL may rightly drive from the probe: on the test data both match one or two rows"
        )
    pages = [(s, lines) for s, lines in _plans(seeded_repo, "ClinicalUseDefinition", params) if "LIMIT" in s]
    assert pages
    for statement, lines in pages:
        assert not _sorts(dialect, lines), "\n".join([statement, *lines])


def test_the_sort_check_detects_a_sort(seeded_repo):
    dialect = seeded_repo.engine.dialect.name
    plans = _plans(
        seeded_repo, "ClinicalUseDefinition", [("type", "contraindication"), ("_sort", "-_lastUpdated")]
    )
    assert any(_sorts(dialect, lines) for _, lines in plans)
