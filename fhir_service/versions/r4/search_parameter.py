"""SearchParameter (R4 and R4B): `base` is 1..* codes of that version's resource types. When an R5
base type has no home, the generic walk sends the whole list to its cross-version extension; the
view then also says natively the types that are served (ClinicalUseDefinition is five R4 types),
so that it stays valid, and the way back reads the extension alone. A parameter none of whose
types is served has no view (ValueError, like a type the version lacks)."""

from __future__ import annotations

from collections.abc import Callable

from fhir_service.versions.engine import XV, Map

BASE_URL = XV + "SearchParameter.base"


def make(view_types: Callable[[str], tuple[str, ...]]) -> Map:
    """The map, given view_types(r5 type) → the types it is served as in the view's version."""

    def after(converted: dict, source: dict, forth: bool) -> None:
        view = converted if forth else source
        travelling = [e.get("valueCode") for e in view.get("extension", []) if e.get("url") == BASE_URL]
        if not travelling:
            return
        if not forth:
            converted["base"] = travelling
            return
        served: list[str] = []
        for code in travelling:
            served += [t for t in view_types(code) if t not in served]
        if not served:
            raise ValueError(
                f"SearchParameter {source.get('id')}: none of its base types is served in this version"
            )
        converted["base"] = served

    return Map(r5_type="SearchParameter", view_type="SearchParameter", after=after)
