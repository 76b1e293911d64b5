"""Searchset Bundles (R5) from a search engine page: self/first/next/previous links, fullUrl on every
entry, total only when asked, search.mode match | include | outcome; _summary and _elements views
tagged SUBSETTED. Without a view, the stored bytes are spliced into the Bundle's JSON as they are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlencode

from fhir.resources import get_fhir_model_class

from fhir_service import jsontext
from fhir_service.interactions.subsetting import mandatory_elements
from fhir_service.search.engine import SearchPage
from fhir_service.stored import SplicedSearchset

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}
ALWAYS = ("resourceType", "id", "meta")


@lru_cache(maxsize=256)
def _summary_elements(resource_type: str) -> frozenset[str]:
    try:
        return frozenset(get_fhir_model_class(resource_type).summary_elements_sequence())
    except (KeyError, ValueError, AttributeError):
        return frozenset()


def _keeps(key: str, keep: set[str]) -> bool:
    """`value` keeps valueQuantity too (choice elements)."""
    return key in keep or any(key.startswith(k) and key[len(k) : len(k) + 1].isupper() for k in keep)


def shape(resource: dict, summary: str | None, elements: list[str]) -> dict:
    if summary is None and not elements:
        return resource
    if summary == "data":
        keep = {k for k in resource if k != "text"}
    elif summary == "text":
        keep = {*ALWAYS, "text", *mandatory_elements(resource["resourceType"])}
    elif summary == "true":
        keep = {*ALWAYS, *_summary_elements(resource["resourceType"])}
    else:
        keep = {
            *ALWAYS,
            *(
                e.split(".")[-1] if e.startswith(resource["resourceType"] + ".") else e.split(".")[0]
                for e in elements
            ),
            *mandatory_elements(resource["resourceType"]),  # R5 search.html#elements: still a valid resource
        }
    reduced = {k: v for k, v in resource.items() if _keeps(k, keep)}
    meta = dict(reduced.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    reduced["meta"] = meta
    return reduced


def link_url(base_url: str, types: list[str] | None, params: list[tuple[str, str]]) -> str:
    path = base_url.rstrip("/") + (f"/{types[0]}" if types and len(types) == 1 else "")
    return f"{path}?{urlencode(params)}" if params else path


def outcome_entry(messages: list[str]) -> dict:
    return {
        "fullUrl": f"urn:uuid:{uuid.uuid4()}",
        "resource": {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "warning", "code": "not-supported", "diagnostics": m} for m in messages],
        },
        "search": {"mode": "outcome"},
    }


def searchset(
    base_url: str,
    links: list[tuple[str, str]],
    matches: list[dict],
    includes: list[dict],
    total: int | None,
    warnings: list[str],
    summary: str | None,
    elements: list[str],
) -> dict:
    base = base_url.rstrip("/")
    bundle: dict = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"},
        "type": "searchset",
    }
    if total is not None:
        bundle["total"] = total
    bundle["link"] = [{"relation": rel, "url": url} for rel, url in links]
    entries = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": shape(r, summary, elements),
            "search": {"mode": mode},
        }
        for mode, group in (("match", matches), ("include", includes))
        for r in group
    ]
    if warnings:
        entries.append(outcome_entry(warnings))
    if entries:
        bundle["entry"] = entries
    return bundle


def bundle(page: SearchPage, base_url: str, types: list[str] | None, raw: bool) -> dict | SplicedSearchset:
    """The searchset Bundle of `page`: a dict, or with `raw` (and no _summary/_elements) its JSON
    bytes with the stored resources spliced in."""
    first = link_url(base_url, types, page.used)
    links = [("self", first if page.self_params is None else link_url(base_url, types, page.self_params))]
    links.append(("first", first))
    joiner = "&" if page.used else "?"
    for relation, cursor in (("next", page.next), ("previous", page.previous)):
        if cursor is not None:
            links.append((relation, first + joiner + urlencode([("_cursor", cursor)])))
    if raw and page.summary is None and not page.elements:
        head = searchset(base_url, links, [], [], page.total, page.warnings, None, [])
        return SplicedSearchset(head, base_url, page.matches, page.includes)
    return searchset(
        base_url,
        links,
        [jsontext.loads(c.content) for c in page.matches],
        [jsontext.loads(c.content) for c in page.includes],
        page.total,
        page.warnings,
        page.summary,
        page.elements,
    )
