"""The searches' SQL is served by indexes: EXPLAIN every statement a search runs and refuse full
scans of the resource table or an index table. On PostgreSQL the test data is too small for the
planner to prefer an index, so sequential scans are disabled to prove an index path exists."""

from __future__ import annotations

import re

import pytest
from search_helpers import BASE
from sqlalchemy import event, text

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

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with repo.unit_of_work(write=False) as uow:
            uow.search([rtype] if rtype else None, params, BASE)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    with repo.unit_of_work(write=False) as uow:
        conn = uow.session.connection()
        sqlite = engine.dialect.name == "sqlite"
        if not sqlite:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
        cursor = conn.connection.driver_connection.cursor()
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
