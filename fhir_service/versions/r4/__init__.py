"""The R4 (4.0.1) view: which map serves each stored R5 type (types without one map onto the R4
type of the same name, element by element, through the generic walk)."""

from fhir_service.versions.r4 import (
    administrable_product,
    bundle,
    clinical_use,
    group,
    medication_knowledge,
    medicinal_product,
    search_parameter,
)

VERSION = "4.0"


def _served(r5_type: str) -> tuple[str, ...]:
    from fhir_service.versions import view_types  # the package reads this module first

    return view_types(r5_type, VERSION)


# R5 type → its map, for types whose R4 map is one.
BY_TYPE = {
    "MedicationKnowledge": medication_knowledge.MAP,
    "MedicinalProductDefinition": medicinal_product.MAP,
    "AdministrableProductDefinition": administrable_product.MAP,
    "Group": group.MAP,
    "Bundle": bundle.MAP,
    "SearchParameter": search_parameter.make(_served),
}
# R5 type → (element choosing the map, {its value: map}).
BY_FIELD = {"ClinicalUseDefinition": ("type", clinical_use.MAPS)}
