"""FHIR R5 search: the parameter registry, write-time indexing and the query compiler.

Entry points: `registry.registry()` (CapabilityStatement), `indexer.index_resource()` /
`remove_from_index()` (the write hook the store runs in each write's transaction, registered below),
`engine.page()` (one page of matches; the interactions make the Bundle) and `engine.match()`
(conditional interactions). No Flask, no Bundles here.

Data flow:
  registry.py      official R5 SearchParameters (definitions/data/search-parameters.json.gz) + the
                   service's custom ones (definitions/data/custom-search-parameters.json) + stored
                   SearchParameters enabled by `fhir-service reindex` (active.py, maintenance.py)
  extract.py       expressions split per resource type and compiled once by the fhirpath package (dotted
                   paths in plain Python, the rest fhirpathpy); `where(resolve() is T)` filters by reference type
  types/*.py       one module per parameter type: extract(values) → rows, predicate(...) → SQL;
                   types/composite.py ties components of one item together (grp)
  indexer.py       rows → store/index_tables.py (search_token, _string, _reference, _date, _quantity, _number, _uri)
  query/parse.py   parameters → clauses (OR within, AND between), chains, _has, result parameters
  query/compile.py clauses → `pk IN (SELECT resource_pk FROM search_x WHERE sp = … AND …)`
  query/paging.py  _sort keys (correlated MIN/MAX, missing last) and keyset conditions
  query/cursor.py  signed, query-bound page cursors
  query/include.py _include / _revinclude (:iterate, *)

  text.py          _text / _content: the full-text table (FTS5 / tsvector), one row per resource

Not supported (the server says so: a warning entry, or 400 under Prefer: handling=strict):
_query, _filter, _contained, _graph; token :below/:above outside the code systems of the R5 core
package (definitions/hierarchy.py); `:in` only for value sets whose expansion ships with the
definitions; MedicationKnowledge packaging-cost(-concept), which R5 publishes without an expression.
"""

from fhir_service.search import indexer as _indexer
from fhir_service.search import text as _text
from fhir_service.store.write_hook import IndexHook, register

# Every write the store makes keeps the index in step, in its own transaction.
register(IndexHook(_indexer.index_resource, _indexer.remove_from_index, _indexer.index_many, _text.write))
