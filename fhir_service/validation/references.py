"""What a reference points at: its target type (for Reference(X) checks) and, where the target is
inside the same Bundle or contained resource list, the resource itself (for resolve())."""

from __future__ import annotations

import re
from collections.abc import Callable

from fhir_service import definitions

# [base/]Type/id[/_history/version]: FHIR's own regex for a RESTful reference
RESTFUL = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


def url_type(reference: str) -> str | None:
    """The resource type a RESTful reference's URL names, if it names a known one."""
    match = RESTFUL.search(reference)
    return match.group(1) if match and match.group(1) in definitions.resource_types() else None


class Resolver:
    """Resolves references inside one validated document (a resource and, for a Bundle, its entries).

    `external` is an optional callable reference → resource dict | None for targets outside it
    (the server's store); without it such targets are typed by their URL only."""

    def __init__(self, root: dict, external: Callable[[str], dict | None] | None = None):
        self.by_url: dict[str, dict] = {}
        self.external = external
        if root.get("resourceType") == "Bundle":
            for entry in root.get("entry") or []:
                if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                    continue
                resource = entry["resource"]
                if isinstance(entry.get("fullUrl"), str):
                    self.by_url[entry["fullUrl"]] = resource
                if isinstance(resource.get("id"), str) and isinstance(resource.get("resourceType"), str):
                    self.by_url.setdefault(f"{resource['resourceType']}/{resource['id']}", resource)

    def find(self, reference: str, container: dict | None) -> dict | None:
        if reference.startswith("#"):
            for contained in (container or {}).get("contained") or []:
                if isinstance(contained, dict) and contained.get("id") == reference[1:]:
                    return contained
            return None
        found = self.by_url.get(reference)
        if found is None:
            match = RESTFUL.search(reference)
            if match:
                found = self.by_url.get(reference[match.start() :].lstrip("/").split("/_history/")[0])
        if found is None and self.external is not None:
            found = self.external(reference)
        return found

    def fhirpath_resolver(self, container: dict | None) -> Callable[[object], list]:
        def resolve(item) -> list:
            ref = item.get("reference") if isinstance(item, dict) else item
            if not isinstance(ref, str):
                return []
            found = self.find(ref, container)
            return [found] if found is not None else []

        return resolve
