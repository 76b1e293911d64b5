"""The R4 (4.0.1) view: which map serves each stored R5 type (types without one map onto the R4
type of the same name, element by element, through the generic walk)."""

from fhir_service.versions.r4 import (
    administrable_product,
    bundle,
    clinical_use,
    group,
    medication_knowledge,
    medicinal_product,
)

VERSION = "4.0"


# R5 type → its map, for types whose R4 map is one (SearchParameter's is added by the package).
BY_TYPE = {
    "MedicationKnowledge": medication_knowledge.MAP,
    "MedicinalProductDefinition": medicinal_product.MAP,
    "AdministrableProductDefinition": administrable_product.MAP,
    "Group": group.MAP,
    "Bundle": bundle.MAP,
}
# R5 type → (element choosing the map, {its value: map}).
BY_FIELD = {"ClinicalUseDefinition": ("type", clinical_use.MAPS)}
