"""R5 MedicinalProductDefinition → R4 MedicinalProduct (its predecessor); `classification` is R4
`productClassification`, the rest keeps its name or travels as extensions."""

from fhir_service.versions.engine import Map

MAP = Map(
    r5_type="MedicinalProductDefinition",
    view_type="MedicinalProduct",
    moves={"MedicinalProductDefinition.classification": "MedicinalProduct.productClassification"},
)
