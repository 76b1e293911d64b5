"""Flask FHIR REST API (base /fhir): routing, content negotiation, headers; no SQL here."""
