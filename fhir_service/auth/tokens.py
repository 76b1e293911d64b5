"""`token` mode: static bearer tokens, each with its SMART scopes, from a JSON file
`{"<token>": "system/*.rs system/ClinicalUseDefinition.c"}` (scopes as a string or a list)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from fhir_service.auth.errors import AuthConfigError, InvalidToken
from fhir_service.auth.scopes import Grant, parse_grant


def _digest(token: str) -> bytes:
    # Looked up by hash: the dict probe's timing says nothing about how much of a token matched.
    return hashlib.sha256(token.encode("utf-8")).digest()


class StaticTokens:
    def __init__(self, tokens: dict[str, str | list[str]]):
        self._grants = {
            _digest(token): parse_grant(scopes, client="token:" + _digest(token).hex()[:32])
            for token, scopes in tokens.items()
        }

    @classmethod
    def from_file(cls, path: str | None) -> StaticTokens:
        if not path:
            raise AuthConfigError("FHIR_SERVICE_AUTH=token needs FHIR_SERVICE_TOKENS_FILE (a JSON file)")
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AuthConfigError(f"FHIR_SERVICE_TOKENS_FILE {path}: {exc}") from exc
        valid = isinstance(data, dict) and all(
            isinstance(k, str) and k and (isinstance(v, str) or isinstance(v, list)) for k, v in data.items()
        )
        if not valid or not data:
            raise AuthConfigError(
                f'FHIR_SERVICE_TOKENS_FILE {path}: expected a non-empty object {{"<token>": "<scopes>"}}'
            )
        return cls(data)

    def authenticate(self, token: str) -> Grant:
        grant = self._grants.get(_digest(token))
        if grant is None:
            raise InvalidToken("Unknown bearer token")
        return grant
