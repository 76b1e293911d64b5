"""Authorization: who may do what (issue #8). Modes, chosen by FHIR_SERVICE_AUTH: `none` (default),
`token` (static bearer tokens with SMART scopes) and `smart` (JWT access tokens verified with a JWKS).

scopes.py and policy.py are pure; tokens.py and jwt.py turn a bearer token into a Grant; config.py
reads the environment; context.py carries the current Grant to the storage-agnostic interactions;
flask.py is the only module that knows Flask.
"""
