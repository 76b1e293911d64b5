"""Storage-agnostic FHIR interaction handlers: they take a Repository-like object and request data
and return a `Result`; they know nothing of Flask or SQL."""
