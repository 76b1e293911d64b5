"""FHIR_SERVICE_AUTH=smart over real HTTP: JWT access tokens verified against a JWKS file (keys made
here: RSA 2048 for RS384, EC P-384 for ES384); every forgery is a 401, the discovery documents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

import jwt
import pytest
from auth_helpers import FHIR_JSON, bearer, is_outcome, product, put
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fhir_service.auth.config import AuthConfig
from fhir_service.validation import validate_resource
from fhir_service.validation.issues import has_errors

ISSUER = "https://auth.example/realms/fhir"
AUDIENCE = "https://fhir.example/fhir"


@pytest.fixture(scope="module")
def keys():
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP384R1()),
        "other": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


def _jwk(private_key, kid: str) -> dict:
    algorithm = jwt.algorithms.RSAAlgorithm if kid.startswith("rsa") else jwt.algorithms.ECAlgorithm
    return {**json.loads(algorithm.to_jwk(private_key.public_key())), "kid": kid, "use": "sig"}


@pytest.fixture(scope="module")
def server(start_server, keys, tmp_path_factory):
    jwks = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks.write_text(json.dumps({"keys": [_jwk(keys["rsa"], "rsa-1"), _jwk(keys["ec"], "ec-1")]}))
    config = AuthConfig(
        mode="smart",
        jwks=str(jwks),
        issuer=ISSUER,
        audience=AUDIENCE,
        token_endpoint=f"{ISSUER}/token",
    )
    server = start_server(config)
    server.jwks = jwks
    return server


def claims(scope: str = "system/*.cruds", **overrides) -> dict:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "backend-1",
        "exp": now + 300,
        "iat": now,
        "scope": scope,
    } | overrides


def token(keys, alg: str = "RS384", key: str = "rsa", kid: str = "rsa-1", **overrides) -> str:
    return jwt.encode(claims(**overrides), keys[key], algorithm=alg, headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, payload: dict, secret: bytes | None = None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = b"" if secret is None else hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def test_good_rs384_and_es384_tokens_are_accepted(server, keys):
    assert put(server, product("jwt-mpd"), token=token(keys)).status_code in (200, 201)
    es384 = token(keys, alg="ES384", key="ec", kid="ec-1", scope="system/MedicinalProductDefinition.rs")
    assert server.get("MedicinalProductDefinition/jwt-mpd", headers=bearer(es384)).status_code == 200
    assert put(server, product("jwt-mpd"), token=es384).status_code == 403  # valid token, no u scope
    v1 = token(keys, scope="system/MedicinalProductDefinition.read openid")
    assert server.get("MedicinalProductDefinition/jwt-mpd", headers=bearer(v1)).status_code == 200


def test_forged_expired_or_misaddressed_tokens_are_401(server, keys):
    public_pem = (
        keys["rsa"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    forged = {
        "bad signature": token(keys, key="other"),
        "wrong audience": token(keys, aud="https://elsewhere.example/fhir"),
        "wrong issuer": token(keys, iss="https://evil.example"),
        "expired": token(keys, exp=int(time.time()) - 3600),
        "no exp": jwt.encode(
            {k: v for k, v in claims().items() if k != "exp"}, keys["rsa"], algorithm="RS384"
        ),
        "alg none": unsigned({"alg": "none", "typ": "JWT"}, claims()),
        "HS256 with the public key": unsigned({"alg": "HS256", "kid": "rsa-1"}, claims(), public_pem),
        "RS256": token(keys, alg="RS256"),
        "unknown kid": token(keys, kid="rsa-9"),
        "garbage": "not.a.jwt",
    }
    for what, value in forged.items():
        response = server.get("MedicinalProductDefinition/jwt-mpd", headers=bearer(value))
        assert response.status_code == 401, what
        assert is_outcome(response), what
        assert response.headers["WWW-Authenticate"].startswith(
            'Bearer realm="fhir-service", error="invalid_token"'
        )
    expired = server.get("MedicinalProductDefinition/jwt-mpd", headers=bearer(forged["expired"]))
    assert expired.json()["issue"][0]["code"] == "expired"
    anonymous = server.http.post(
        f"{server.base_url}/MedicinalProductDefinition", json=product("x"), headers=FHIR_JSON
    )
    assert (
        anonymous.status_code == 401
        and anonymous.headers["WWW-Authenticate"] == 'Bearer realm="fhir-service"'
    )


def test_a_rotated_jwks_file_is_read_again(server, keys):
    old = json.loads(server.jwks.read_text())
    rotated = {"keys": [_jwk(keys["other"], "rsa-2")]}
    server.jwks.write_text(json.dumps(rotated))
    try:
        os.utime(server.jwks, (time.time() + 5, time.time() + 5))  # a new mtime even within one tick
        new = token(keys, key="other", kid="rsa-2")
        assert server.get("MedicinalProductDefinition/jwt-mpd", headers=bearer(new)).status_code == 200
        assert (
            server.get("MedicinalProductDefinition/jwt-mpd", headers=bearer(token(keys))).status_code == 401
        )
    finally:
        server.jwks.write_text(json.dumps(old))
        os.utime(server.jwks, (time.time() + 10, time.time() + 10))


def test_smart_configuration_and_capability_statement(server):
    response = server.http.get(f"{server.base_url}/.well-known/smart-configuration")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    configuration = response.json()
    assert configuration["issuer"] == ISSUER and configuration["token_endpoint"] == f"{ISSUER}/token"
    assert "permission-v2" in configuration["capabilities"]
    assert "client-confidential-asymmetric" in configuration["capabilities"]
    assert set(configuration["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}
    assert configuration["grant_types_supported"] == ["client_credentials"]

    statement = server.http.get(f"{server.base_url}/metadata").json()
    security = statement["rest"][0]["security"]
    assert security["service"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
        "code": "SMART-on-FHIR",
        "display": "SMART-on-FHIR",
    }
    issues = [i for i in validate_resource(statement) if "ValueSet/mimetypes" not in (i.rule or "")]
    assert not has_errors(issues), [i for i in issues if i.severity == "error"][:5]


def test_a_jwks_url_is_fetched_and_cached(keys):
    """The JWKS served over HTTP (a local server on a free port): fetched once, used for every token."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from fhir_service.auth.errors import InvalidToken
    from fhir_service.auth.jwt import JwtVerifier

    body = json.dumps({"keys": [_jwk(keys["ec"], "ec-1")]}).encode()
    fetches = []

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            fetches.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        verifier = JwtVerifier(f"http://127.0.0.1:{httpd.server_port}/jwks", ISSUER, AUDIENCE)
        for _ in range(3):
            grant = verifier.authenticate(
                token(keys, alg="ES384", key="ec", kid="ec-1", scope="system/Group.rs")
            )
            assert grant.allows("s", "Group") and not grant.allows("c", "Group")
        assert fetches == ["/jwks"]
        with pytest.raises(InvalidToken):
            verifier.authenticate(token(keys))  # an RS384 token: no RSA key in this JWKS
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_verified_token_is_cached_until_it_expires(server, keys, monkeypatch):
    from fhir_service.auth import jwt as auth_jwt

    verifier = auth_jwt.JwtVerifier(str(server.jwks), ISSUER, AUDIENCE)
    verified = []
    real_verify = verifier._verify
    monkeypatch.setattr(verifier, "_verify", lambda t: verified.append(t) or real_verify(t))
    good = token(keys, exp=int(time.time()) + 60)
    for _ in range(3):
        assert verifier.authenticate(good).allows("d", "Group")
    assert len(verified) == 1
    later = time.time() + 60 + auth_jwt.LEEWAY_SECONDS + 1  # past exp + leeway: verified again
    monkeypatch.setattr(auth_jwt, "_now", lambda: later)
    verifier.authenticate(good)  # PyJWT's own clock still says valid
    assert len(verified) == 2


def test_an_export_job_belongs_to_the_client_that_started_it(server, keys):
    """Bound to the token's client (client_id, else sub, per issuer), not to the token itself: a new
    token of the same client polls its job, another client's token finds none (404)."""
    async_ = {"Prefer": "respond-async"}
    kickoff = server.get("$export", params={"_type": "Basic"}, headers={**async_, **bearer(token(keys))})
    assert kickoff.status_code == 202
    status_url = kickoff.headers["Content-Location"]
    same_client = token(keys, iat=int(time.time()) - 1)  # another token, same sub
    assert server.http.get(status_url, headers=bearer(same_client)).status_code in (200, 202)
    other = token(keys, sub="backend-2")
    named = token(keys, client_id="backend-1", sub="someone-else")  # client_id wins over sub
    assert server.http.get(status_url, headers=bearer(other)).status_code == 404
    assert server.http.delete(status_url, headers=bearer(other)).status_code == 404
    assert server.http.get(status_url, headers=bearer(named)).status_code in (200, 202)
    assert server.http.delete(status_url, headers=bearer(same_client)).status_code == 202
