"""_summary and _elements: reduced views of a resource, tagged SUBSETTED as the spec requires."""

from __future__ import annotations

from functools import lru_cache

from fhir.resources import get_fhir_model_class

from fhir_service.interactions.errors import bad_request

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
SUMMARY_VALUES = {"true", "text", "data", "count", "false"}
ALWAYS = ("resourceType", "id", "meta")


def check_summary(value: str | None) -> str | None:
    if value is not None and value not in SUMMARY_VALUES:
        raise bad_request(f"_summary must be one of {sorted(SUMMARY_VALUES)}, got '{value}'")
    return None if value == "false" else value


def parse_elements(value: str | None) -> list[str] | None:
    if value is None:
        return None
    # "Patient.name" and "name" both mean the top-level element name
    return [e.strip().split(".")[-1] for e in value.split(",") if e.strip()]


def subset(resource: dict, summary: str | None, elements: list[str] | None) -> dict:
    if summary in (None, "count") and not elements:
        return resource
    if summary == "data":
        keep = [k for k in resource if k != "text"]
    elif summary == "text":
        keep = [*ALWAYS, "text", *mandatory_elements(resource["resourceType"])]
    elif summary == "true":
        keep = [*ALWAYS, *summary_elements(resource["resourceType"])]
    else:  # the spec asks for mandatory elements too, so the subset is still a valid resource
        keep = [*ALWAYS, *(elements or []), *mandatory_elements(resource["resourceType"])]
    reduced = {k: v for k, v in resource.items() if k in keep or _choice_of(k, keep)}
    meta = dict(reduced.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    reduced["meta"] = meta
    return reduced


def _choice_of(key: str, keep: list[str]) -> bool:
    """`_elements=value` keeps valueQuantity as well."""
    return any(key.startswith(k) and key[len(k) : len(k) + 1].isupper() for k in keep)


@lru_cache(maxsize=256)
def summary_elements(resource_type: str) -> tuple[str, ...]:
    model = get_fhir_model_class(resource_type)
    return tuple(model.summary_elements_sequence())


@lru_cache(maxsize=256)
def mandatory_elements(resource_type: str) -> tuple[str, ...]:
    """Top-level elements with min cardinality 1 (choice elements by their prefix, e.g. `value`)."""
    out = []
    for name, field in get_fhir_model_class(resource_type).model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get("element_required") or field.is_required():
            out.append(field.alias or name)
        elif extra.get("one_of_many_required") and extra.get("one_of_many"):
            out.append(extra["one_of_many"])
    return tuple(out)
