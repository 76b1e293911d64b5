"""Bulk Data export (FHIR Bulk Data Access IG, system level `$export`).

    kickoff.py   the kick-off request's parameters → ExportRequest (no HTTP, no SQL)
    jobs.py      the `bulk_job` table and its state machine; all job state lives in the database
    export.py    one job's run: a snapshot of the store at transactionTime → ndjson files per type
    worker.py    the background thread each server process runs; claims jobs atomically

The REST side is fhir_service/rest/bulk.py. Because job state is in the database and claiming is a
conditional UPDATE, any process (any server worker) can accept a kick-off, answer a poll, serve a
file or cancel, and exactly one process runs each job; a job whose runner died (no heartbeat for
STALE_AFTER seconds) is taken over by the next worker that looks.
"""
