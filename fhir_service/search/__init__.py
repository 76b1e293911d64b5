"""FHIR search: the parameter registry (official R5 SearchParameters + custom ones), write-time
indexing into typed index tables, and the query compiler that turns a search into SQL.

Public entry points: `registry.registry()`, `indexer.index_resource()`, `engine.search()`, `engine.match()`.
No Flask here; the REST layer calls the engine through the store's Repository."""
