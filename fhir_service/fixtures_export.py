"""Fixture Bundles for servers that assign their own ids (pure functions, no I/O).

`conditional_bundle(put_bundle)` turns the mappings' idempotent `PUT Type/id` transaction into
conditional creates:

- every entry becomes `POST Type` with `ifNoneExist`, its `id` dropped (the server picks one);
- fullUrls stay the mappings' deterministic `urn:uuid:` values, and every reference to a resource
  of the Bundle (`Type/id`, or absolute under the mappings' base, in Reference.reference, other
  uri elements and narrative links) is rewritten to that urn:uuid, so the receiving server
  substitutes the ids it assigned;
- identity for `ifNoneExist`:
  * a resource with a business identifier (system and value) is matched on it:
    `identifier=<system>|<value>`;
  * a resource whose type has an `identifier` element but which carries none gets a fixture
    identifier `{system: FIXTURE_SYSTEM, value: <deterministic id>}`, so it is matched the same way;
  * a resource type without an `identifier` element (Provenance) gets a `meta.tag`
    `{system: FIXTURE_SYSTEM, code: <deterministic id>}` and is matched with
    `_tag=<system>|<id>` — `_tag` is a common search parameter every server supports, and a tag is
    the element FHIR meant for such operational markers.

Loading the result twice therefore creates nothing the second time: every entry matches.

`in_version(put_bundle, "4.0"|"4.3")` is the same Bundle as FHIR R4 / R4B (fhir_service.versions
converts it whole, so references between entries name their view types); `conditional_bundle` of
such a Bundle takes `has_identifier` of that version (R4 MedicationKnowledge has no `identifier`,
so it is matched by its tag).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from urllib.parse import quote

from fhir.resources import get_fhir_model_class

from fhir_service import references

FIXTURE_SYSTEM = "https://fhir-service.example/fhir/fixture-id"
MAPPINGS_BASE = "https://fhir-service.example/fhir"


@cache
def has_identifier_element(resource_type: str) -> bool:
    return "identifier" in get_fhir_model_class(resource_type).model_fields


def _token(system: str, value: str) -> str:
    """system|value as a query value: the FHIR escapes for , $ | \\ then URL percent-encoding."""

    def escape(text: str) -> str:
        text = text.replace("\\", "\\\\").replace("|", "\\|").replace(",", "\\,").replace("$", "\\$")
        return quote(text, safe=":/;@-._~")

    return f"{escape(system)}|{escape(value)}"


def has_identifier_in(version: str) -> Callable[[str], bool]:
    """has_identifier_element for the types of FHIR `version` ("4.0", "4.3", "5.0")."""
    if version == "5.0":
        return has_identifier_element
    from fhir_service import definitions

    def has_identifier(resource_type: str) -> bool:
        with definitions.fhir_version(version):
            found = definitions.type_def(resource_type)
        return found is not None and f"{resource_type}.identifier" in found.elements

    return has_identifier


def in_version(put_bundle: dict, version: str) -> dict:
    """The mappings' R5 Bundle as FHIR `version` (R5 itself unchanged)."""
    from fhir_service import versions

    return versions.to_version(put_bundle, version)


def identity(
    resource: dict, resource_id: str, has_identifier: Callable[[str], bool] = has_identifier_element
) -> tuple[dict, str]:
    """(resource, ifNoneExist criteria): the resource gains a fixture identifier/tag when needed."""
    rtype = resource["resourceType"]
    if has_identifier(rtype):
        for ident in resource.get("identifier") or []:
            if ident.get("system") and ident.get("value"):
                return resource, f"identifier={_token(ident['system'], ident['value'])}"
        added = {"system": FIXTURE_SYSTEM, "value": resource_id}
        return {**resource, "identifier": [*(resource.get("identifier") or []), added]}, (
            f"identifier={_token(FIXTURE_SYSTEM, resource_id)}"
        )
    meta = copy.deepcopy(resource.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), {"system": FIXTURE_SYSTEM, "code": resource_id}]
    return {**resource, "meta": meta}, f"_tag={_token(FIXTURE_SYSTEM, resource_id)}"


def _without_id(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if k != "id"}


def conditional_bundle(
    put_bundle: dict, has_identifier: Callable[[str], bool] = has_identifier_element
) -> dict:
    """A `PUT Type/id` transaction Bundle → the same content as conditional creates (module docstring)."""
    entries = put_bundle.get("entry", [])
    mapping: dict[str, str] = {}
    for entry in entries:
        resource = entry["resource"]
        key = f"{resource['resourceType']}/{resource['id']}"
        mapping[key] = entry["fullUrl"]
        mapping[f"{MAPPINGS_BASE}/{key}"] = entry["fullUrl"]
    out_entries = []
    for entry in entries:
        resource = entry["resource"]
        rewritten = references.rewrite(_without_id(resource), mapping)
        rewritten, criteria = identity(rewritten, resource["id"], has_identifier)
        out_entries.append(
            {
                "fullUrl": entry["fullUrl"],
                "resource": rewritten,
                "request": {"method": "POST", "url": resource["resourceType"], "ifNoneExist": criteria},
            }
        )
    bundle = {k: v for k, v in put_bundle.items() if k != "entry"}
    bundle["entry"] = out_entries
    return bundle


def unresolved_references(bundle: dict) -> list[str]:
    """Relative references in a conditional Bundle that point outside it (the target server must
    already hold them under the same id — usually a sign the Bundle is incomplete)."""
    found = []
    for entry in bundle.get("entry", []):
        for ref in references.iter_references(entry.get("resource", {})):
            if references.split_relative(ref) and not ref.startswith(("urn:", "#", "http")):
                found.append(ref)
    return found
