"""R5 MedicationKnowledge → R4 MedicationKnowledge (also R4B's, which kept the R4 shape).

R5 `definitional` holds what R4 has at the root (ingredient, intendedRoute, doseForm,
drugCharacteristic); an R5 `indicationGuideline` with one `dosingGuideline` is an R4
`administrationGuidelines` (dosage, indication[x], patientCharacteristics); R5 `name` is R4 `synonym`.
"""

from fhir_service.versions.engine import Map

MK = "MedicationKnowledge"
GUIDELINE = f"{MK}.indicationGuideline"

MAP = Map(
    r5_type=MK,
    view_type=MK,
    moves={
        f"{MK}.definitional": MK,
        f"{MK}.name": f"{MK}.synonym",
        GUIDELINE: f"{MK}.administrationGuidelines",
        f"{GUIDELINE}.dosingGuideline": f"{MK}.administrationGuidelines",
        f"{GUIDELINE}.dosingGuideline.patientCharacteristic": f"{MK}.administrationGuidelines.patientCharacteristics",
        f"{GUIDELINE}.dosingGuideline.patientCharacteristic.type": (
            f"{MK}.administrationGuidelines.patientCharacteristics.characteristic"
        ),
    },
)
