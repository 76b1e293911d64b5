"""`fhir-service` command line. Each command lives in its own module and is imported lazily,
so `fhir-service parse` does not pay for SQLAlchemy and Flask imports."""

from __future__ import annotations

import importlib

import click

# command name → "module:attribute" (module relative to this package)
COMMANDS = {
    "parse": "parse:parse",
    "convert": "convert:convert",
    "validate": "validate:validate",
    "db": "db:db",
    "ingest": "ingest:ingest",
    "serve": "serve:serve",
    "reindex": "reindex:reindex",
    "export-fixtures": "export_fixtures:export_fixtures",
    "load": "load:load",
    "check": "check:check",
    "eval": "eval:evaluate",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(name for name in COMMANDS if self._available(name))

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[name].split(":")
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{module_name}":
                return None  # not implemented yet
            raise
        return getattr(module, attr)

    @staticmethod
    def _available(name):
        module_name = COMMANDS[name].split(":")[0]
        return importlib.util.find_spec(f"{__name__}.{module_name}") is not None


@click.group(cls=LazyGroup)
@click.version_option(package_name="fhir-service")
def main():
    """FHIR R5 medication knowledge service."""
