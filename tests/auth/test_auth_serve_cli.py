"""`fhir-service serve` refuses FHIR_SERVICE_AUTH=none off loopback without --insecure, and refuses a
mode whose settings are missing — before migrating or serving anything."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from fhir_service.cli.serve import check_auth, serve


def test_none_on_a_public_address_needs_insecure(monkeypatch):
    monkeypatch.setenv("FHIR_SERVICE_DATABASE_URL", "sqlite:////nonexistent-dir/never-created.sqlite")
    result = CliRunner().invoke(serve, ["--host", "0.0.0.0"], env={"FHIR_SERVICE_AUTH": "none"})
    assert result.exit_code == 2
    assert (
        "refusing to serve 0.0.0.0 without authorization" in result.output and "--insecure" in result.output
    )
    check_auth("0.0.0.0", insecure=True, environ={})
    for loopback in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_auth(loopback, insecure=False, environ={})
    with pytest.raises(click.UsageError):
        check_auth("example.org", insecure=False, environ={})


def test_an_authorization_mode_without_its_settings_is_refused(tmp_path):
    with pytest.raises(click.UsageError, match="FHIR_SERVICE_TOKENS_FILE"):
        check_auth("0.0.0.0", False, {"FHIR_SERVICE_AUTH": "token"})
    with pytest.raises(click.UsageError, match="FHIR_SERVICE_SMART_ISSUER"):
        check_auth("0.0.0.0", False, {"FHIR_SERVICE_AUTH": "smart", "FHIR_SERVICE_SMART_JWKS": "x"})
    with pytest.raises(click.UsageError, match="must be one of"):
        check_auth("127.0.0.1", False, {"FHIR_SERVICE_AUTH": "basic"})
    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"t": "system/*.rs"}')
    check_auth("0.0.0.0", False, {"FHIR_SERVICE_AUTH": "token", "FHIR_SERVICE_TOKENS_FILE": str(tokens)})


def test_mode_none_installs_no_hook(tmp_path):
    """The read path pays nothing for authorization when it is off: no before/after_request at all."""
    from fhir_service.auth.config import AuthConfig
    from fhir_service.rest.app import create_app

    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    plain = create_app({"DATABASE_URL": url, "ACCESS_LOG": False, "AUTH": AuthConfig()})
    assert not plain.before_request_funcs.get(None) and not plain.after_request_funcs.get(None)
    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"t": "system/*.rs"}')
    guarded = create_app(
        {"DATABASE_URL": url, "ACCESS_LOG": False, "AUTH": AuthConfig(mode="token", tokens_file=str(tokens))}
    )
    assert len(guarded.before_request_funcs[None]) == 1  # so the first assertion can fail
    for app in (plain, guarded):
        app.extensions["fhir_repository"].dispose()
