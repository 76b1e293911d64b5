"""R5 AdministrableProductDefinition → R4 MedicinalProductPharmaceutical (its predecessor).

R4 requires `administrableDoseForm`, which R5 makes optional: when R5 has none the view says so with
a data-absent-reason (and the way back drops it)."""

from fhir_service.versions.engine import Map

ABSENT = {
    "extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}
    ]
}

MAP = Map(
    r5_type="AdministrableProductDefinition",
    view_type="MedicinalProductPharmaceutical",
    placeholders={"MedicinalProductPharmaceutical.administrableDoseForm": ABSENT},
)
