"""Population Groups (R5 Group, membership "definitional") that ClinicalUseDefinition.population
points to: children, elderly, hepatic or renal impairment, pregnancy, breastfeeding.

A population is defined by one characteristic. Conditions use the concept maps (coded only when
confirmed); "children" and "elderly" carry no invented age limits, only their wording.
"""

from __future__ import annotations

import re

from .context import Context
from .narrative import narrative
from .terminology import concept

# key → (Group.name, characteristic code text, concept map or None, value wording)
POPULATIONS = {
    "children": ("Children", "Population", None, "children"),
    "elderly": ("Elderly patients", "Population", None, "elderly"),
    "hepatic": ("Patients with hepatic impairment", "Condition", "conditions", "hepatic impairment"),
    "renal": ("Patients with renal impairment", "Condition", "conditions", "renal impairment"),
    "pregnancy": ("Pregnant women", "Condition", "conditions", "pregnancy"),
    "breastfeeding": ("Breastfeeding women", "Condition", "conditions", "breastfeeding"),
}

# Warning.topic (parser vocabulary) → populations it concerns.
TOPIC_POPULATIONS = {
    "pregnancy": ["pregnancy"],
    "breastfeeding": ["breastfeeding"],
    "pregnancy-breastfeeding": ["pregnancy", "breastfeeding"],
    "hepatic": ["hepatic"],
    "renal": ["renal"],
    "hepatic-renal": ["hepatic", "renal"],
    "children": ["children"],
    "elderly": ["elderly"],
}

# Wording that names a population inside a free statement (contraindications).
_MENTIONS = [
    ("children", re.compile(r"\b(child|children|paediatric|pediatric|infants?)\b", re.I)),
    ("elderly", re.compile(r"\b(elderly|geriatric|older (adults|patients|people))\b", re.I)),
    ("pregnancy", re.compile(r"\bpregnan", re.I)),
    ("breastfeeding", re.compile(r"\b(breast-?feeding|lactation|nursing mothers)\b", re.I)),
]


def populations_for_topic(topic: str) -> list[str]:
    return TOPIC_POPULATIONS.get(topic, [])


def populations_mentioned(text: str) -> list[str]:
    return [key for key, pattern in _MENTIONS if pattern.search(text)]


def group_id(ctx: Context, key: str) -> str:
    return ctx.single_id(f"grp-{key}")


def group(ctx: Context, key: str) -> dict:
    name, code_text, concept_map, wording = POPULATIONS[key]
    value = concept(concept_map, wording) if concept_map else {"text": wording}
    return {
        "resourceType": "Group",
        "id": group_id(ctx, key),
        "text": narrative(f"{name} ({ctx.name})", [("Defined by", f"{code_text}: {wording}")]),
        "type": "person",
        "membership": "definitional",
        "name": name,
        "characteristic": [{"code": {"text": code_text}, "valueCodeableConcept": value, "exclude": False}],
    }
