"""Helpers shared by the search tests (a module of its own: test modules import it by a name no other
test folder uses, where `from conftest import …` would depend on which conftest Python saw first)."""

from __future__ import annotations

import json
from pathlib import Path

from fhir_service.interactions.searchset import bundle
from fhir_service.search import engine
from fhir_service.store import migrate
from fhir_service.store.database import make_engine
from fhir_service.store.repository import Repository

HERE = Path(__file__).resolve().parent
BASE = "http://test.local/fhir"


def conformance_resources() -> list[dict]:
    return json.loads((HERE / "conformance-resources.json").read_text())


def seed_resources(seed_path) -> list[dict]:
    from mappings.convert import convert_file

    return convert_file(seed_path).resources


def load(repo: Repository, resources: list[dict]) -> None:
    with repo.unit_of_work() as uow:
        for resource in resources:
            uow.update(resource)


def searchset(uow, types: list[str] | None, params, base_url: str = BASE, strict: bool = False) -> dict:
    """The searchset Bundle dict of a search run in `uow` (the engine's page as the interactions
    turn it into a Bundle, without their type and limit checks)."""
    page = uow.run_query(
        lambda reader: engine.page(reader, types, list(params), base_url=base_url, strict=strict)
    )
    return bundle(page, base_url, types, raw=False)


def run(repo: Repository, rtype: str | None, params, strict: bool = False) -> dict:
    with repo.unit_of_work(write=False) as uow:
        return searchset(uow, [rtype] if rtype else None, params, strict=strict)


def ids(bundle: dict, mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def new_repo(database_url_factory) -> Repository:
    url = database_url_factory()
    migrate.upgrade(url)
    return Repository(make_engine(url))
