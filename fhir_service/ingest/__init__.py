"""Ingest: monographs and FHIR files (resources or Bundles, JSON or XML) into the store, validated,
idempotently (see fhir_service.store.sync).

    prepare.py   one file → converted, validated, index rows computed, serialized (pure work)
    workers.py   worker processes that prepare files a few ahead of the writer, in input order
    writer.py    the single writer: transactions of several prepared files, and the Summary
"""
