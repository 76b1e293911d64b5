"""`smart` mode: JWT access tokens (SMART Backend Services style) verified against a JWKS.

A token is accepted when its header names RS384 or ES384 (nothing else: no `none`, no HS* — an
HMAC "signed" with the public key is refused before any key is tried), a JWKS key of the matching
type (and `kid`, when the token names one) verifies the signature, and `iss`, `aud` and `exp` are
present and right. Its `scope` claim (space-separated; `scp` as a list also works) becomes the Grant.
The JWKS is a file (re-read when its mtime changes) or an http(s) URL (PyJWKClient, cached, fetched
again when an unknown `kid` shows up). A verified token is cached (by its SHA-256) so that its
signature is not checked again on every request (see JwtVerifier.authenticate).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time

import jwt

from fhir_service.auth.errors import AuthConfigError, InvalidToken
from fhir_service.auth.scopes import Grant, parse_grant

ALGORITHMS = ("RS384", "ES384")
KEY_TYPE = {"RS384": "RSA", "ES384": "EC"}
LEEWAY_SECONDS = 30  # clock skew between the authorization server and us
URL_CACHE_SECONDS = 300
CACHE_SECONDS = 300  # a verified token is trusted again without checking its signature this long
CACHE_SIZE = 4096


def _now() -> float:
    return time.time()


class _FileJwks:
    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._keys: list[jwt.PyJWK] = []
        self.keys()  # fail at start-up, not on the first request

    def generation(self) -> float:
        """Changes when the file does (its keys are then read again)."""
        try:
            mtime = os.stat(self.path).st_mtime
        except OSError as exc:
            raise AuthConfigError(f"JWKS file {self.path}: {exc}") from exc
        if mtime != self._mtime:
            with self._lock:
                self._keys = _load(self.path)
                self._mtime = mtime
        return mtime

    def keys(self, kid: str | None = None) -> list[jwt.PyJWK]:
        self.generation()
        return self._keys


def _load(path: str) -> list[jwt.PyJWK]:
    try:
        with open(path, encoding="utf-8") as handle:
            return list(jwt.PyJWKSet.from_dict(json.load(handle)).keys)
    except (OSError, ValueError, jwt.PyJWKSetError) as exc:
        raise AuthConfigError(f"JWKS file {path}: {exc}") from exc


class _UrlJwks:
    def __init__(self, url: str):
        self._client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=URL_CACHE_SECONDS)

    def generation(self) -> int:
        return 0  # PyJWKClient refreshes its own copy; cached tokens expire within CACHE_SECONDS

    def keys(self, kid: str | None = None) -> list[jwt.PyJWK]:
        try:
            if kid:
                return [self._client.get_signing_key(kid)]
            return self._client.get_signing_keys()
        except jwt.PyJWKClientError as exc:
            raise InvalidToken(f"No usable key in the JWKS: {exc}") from exc


def jwks_source(location: str | None):
    if not location:
        raise AuthConfigError("FHIR_SERVICE_AUTH=smart needs FHIR_SERVICE_SMART_JWKS (a file or an URL)")
    if location.startswith(("https://", "http://")):
        return _UrlJwks(location)
    return _FileJwks(location)


class JwtVerifier:
    def __init__(self, jwks: str | None, issuer: str | None, audience: str | None):
        if not issuer or not audience:
            raise AuthConfigError(
                "FHIR_SERVICE_AUTH=smart needs FHIR_SERVICE_SMART_ISSUER and FHIR_SERVICE_SMART_AUDIENCE"
            )
        self.issuer = issuer
        self.audience = audience
        self.source = jwks_source(jwks)
        self._cache: dict[bytes, tuple[Grant, object, float]] = {}  # sha256(token) → (grant, jwks, until)

    def authenticate(self, token: str) -> Grant:
        """The token's Grant; a token verified before is taken from the cache until it expires
        (exp + leeway, at most CACHE_SECONDS) or the JWKS changes."""
        digest = hashlib.sha256(token.encode("utf-8")).digest()
        generation = self.source.generation()
        hit = self._cache.get(digest)
        if hit is not None and hit[1] == generation and _now() < hit[2]:
            return hit[0]
        grant, expires = self._verify(token)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()  # crude, and enough: a backend service reuses one token for minutes
        self._cache[digest] = (grant, generation, min(expires + LEEWAY_SECONDS, _now() + CACHE_SECONDS))
        return grant

    def _verify(self, token: str) -> tuple[Grant, float]:
        """The signature and claims checked (CPU-bound: hence the cache above) → (Grant, exp)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"Malformed access token: {exc}") from exc
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise InvalidToken(f"Access token algorithm '{alg}' is not accepted ({', '.join(ALGORITHMS)})")
        kid = header.get("kid")
        candidates = [k for k in self.source.keys(kid) if _fits(k, alg, kid)]
        if not candidates:
            raise InvalidToken(f"No {KEY_TYPE[alg]} key{f' {kid!r}' if kid else ''} in the JWKS for {alg}")
        for key in candidates:
            try:
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=[alg],
                    audience=self.audience,
                    issuer=self.issuer,
                    leeway=LEEWAY_SECONDS,
                    options={"require": ["exp", "iss", "aud"]},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError as exc:
                raise InvalidToken("The access token has expired", "expired") from exc
            except jwt.PyJWTError as exc:
                raise InvalidToken(f"Invalid access token: {exc}") from exc
            # the client the authorization server names; without one, this very token
            who = claims.get("client_id") or claims.get("sub") or hashlib.sha256(token.encode()).hexdigest()
            client = f"jwt:{claims['iss']}|{who}"
            return parse_grant(claims.get("scope") or claims.get("scp"), client), float(claims["exp"])
        raise InvalidToken("The access token's signature does not verify")


def _fits(key: jwt.PyJWK, alg: str, kid: str | None) -> bool:
    """A key of the algorithm's type (EC: curve P-384), meant for signatures, with the token's kid
    (when both have one); a JWK that pins an `alg` is used for that algorithm only."""
    if kid and key.key_id not in (None, kid):
        return False
    pinned = getattr(key, "_jwk_data", {}).get("alg")  # PyJWK defaults algorithm_name when absent
    if key.public_key_use not in (None, "sig") or pinned not in (None, alg):
        return False
    if key.key_type == "EC":
        return alg == "ES384" and key.algorithm_name == "ES384"
    return key.key_type == KEY_TYPE[alg]
