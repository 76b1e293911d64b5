"""FHIR R4 and R4B views of the stored R5 resources, derived on the way out and reversible.

R5 is the stored truth. `to_version` derives the view a client of an older version reads;
`from_version` gives back exactly the R5 resource the view was derived from (what the view cannot
hold natively travels as HL7 cross-version extensions).
"""

from __future__ import annotations

# The FHIR versions served, by the short form the `fhirVersion` media-type parameter uses.
VERSIONS = {"4.0": "4.0.1", "4.3": "4.3.0", "5.0": "5.0.0"}

# Version-specific bases for clients that cannot set media-type parameters.
BASES = {"R4": "4.0", "R4B": "4.3"}


def to_version(resource: dict, version: str) -> dict:
    """The `version` view of an R5 resource (a new dict; the argument is not changed)."""
    if version == "5.0":
        return resource
    raise NotImplementedError(version)


def from_version(resource: dict, version: str) -> dict:
    """The R5 resource a `version` view was derived from (inverse of `to_version`)."""
    if version == "5.0":
        return resource
    raise NotImplementedError(version)


def view_type(r5_type: str, version: str, resource: dict | None = None) -> str:
    """The resource type an R5 type is served as in `version` (R4 splits ClinicalUseDefinition
    by its `type`, so the resource may be needed)."""
    return r5_type


def r5_type(view_type_name: str, version: str) -> tuple[str, dict[str, str]]:
    """The stored R5 type behind a view type, and the search constraints that select it
    (e.g. R4 MedicinalProductIndication → ClinicalUseDefinition with type=indication)."""
    return view_type_name, {}
