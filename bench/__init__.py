"""Benchmark harness (`make bench`, `python -m bench --help`).

Measures ingest, the HTTP interactions under granian against a bare-WSGI ceiling, scale (×1 vs ×N
data volume) and worker memory, and prints the figures next to the targets of issue 7. Not part of
`make test`; tests/test_bench_smoke.py runs it with --quick.
"""
