"""The Flask side of authorization: `install(app, config)`.

Mode `none` installs no hook at all (the read path pays nothing). Otherwise one before_request hook
maps the matched route to a FHIR interaction, authenticates the bearer token (401 +
WWW-Authenticate when missing or invalid), checks the scopes the interaction needs (403 + an
OperationOutcome naming the missing scopes) and keeps the Grant for the request: `access()` is what
the routes pass to the interactions (search checks every type it reaches and drops included
resources of types the token cannot read; the bulk routes bind a job to its client).
CORS is a separate after_request hook, installed only when FHIR_SERVICE_CORS_ORIGINS is set.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, Flask, current_app, g, jsonify, request

from fhir_service.auth import policy
from fhir_service.auth.config import AuthConfig, authenticator
from fhir_service.auth.errors import InvalidToken
from fhir_service.auth.scopes import Grant
from fhir_service.interactions.errors import FhirError, outcome
from fhir_service.interactions.transaction import parse_entries
from fhir_service.resource_types import RESOURCE_TYPES
from fhir_service.search.effective import effective_types
from fhir_service.search.errors import SearchError

REALM = policy.REALM
ENDPOINTS = {
    "fhir.system_search": "search-system",
    "fhir.system_history": "history-system",
    "fhir.type_search": "search-type",
    "fhir.type_search_post": "search-type",
    "fhir.create": "create",
    "fhir.conditional_update": "update",
    "fhir.conditional_delete": "delete",
    "fhir.conditional_patch": "patch",
    "fhir.type_history": "history-type",
    "fhir.type_validate": "validate",
    "fhir.instance_validate": "validate",
    "fhir.read": "read",
    "fhir.update": "update",
    "fhir.patch": "patch",
    "fhir.delete": "delete",
    "fhir.instance_history": "history-instance",
    "fhir.vread": "vread",
    "bulk.kickoff": "export",
}
CONDITIONAL = {"fhir.conditional_update", "fhir.conditional_delete", "fhir.conditional_patch"}
PUBLIC_ENDPOINTS = {"fhir.metadata", "smart.configuration", "openapi.api_docs", "static"}  # descriptions
BUNDLE_ENDPOINT = "fhir.system_bundle"
BULK_FILE_ENDPOINT = "bulk.output_file"
# Any other endpoint (bulk status/cancel, routes added later) needs a valid token, no particular scope.

CORS_HEADERS = "Authorization, Content-Type, Accept, If-Match, If-None-Match, If-None-Exist, "
CORS_HEADERS += "If-Modified-Since, Prefer, X-Request-Id"
CORS_EXPOSE = "ETag, Location, Content-Location, Last-Modified, X-Progress, Retry-After, WWW-Authenticate"
CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


def install(app: Flask, config: AuthConfig) -> None:
    """Raises AuthConfigError when the mode's settings are missing (the app refuses to start)."""
    if config.cors_origins:
        _install_cors(app, config.cors_origins)
    if not config.enforced:
        return
    authenticate = authenticator(config)
    app.extensions["fhir_auth"] = config
    if config.mode == "smart":
        app.register_blueprint(_smart_blueprint(config), url_prefix="/fhir")

    @app.before_request
    def _authorize():
        if request.method == "OPTIONS" or request.routing_exception is not None:
            return None  # preflight (CORS answers it) / 404 / 405 as usual
        endpoint = request.endpoint
        if endpoint in PUBLIC_ENDPOINTS:
            return None
        interaction = ENDPOINTS.get(endpoint)
        if config.public_read and interaction in policy.PUBLIC_INTERACTIONS:
            return None
        if config.public_read and endpoint == BUNDLE_ENDPOINT and "Authorization" not in request.headers:
            if _bundle_needs()[1]:  # read-only: public
                return None
        grant = _authenticate(authenticate)
        needs = _needs(endpoint, interaction)
        policy.require(grant, needs)
        g.fhir_access = policy.GrantAccess(grant)
        return None


def access() -> policy.GrantAccess | None:
    """What this request's token allows, for the interactions; None when authorization is off or
    the request is a public read."""
    return g.get("fhir_access")


def _needs(endpoint: str | None, interaction: str | None) -> list[policy.Need]:
    if endpoint == BUNDLE_ENDPOINT:
        return _bundle_needs()[0]
    view_args = request.view_args or {}
    if endpoint == BULK_FILE_ENDPOINT:
        stem = str(view_args.get("name", "")).split(".")[0].split("-")[0]
        return [policy.Need("r", stem), policy.Need("s", stem)]
    if interaction is None:
        return []
    params = list(request.args.items(multi=True))
    if endpoint == "fhir.type_search_post":
        params += list(request.form.items(multi=True))
    conditional = endpoint in CONDITIONAL or (
        endpoint == "fhir.create"
        and ("If-None-Exist" in request.headers or any(k not in ("_format", "_pretty") for k in request.args))
    )
    return policy.needs(describe(interaction, view_args.get("rtype"), params, conditional))


