"""ClinicalUseDefinition: one resource per clinical issue (cud-1 allows one block per resource).

Every CUD has `subject` → the monograph's MedicinalProductDefinition (R5 does not allow
MedicationKnowledge there), `status` active (publication-status, a CodeableConcept in R5), and
the source wording both in the block's text and in the narrative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .context import Context
from .group import populations_for_topic, populations_mentioned
from .model import Indication, Interaction, SideEffect, Statement, Warning
from .narrative import narrative
from .terminology import (
    CUD_CATEGORY,
    EFFECT_FREQUENCY,
    INTERACTION_TYPE,
    PUBLICATION_STATUS,
    coded,
    concept,
    lookup,
)

STATUS_ACTIVE = coded(PUBLICATION_STATUS, "active", "Active")

# Parser frequency band → undesirable-effect-frequency code. The code system has only these
# three; very common / very rare / unknown bands stay text.
FREQUENCY_CODES = {"common": "Common", "uncommon": "Uncommon", "rare": "Rare"}

# Interaction.kind → interaction-type. Alcohol is something drunk, so drug-food (EMA SmPC 4.5 also
# groups "food and alcohol").
INTERACTION_TYPES = {
    "drug": ("drug-drug", "drug to drug interaction"),
    "food": ("drug-food", "drug to food interaction"),
    "alcohol": ("drug-food", "drug to food interaction"),
    "test": ("drug-test", "drug to laboratory test interaction"),
}

WARNING_CATEGORIES = {
    "pregnancy": ("Pregnancy", "Pregnancy and Lactation"),
    "breastfeeding": ("Pregnancy", "Pregnancy and Lactation"),
    "pregnancy-breastfeeding": ("Pregnancy", "Pregnancy and Lactation"),
    "driving": ("DriveAndMachines", "Effects on Ability to Drive and Use Machines"),
}


# labels that only say "a precaution follows"
_GENERIC_LABEL = re.compile(
    r"^(?:(?:other|general|important|additional|specific|special|key)\s+)*(?:warnings?|precautions?|notes?|"
    r"cautions?|considerations?|information|important|side effects?|adverse (?:effects|reactions))$",
    re.I,
)


@dataclass
class ClinicalUses:
    resources: list[dict] = field(default_factory=list)
    indication_ids: list[str] = field(default_factory=list)  # aligned with monograph.indications
    group_keys: list[str] = field(default_factory=list)  # populations referenced, first use first

    def use_groups(self, keys: list[str]) -> None:
        for key in keys:
            if key not in self.group_keys:
                self.group_keys.append(key)


def _cud(ctx: Context, kind: str, cud_type: str, key: tuple, rows: list, source: str) -> dict:
    cid = ctx.ids.item(kind, *key)
    title = f"{cud_type.capitalize().replace('-', ' ')}: {ctx.name}"
    return {
        "resourceType": "ClinicalUseDefinition",
        "id": cid,
        "text": narrative(title, [*rows, ("Source", source)]),
        "type": cud_type,
    }


def _finish(ctx: Context, cud: dict, groups: list[str], category: dict | None = None) -> dict:
    """Add the elements every CUD shares, in R5 element order (type, category, subject, status, then
    contraindication | indication | interaction, population, undesirableEffect | warning)."""
    block_key = next(
        k
        for k in ("indication", "contraindication", "interaction", "undesirableEffect", "warning")
        if k in cud
    )
    block = cud.pop(block_key)
    if category:
        cud["category"] = [category]
    cud["subject"] = [ctx.ref("MedicinalProductDefinition", "mpd")]
    cud["status"] = STATUS_ACTIVE
    population = [{"reference": f"Group/{ctx.single_id(f'grp-{g}')}"} for g in groups]
    if block_key in ("undesirableEffect", "warning"):
        cud.update({"population": population} if population else {})
        cud[block_key] = block
    else:
        cud[block_key] = block
        cud.update({"population": population} if population else {})
    return cud


def indication(ctx: Context, item: Indication) -> dict:
    cud = _cud(
        ctx,
        "ind",
        "indication",
        (item.condition,),
        [("Condition", item.condition), ("Group", item.group), ("Component", item.component)],
        item.source,
    )
    cud["indication"] = {"diseaseSymptomProcedure": {"concept": concept("conditions", item.condition)}}
    return _finish(ctx, cud, [])


def _condition_concept(ctx: Context, text: str) -> dict:
    """A contraindication's condition; 'hypersensitivity to <drug>' is the same concept as '... the drug'."""
    cc = concept("conditions", text)
    if "coding" not in cc and ctx.name and ctx.name.lower() in text.lower():
        generic = text.lower().replace(ctx.name.lower(), "the drug")
        coding = lookup("conditions", generic)
        if coding:
            cc = {"coding": [coding], "text": text}
    return cc


