"""The search parameter registry: which parameters exist for each resource type.

Sources, later ones overriding earlier ones with the same (base, code):
1. the official R5 SearchParameters (definitions/data/search-parameters.json.gz, built by
   scripts/build_search_parameters.py from hl7.fhir.r5.core 5.0.0);
2. this service's custom SearchParameters for the gaps R5 leaves (definitions/data/
   custom-search-parameters.json), served as SearchParameter resources too;
3. SearchParameter resources stored in the database and enabled by `fhir-service reindex`.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fhir_service import jsontext

from .hashing import param_hash

DATA = resources.files("fhir_service.definitions") / "data"
COMMON_BASES = ("Resource", "DomainResource")
# handled by the query compiler itself, no expression to index
SPECIAL = {"_has", "_type", "_list", "_query", "_filter", "_content", "_text", "_in"}


@dataclass(frozen=True)
class SearchParam:
    code: str
    type: str  # number | date | string | token | reference | composite | quantity | uri | special
    url: str
    expression: str | None = None
    target: tuple[str, ...] = ()
    documentation: str = ""
    base: tuple[str, ...] = ()
    components: tuple[tuple[str, str], ...] = ()  # (definition url, expression relative to the item)

    def sp(self, resource_type: str) -> int:
        return param_hash(resource_type, self.code)


def from_resource(sp: dict) -> SearchParam:
    return SearchParam(
        code=sp["code"],
        type=sp["type"],
        url=sp["url"],
        expression=sp.get("expression"),
        target=tuple(sp.get("target", ())),
        documentation=sp.get("description", ""),
        base=tuple(sp.get("base", ())),
        components=tuple((c["definition"], c["expression"]) for c in sp.get("component", ())),
    )


@cache
def official_parameters() -> tuple[dict, ...]:
    with (DATA / "search-parameters.json.gz").open("rb") as fh:
        return tuple(json.loads(gzip.decompress(fh.read())))


def custom_search_parameters() -> list[dict]:
    """The service's own SearchParameter resources (ingest/startup stores them so they are served)."""
    with (DATA / "custom-search-parameters.json").open("rb") as fh:
        return json.load(fh)


class Registry:
    def __init__(self, definitions: list[dict]):
        self._common: dict[str, SearchParam] = {}
        self._by_type: dict[str, dict[str, SearchParam]] = {}
        self._by_url: dict[str, SearchParam] = {}
        for definition in definitions:
            param = from_resource(definition)
            self._by_url[param.url] = param
            for base in param.base:
                if base in COMMON_BASES:
                    self._common[param.code] = param
                else:
                    self._by_type.setdefault(base, {})[param.code] = param

    def params_for(self, resource_type: str) -> list[SearchParam]:
        merged = {**self._common, **self._by_type.get(resource_type, {})}
        return sorted(merged.values(), key=lambda p: p.code)

    def common_params(self) -> list[SearchParam]:
        """The parameters of every type (base Resource or DomainResource): those of a system search."""
        return sorted(self._common.values(), key=lambda p: p.code)

    def get(self, resource_type: str, code: str) -> SearchParam | None:
        return self._by_type.get(resource_type, {}).get(code) or self._common.get(code)

    def by_url(self, url: str) -> SearchParam | None:
        return self._by_url.get(url)

    def indexed_params(self, resource_type: str) -> list[SearchParam]:
        """Parameters whose values the indexer extracts (not special, with an expression)."""
        return [
            p
            for p in self.params_for(resource_type)
            if p.type != "special" and p.expression and p.code not in ("_id", "_lastUpdated", *SPECIAL)
        ]

    def resource_types(self) -> list[str]:
        return sorted(self._by_type)


_lock = threading.Lock()
_current: Registry | None = None
_stored: tuple[str, ...] = ()  # canonical JSON of the enabled stored SearchParameters


def registry() -> Registry:
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = Registry([*official_parameters(), *custom_search_parameters()])
    return _current


def use_stored_parameters(stored: list[dict]) -> Registry:
    """Rebuild the registry with stored SearchParameter resources added (no-op when unchanged)."""
    global _current, _stored
    key = tuple(sorted(jsontext.dumps(s, sort_keys=True) for s in stored))
    with _lock:
        if _current is None or key != _stored:
            _current = Registry([*official_parameters(), *custom_search_parameters(), *stored])
            _stored = key
        return _current