def _bundle_needs() -> tuple[list[policy.Need], bool]:
    """Every entry is checked before the view runs, so a Bundle with one forbidden entry is refused
    whole and nothing is written. Costs a second parse of the body (the bytes are kept in g)."""
    if "fhir_auth_bundle" in g:
        return g.fhir_auth_bundle
    from fhir_service.rest import negotiation
    from fhir_service.rest.responses import base_url

    request.max_content_length = current_app.config["MAX_BUNDLE_BYTES"]  # as the view allows
    bundle = negotiation.read_resource()
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("transaction", "batch"):
        g.fhir_auth_bundle = ([], False)  # the view answers 400
    else:
        g.fhir_auth_bundle = policy.bundle_needs(describe_bundle(bundle, base_url()))
    return g.fhir_auth_bundle


def describe(
    interaction: str, rtype: str | None, params=(), conditional: bool = False, resource: dict | None = None
) -> policy.AccessRequest:
    """The policy's view of one interaction; for a system search or an export, its effective types."""
    searched = _searched_types(params) if interaction in ("search-system", "export") else ()
    return policy.AccessRequest(interaction, rtype, tuple(params), conditional, searched, resource)


def _searched_types(params) -> tuple[str, ...]:
    """The effective types of a system-level search, "*" for all; none when `_type` is invalid
    (the search answers 400 itself)."""
    try:
        types = effective_types(None, params)
    except SearchError:
        return ()
    return (policy.ALL,) if types is None else tuple(types)


def describe_bundle(bundle: dict, base_url: str) -> list[policy.AccessRequest]:
    """Each entry of a transaction/batch Bundle as the policy sees it, under the interaction the
    transaction will run it as (entries.parse_entry decides both). Malformed entries raise the
    transaction's own 400 — only after the caller authenticated."""
    described = []
    for e in parse_entries(bundle, base_url.rstrip("/")):
        rtype = e.resource_type if e.resource_type in RESOURCE_TYPES else policy.ALL
        if e.method in ("GET", "HEAD"):
            params = parse_qsl(e.query, keep_blank_values=True) if e.interaction == "search-type" else ()
            described.append(describe(e.interaction, rtype, params))
            continue
        conditional = bool(e.if_none_exist) if e.method == "POST" else e.resource_id is None
        described.append(describe(e.interaction, rtype, conditional=conditional, resource=e.resource))
    return described


def bearer_token() -> str:
    header = request.headers.get("Authorization")
    if not header:
        raise InvalidToken("This request needs an access token (Authorization: Bearer …)", "login")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("The Authorization header must be 'Bearer <access token>'")
    return token.strip()


def _authenticate(authenticate) -> Grant:
    try:
        return authenticate(bearer_token())
    except InvalidToken as exc:
        challenge = f'Bearer realm="{REALM}"'
        if exc.issue_code != "login":  # RFC 6750 §3: no error code when no credentials were sent
            challenge += f', error="invalid_token", error_description="{_quoted(exc.message)}"'
        headers = {"WWW-Authenticate": challenge}
        raise FhirError(401, outcome(exc.message, exc.issue_code), headers=headers) from None


def _quoted(text: str) -> str:
    # RFC 6750 error_description: printable ASCII without '"' and '\'
    return "".join(c for c in text if 0x20 <= ord(c) < 0x7F and c not in '"\\')


# --- /.well-known/smart-configuration -------------------------------------------------------------


def _smart_blueprint(config: AuthConfig) -> Blueprint:
    blueprint = Blueprint("smart", __name__)

    @blueprint.get("/.well-known/smart-configuration")
    def configuration():
        return jsonify(smart_configuration(config))

    return blueprint


def smart_configuration(config: AuthConfig) -> dict:
    """SMART App Launch 2.x discovery for a resource server that accepts Backend Services tokens."""
    body = {"issuer": config.issuer}
    if config.jwks and config.jwks.startswith(("https://", "http://")):
        body["jwks_uri"] = config.jwks
    if config.token_endpoint:
        body["token_endpoint"] = config.token_endpoint
    body |= {
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "scopes_supported": ["system/*.cruds", "system/*.rs", "user/*.cruds", "user/*.rs"],
        "capabilities": ["client-confidential-asymmetric", "permission-v2", "permission-v1"],
    }
    return body


# --- CORS -----------------------------------------------------------------------------------------


def _install_cors(app: Flask, origins: tuple[str, ...]) -> None:
    any_origin = "*" in origins

    def allowed(origin: str | None) -> bool:
        return bool(origin) and (any_origin or origin.rstrip("/") in origins)

    @app.before_request
    def _preflight():
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = current_app.response_class(status=204)
            if allowed(request.headers.get("Origin")):
                response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                requested = request.headers.get("Access-Control-Request-Headers")
                response.headers["Access-Control-Allow-Headers"] = requested or CORS_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
            return response
        return None

    @app.after_request
    def _cors(response):
        origin = request.headers.get("Origin")
        if allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = "*" if any_origin else origin
            response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
            if not any_origin:
                response.headers.add("Vary", "Origin")
        return response
