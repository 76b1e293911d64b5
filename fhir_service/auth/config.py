"""Authorization settings from the environment, and the authenticator they select."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fhir_service.auth.errors import AuthConfigError
from fhir_service.auth.scopes import Grant

MODES = ("none", "token", "smart")
TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class AuthConfig:
    mode: str = "none"  # FHIR_SERVICE_AUTH
    public_read: bool = False  # FHIR_SERVICE_AUTH_PUBLIC_READ: read/vread/search/history without token
    tokens_file: str | None = None  # FHIR_SERVICE_TOKENS_FILE (token)
    jwks: str | None = None  # FHIR_SERVICE_SMART_JWKS: file path or http(s) URL (smart)
    issuer: str | None = None  # FHIR_SERVICE_SMART_ISSUER
    audience: str | None = None  # FHIR_SERVICE_SMART_AUDIENCE (usually the FHIR base URL)
    token_endpoint: str | None = None  # FHIR_SERVICE_SMART_TOKEN_ENDPOINT, advertised only
    cors_origins: tuple[str, ...] = ()  # FHIR_SERVICE_CORS_ORIGINS: comma list, or "*"

    @property
    def enforced(self) -> bool:
        return self.mode != "none"


def from_env(environ: Mapping[str, str] = os.environ) -> AuthConfig:
    mode = (environ.get("FHIR_SERVICE_AUTH") or "none").strip().lower()
    if mode not in MODES:
        raise AuthConfigError(f"FHIR_SERVICE_AUTH must be one of {', '.join(MODES)}, not '{mode}'")
    origins = environ.get("FHIR_SERVICE_CORS_ORIGINS") or ""
    return AuthConfig(
        mode=mode,
        public_read=(environ.get("FHIR_SERVICE_AUTH_PUBLIC_READ") or "").strip().lower() in TRUE,
        tokens_file=environ.get("FHIR_SERVICE_TOKENS_FILE") or None,
        jwks=environ.get("FHIR_SERVICE_SMART_JWKS") or None,
        issuer=environ.get("FHIR_SERVICE_SMART_ISSUER") or None,
        audience=environ.get("FHIR_SERVICE_SMART_AUDIENCE") or None,
        token_endpoint=environ.get("FHIR_SERVICE_SMART_TOKEN_ENDPOINT") or None,
        cors_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
    )


def authenticator(config: AuthConfig) -> Callable[[str], Grant] | None:
    """token → Grant (raising InvalidToken) for the configured mode; None for mode `none`.
    Raises AuthConfigError when the mode's settings are missing or unreadable."""
    if config.mode == "token":
        from fhir_service.auth.tokens import StaticTokens

        return StaticTokens.from_file(config.tokens_file).authenticate
    if config.mode == "smart":
        from fhir_service.auth.jwt import JwtVerifier

        return JwtVerifier(config.jwks, config.issuer, config.audience).authenticate
    return None
