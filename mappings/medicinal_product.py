"""MedicinalProductDefinition: the hub that ClinicalUseDefinition.subject and
AdministrableProductDefinition.formOf point to (R5 does not let them point to MedicationKnowledge).

It deliberately carries no `route`: apd-1 forbids routes on an MPD whose APDs state them.
"""

from __future__ import annotations

from .context import Context
from .medication_knowledge import atc_classification, components
from .narrative import narrative
from .terminology import PUBLICATION_STATUS, coded


def medicinal_product(ctx: Context) -> dict:
    m = ctx.monograph
    mpd: dict = {"resourceType": "MedicinalProductDefinition", "id": ctx.single_id("mpd")}
    mpd["text"] = narrative(
        f"Medicinal product: {ctx.name}",
        [("Active ingredients", components(ctx)), ("Description", m.usage_text)],
    )
    mpd["status"] = coded(PUBLICATION_STATUS, "active", "Active")
    if m.usage_text:
        mpd["description"] = m.usage_text
        ctx.cover("usage", m.usage_text, f"MedicinalProductDefinition/{mpd['id']}.description", False)
    atc = atc_classification(ctx)
    if atc:
        mpd["classification"] = [atc]
    mpd["ingredient"] = [{"text": c} for c in components(ctx)]
    mpd["attachedDocument"] = [ctx.ref("DocumentReference", "doc")]
    mpd["name"] = [{"productName": ctx.name}]
    return mpd
