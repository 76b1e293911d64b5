"""R5 Group → R4 Group (also R4B's): R5 `membership` (definitional | enumerated) is R4 `actual`
(false | true), which R4 requires."""

from fhir_service.versions.engine import Map

MAP = Map(
    r5_type="Group", view_type="Group", values={"Group.membership": ("Group.actual", "membership-actual")}
)
