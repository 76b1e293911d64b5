"""The R4B (4.3.0) view: ClinicalUseDefinition, AdministrableProductDefinition and
MedicinalProductDefinition are native (their R4B differences go through the generic walk);
MedicationKnowledge kept R4's shape and Group R4's `actual`, so R4's maps serve them."""

from fhir_service.versions.r4 import bundle, group, medication_knowledge, search_parameter

VERSION = "4.3"


def _served(r5_type: str) -> tuple[str, ...]:
    from fhir_service.versions import view_types  # the package reads this module first

    return view_types(r5_type, VERSION)


BY_TYPE = {
    "MedicationKnowledge": medication_knowledge.MAP,
    "Group": group.MAP,
    "Bundle": bundle.MAP,
    "SearchParameter": search_parameter.make(_served),
}
BY_FIELD: dict = {}
