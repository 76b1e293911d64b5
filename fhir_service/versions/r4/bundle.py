"""Bundle (R4 and R4B): entries convert by their own maps (Bundle.entry.resource is a Resource);
an entry's `fullUrl` and `request.url` naming its own resource ("Type/id", absolute or relative)
name it by the type the entry is served as, so a transaction reads the same in the view."""

from __future__ import annotations

from fhir_service.versions.engine import Map


def _retyped(url: object, old: str, new: str, rid: object) -> object:
    if not isinstance(url, str) or old == new or not isinstance(rid, str):
        return url
    suffix = f"{old}/{rid}"
    if url == suffix or url.endswith("/" + suffix):
        return url[: -len(suffix)] + f"{new}/{rid}"
    return url


def entry_urls(into: dict, source: dict, forth: bool) -> None:
    """Rename the entry URLs of the Bundle `into` after its converted entries (`source` is the
    Bundle they were converted from, entry by entry; the same either way)."""
    for new_entry, old_entry in zip(into.get("entry", []), source.get("entry", []), strict=False):
        new_res, old_res = new_entry.get("resource"), old_entry.get("resource")
        if not isinstance(new_res, dict) or not isinstance(old_res, dict):
            continue
        old, new, rid = old_res.get("resourceType"), new_res.get("resourceType"), new_res.get("id")
        if "fullUrl" in new_entry:
            new_entry["fullUrl"] = _retyped(new_entry["fullUrl"], old, new, rid)
        request = new_entry.get("request")
        if isinstance(request, dict) and "url" in request:
            request["url"] = _retyped(request["url"], old, new, rid)


MAP = Map(r5_type="Bundle", view_type="Bundle", after=entry_urls)
