"""R5 ClinicalUseDefinition → R4's predecessors, one resource per CUD `type`.

The backbone named by the type (indication, contraindication, interaction, undesirableEffect) is
the R4 resource's root; `type` is said by the R4 resource type itself. A warning has no R4 resource:
it is served as Basic (code ClinicalUseDefinition), everything but identifier and subject in extensions.
"""

from fhir_service.versions.engine import Map

CUD = "ClinicalUseDefinition"
# Basic requires a code saying what it stands for.
BASIC_CODE = {"coding": [{"system": "http://hl7.org/fhir/fhir-types", "code": CUD}]}

# CUD type → R4 resource type, and the R5 backbone that becomes its root.
VIEWS = {
    "indication": ("MedicinalProductIndication", "indication"),
    "contraindication": ("MedicinalProductContraindication", "contraindication"),
    "interaction": ("MedicinalProductInteraction", "interaction"),
    "undesirable-effect": ("MedicinalProductUndesirableEffect", "undesirableEffect"),
}
# Elements of a backbone whose R4 name differs.
RENAMED = {
    "contraindication": {"diseaseSymptomProcedure": "disease", "indication": "therapeuticIndication"},
}

MAPS = {
    cud_type: Map(
        r5_type=CUD,
        view_type=view,
        moves={
            f"{CUD}.{backbone}": view,
            **{f"{CUD}.{backbone}.{a}": f"{view}.{b}" for a, b in RENAMED.get(backbone, {}).items()},
        },
        implied={"type": cud_type},
    )
    for cud_type, (view, backbone) in VIEWS.items()
}
MAPS["warning"] = Map(
    r5_type=CUD, view_type="Basic", implied={"type": "warning"}, placeholders={"Basic.code": BASIC_CODE}
)
