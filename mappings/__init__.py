"""Monograph Markdown → intermediate model → FHIR R5 resources. Knows nothing of HTTP or SQL."""
