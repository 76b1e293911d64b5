"""Every R5 search parameter of MedicationKnowledge, ClinicalUseDefinition, AdministrableProductDefinition
and MedicinalProductDefinition (conformance.tsv), one positive and one negative query each."""

from __future__ import annotations

import csv
from urllib.parse import parse_qsl

import pytest
from search_helpers import HERE, ids, run

from fhir_service.interactions.errors import as_fhir_error
from fhir_service.search.errors import SearchError
from fhir_service.search.registry import registry

TYPES = (
    "MedicationKnowledge",
    "ClinicalUseDefinition",
    "AdministrableProductDefinition",
    "MedicinalProductDefinition",
)


def rows() -> list[dict]:
    with (HERE / "conformance.tsv").open() as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


ROWS = rows()


def test_the_table_lists_every_parameter_of_the_four_types():
    listed = {
        (r["resource_type"], r["param"]) for r in ROWS if r["param"][0] != "_" and ":" not in r["param"]
    }
    defined = {(t, p.code) for t in TYPES for p in registry().params_for(t) if not p.code.startswith("_")}
    assert defined - listed == set()
    assert listed - defined == set()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['resource_type']}-{r['param']}" for r in ROWS])
def test_positive_and_negative_query(seeded_repo, row):
    rtype, expect = row["resource_type"], row["expect"]
    positive = [*parse_qsl(row["positive"]), ("_count", "1000")]
    negative = [*parse_qsl(row["negative"]), ("_count", "1000")]
    if expect == "unsupported":
        bundle = run(seeded_repo, rtype, positive)
        outcome = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
        assert outcome and row["param"] in outcome[0]["resource"]["issue"][0]["diagnostics"]
        with pytest.raises(SearchError) as err:
            run(seeded_repo, rtype, negative, strict=True)
        assert as_fhir_error(err.value).status == 400
        return
    found = ids(run(seeded_repo, rtype, positive, strict=True))
    assert expect in found
    assert f"{expect.split('-')[0]}-{expect.split('-')[1]}-decoy" not in found
    assert expect not in ids(run(seeded_repo, rtype, negative, strict=True))
