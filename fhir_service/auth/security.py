"""The CapabilityStatement's rest.security block: what the configured authorization enforces."""

from __future__ import annotations

from fhir_service.auth.config import AuthConfig


def security(auth: AuthConfig | None) -> dict | None:
    """None when neither authorization nor CORS is on."""
    return _security(auth or AuthConfig())


SECURITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/restful-security-service"
SCOPES_TEXT = (
    "SMART v2 scopes (`system/` or `user/` + type or `*` + letters of `cruds`; v1 `.read`/`.write`/`.*` "
    "also accepted) are enforced per interaction and resource type, for each entry of a transaction or "
    "batch (one forbidden entry refuses the whole Bundle), for `$export`, and for `_include`/`_revinclude` "
    "results (types the token cannot read are left out). A missing or invalid token is answered 401, "
    "a missing scope 403."
)


def _security(auth: AuthConfig) -> dict | None:
    """rest.security: what is enforced (none when neither authorization nor CORS is on)."""
    security: dict = {}
    if auth.cors_origins:
        security["cors"] = True
    if auth.mode == "smart":
        security["service"] = [
            {"coding": [{"system": SECURITY_SYSTEM, "code": "SMART-on-FHIR", "display": "SMART-on-FHIR"}]}
        ]
        how = (
            f"Bearer JWT access tokens (SMART Backend Services) signed RS384 or ES384, issued by "
            f"`{auth.issuer}` for audience `{auth.audience}`; see `.well-known/smart-configuration`. "
        )
    elif auth.mode == "token":
        how = "Static bearer tokens (`Authorization: Bearer <token>`) configured on the server, each with scopes. "
    else:
        how = None
    if how:
        public = (
            " Reads (read, vread, search, history) are public; everything else needs a token."
            if auth.public_read
            else ""
        )
        security["description"] = how + SCOPES_TEXT + public + " `metadata` is always public."
    return security or None
