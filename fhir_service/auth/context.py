"""The current request's Grant for the layers below the REST layer (search filters its
_include/_revinclude results with it). None — as always in mode `none` — means unrestricted."""

from __future__ import annotations

from contextvars import ContextVar, Token

from fhir_service.auth.scopes import Grant

_grant: ContextVar[Grant | None] = ContextVar("fhir_auth_grant", default=None)


def current_grant() -> Grant | None:
    return _grant.get()


def set_grant(grant: Grant | None) -> Token:
    return _grant.set(grant)


def reset(token: Token) -> None:
    _grant.reset(token)
