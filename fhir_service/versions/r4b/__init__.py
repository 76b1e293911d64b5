"""The R4B (4.3.0) view: ClinicalUseDefinition, AdministrableProductDefinition and
MedicinalProductDefinition are native (their R4B differences go through the generic walk);
MedicationKnowledge kept R4's shape and Group R4's `actual`, so R4's maps serve them."""

from fhir_service.versions.r4 import bundle, group, medication_knowledge

VERSION = "4.3"


BY_TYPE = {
    "MedicationKnowledge": medication_knowledge.MAP,
    "Group": group.MAP,
    "Bundle": bundle.MAP,
}
BY_FIELD: dict = {}
