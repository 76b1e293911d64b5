"""docker-compose.yml and the Dockerfile cannot run on CI (no Docker engine), so check that they
stay consistent with what CI does run: the Makefile's install target, the CLI's real options, the
same environment variable."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import yaml

from fhir_service.cli import main

ROOT = Path(__file__).resolve().parents[2]


def parse_cli(args: list[str]) -> None:
    """Parse `fhir-service ARGS` exactly as click would (unknown commands/options raise)."""
    command: click.Command = main
    while isinstance(command, click.Group):
        name, args = args[0], args[1:]
        command = command.get_command(click.Context(command), name)
        assert command is not None, f"no command {name!r}"
    command.make_context("fhir-service", list(args))


def cli_invocations(text: str) -> list[list[str]]:
    return [shlex.split(m)[1:] for m in re.findall(r"fhir-service[^&\n\"]*", text)]


def test_compose_runs_postgres_16_with_healthcheck_volume_and_migrations(monkeypatch):
    monkeypatch.chdir(ROOT)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db, app = compose["services"]["db"], compose["services"]["app"]
    assert db["image"] == "postgres:16" and "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["environment"]["FHIR_SERVICE_DATABASE_URL"].startswith("postgresql+psycopg://")
    command = " ".join(app["command"])
    invocations = cli_invocations(command)
    assert invocations[0] == ["db", "upgrade"] and invocations[1][0] == "serve"
    for args in invocations:
        parse_cli(args)


def test_dockerfile_installs_like_the_makefile(monkeypatch):
    monkeypatch.chdir(ROOT)
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "STAMP  := $(VENV)/.installed" in makefile and "VENV   := .venv" in makefile
    assert "RUN make .venv/.installed" in dockerfile
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    parse_cli(yaml.safe_load(cmd)[1:])
    assert "FHIR_SERVICE_DATABASE_URL" in dockerfile