def contraindication(ctx: Context, item: Statement) -> tuple[dict, list[str]]:
    groups = populations_mentioned(item.text)
    cud = _cud(
        ctx,
        "contra",
        "contraindication",
        (item.text,),
        [("Condition", item.text), ("Component", item.component)],
        item.source,
    )
    cud["contraindication"] = {"diseaseSymptomProcedure": {"concept": _condition_concept(ctx, item.text)}}
    return _finish(ctx, cud, groups), groups


def interaction(ctx: Context, item: Interaction) -> dict:
    cud = _cud(
        ctx,
        "inter",
        "interaction",
        (item.interactant, item.effect or ""),
        [("Interactant", item.interactant), ("Effect", item.effect), ("Component", item.component)],
        item.source,
    )
    block: dict = {"interactant": [{"itemCodeableConcept": concept("atc", item.interactant)}]}
    code, display = INTERACTION_TYPES.get(item.kind, ("other", "other interaction"))
    block["type"] = coded(INTERACTION_TYPE, code, display)
    if item.effect:
        block["effect"] = {"concept": concept("effects", item.effect)}
    cud["interaction"] = block
    return _finish(ctx, cud, [])


def undesirable_effect(ctx: Context, item: SideEffect) -> dict:
    wording = effect_wording(item)
    cud = _cud(
        ctx,
        "ae",
        "undesirable-effect",
        (wording, item.frequency or "", item.serious),
        [
            ("Effect", wording),
            ("Frequency", item.frequency_text or item.frequency),
            ("Serious", "yes" if item.serious else None),
            ("Listed under", item.group),
            ("Component", item.component),
        ],
        item.source,
    )
    effect = concept("effects", wording)
    if "coding" not in effect:
        coding = lookup("effects", item.term)
        if coding:
            effect = {"coding": [coding], "text": wording}
    block: dict = {"symptomConditionEffect": {"concept": effect}}
    if item.serious:
        block["classification"] = {"text": "serious"}
    frequency = _frequency(item)
    if frequency:
        block["frequencyOfOccurrence"] = frequency
    cud["undesirableEffect"] = block
    return _finish(ctx, cud, [])


def effect_wording(item: SideEffect) -> str:
    """'Hypotension (low blood pressure)': the detail in parentheses, as the monographs write it."""
    detail = (item.detail or "").strip()
    if not detail:
        return item.term
    return f"{item.term} {detail}" if detail.startswith("(") else f"{item.term} ({detail})"


def _frequency(item: SideEffect) -> dict | None:
    code = FREQUENCY_CODES.get(item.frequency or "")
    text = item.frequency_text or (item.frequency.replace("-", " ") if item.frequency else None)
    if code:
        return coded(EFFECT_FREQUENCY, code, code, text)
    return {"text": text} if text else None


def warning(ctx: Context, item: Warning) -> tuple[dict, list[str]]:
    groups = populations_for_topic(item.topic)
    cud = _cud(
        ctx,
        "warn",
        "warning",
        (item.label, item.text),
        [("Topic", item.label), ("Warning", item.text), ("Component", item.component)],
        item.source,
    )
    # A bare label ("**Alcohol:**" with the advice elsewhere) still needs a non-empty description (ele-1).
    description = item.text.strip() or item.source.strip() or item.label
    if item.label and not _GENERIC_LABEL.match(item.label) and item.label.lower() not in description.lower():
        description = f"{item.label}: {description}"  # "Elderly: Start low." says whom it is about
    cud["warning"] = {"description": description}
    category = WARNING_CATEGORIES.get(item.topic)
    return _finish(ctx, cud, groups, coded(CUD_CATEGORY, *category) if category else None), groups


def clinical_uses(ctx: Context) -> ClinicalUses:
    m = ctx.monograph
    out = ClinicalUses()
    for item in m.indications:
        cud = indication(ctx, item)
        out.resources.append(cud)
        out.indication_ids.append(cud["id"])
        ctx.cover("usage", item.source, f"ClinicalUseDefinition/{cud['id']}.indication")
    for item in m.contraindications:
        cud, groups = contraindication(ctx, item)
        out.resources.append(cud)
        out.use_groups(groups)
        ctx.cover("contraindications", item.source, f"ClinicalUseDefinition/{cud['id']}.contraindication")
    for item in m.interactions:
        cud = interaction(ctx, item)
        out.resources.append(cud)
        ctx.cover("interactions", item.source, f"ClinicalUseDefinition/{cud['id']}.interaction")
    for item in m.side_effects:
        cud = undesirable_effect(ctx, item)
        out.resources.append(cud)
        ctx.cover("side_effects", item.source, f"ClinicalUseDefinition/{cud['id']}.undesirableEffect")
    for item in m.warnings:
        cud, groups = warning(ctx, item)
        out.resources.append(cud)
        out.use_groups(groups)
        ctx.cover("warnings", item.source, f"ClinicalUseDefinition/{cud['id']}.warning")
    return out
