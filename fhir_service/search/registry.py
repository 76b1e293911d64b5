"""Search parameter registry (stub: empty until the definitions subset lands)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class SearchParam:
    code: str
    type: str  # number | date | string | token | reference | composite | quantity | uri | special
    url: str
    expression: str | None = None
    target: tuple[str, ...] = ()
    documentation: str = ""
    base: tuple[str, ...] = ()
    components: tuple[tuple[str, str], ...] = field(default=())  # (definition url, expression)


class Registry:
    def __init__(self, params: list[SearchParam] | None = None):
        self._by_type: dict[str, dict[str, SearchParam]] = {}
        for p in params or []:
            for base in p.base:
                self._by_type.setdefault(base, {})[p.code] = p

    def params_for(self, resource_type: str) -> list[SearchParam]:
        return sorted(self._by_type.get(resource_type, {}).values(), key=lambda p: p.code)

    def get(self, resource_type: str, code: str) -> SearchParam | None:
        return self._by_type.get(resource_type, {}).get(code)


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry()
