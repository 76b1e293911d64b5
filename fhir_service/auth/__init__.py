"""Authorization: who may do what. Modes, chosen by FHIR_SERVICE_AUTH: `none` (default),
`token` (static bearer tokens with SMART scopes) and `smart` (JWT access tokens verified with a JWKS).

scopes.py and policy.py are pure; tokens.py and jwt.py turn a bearer token into a Grant; config.py
reads the environment; security.py describes it for the CapabilityStatement. The Flask side (the
hooks, the endpoint → interaction map) is rest/auth.py, whose `access()` the bulk routes read too; the
interactions get what the token allows as an argument (policy.GrantAccess).
"""
