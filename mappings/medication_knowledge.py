"""MedicationKnowledge: the monograph's drug knowledge in one resource.

Dosing goes into `indicationGuideline`: one guideline per indication wording the regimens name
("For spasticity (post-stroke)"), plus one general guideline (all indication CUDs) for regimens
that name none; inside a guideline one `dosingGuideline` per population (patientCharacteristic),
inside that one `dosage` entry per route. Dosing prose without numbers becomes text-only Dosages.
"""

from __future__ import annotations

from .context import Context
from .dosage import describe, dosage, patient_characteristics
from .model import DosageRegimen, Population
from .narrative import narrative
from .terminology import ATC, ROLE_CLASS, coded, concept, lookup, normalise

GENERAL = None  # guideline key for regimens that name no indication
NOTES_LABEL = "Dosing notes"


def _words(text: str) -> set[str]:
    return set(normalise(text).replace("(", " ").replace(")", " ").replace(",", " ").split())


def _matching_indications(key: str, ctx: Context, indication_ids: list[str]) -> list[str]:
    """Indication CUDs whose every word occurs in the regimen's indication wording."""
    words = _words(key)
    return [
        cid
        for cid, item in zip(indication_ids, ctx.monograph.indications, strict=True)
        if _words(item.condition) and _words(item.condition) <= words
    ]


def _population_key(p: Population) -> tuple:
    return (p.kind, normalise(p.text), p.age_low, p.age_high, p.age_unit, p.weight_low, p.weight_high)


def _route_label(regimen: DosageRegimen) -> str:
    route = regimen.route.capitalize() if regimen.route else "Route not stated"
    return f"{regimen.component} (ingredient): {route}" if regimen.component else route


def _collect(m) -> dict:
    """Regimens and dosing notes as {guideline key → {population key → (Population | None,
    {route label → [(kind, item)]})}}, in source order."""
    guidelines: dict = {}

    def add(key, population: Population | None, label: str, item) -> None:
        populations = guidelines.setdefault(key, {})
        pkey = _population_key(population) if population else ("notes",)
        _, routes = populations.setdefault(pkey, (population, {}))
        routes.setdefault(label, []).append(item)

    for regimen in m.dosage_regimens:
        key = normalise(regimen.indication) if regimen.indication else GENERAL
        add(key, regimen.population, _route_label(regimen), ("regimen", regimen))
    for note in m.dosage_notes:
        add(GENERAL, None, NOTES_LABEL, ("note", note))
    return guidelines


def indication_guidelines(ctx: Context, mk_id: str, indication_ids: list[str]) -> list[dict]:
    return [
        _guideline(
            ctx, f"MedicationKnowledge/{mk_id}.indicationGuideline[{g}]", key, populations, indication_ids
        )
        for g, (key, populations) in enumerate(_collect(ctx.monograph).items())
    ]


def _guideline(ctx: Context, path: str, key, populations: dict, indication_ids: list[str]) -> dict:
    guideline: dict = {}
    refs = indication_ids if key is GENERAL else _matching_indications(key, ctx, indication_ids)
    if refs:
        guideline["indication"] = [{"reference": {"reference": f"ClinicalUseDefinition/{r}"}} for r in refs]
    elif key is not GENERAL:
        guideline["indication"] = [{"concept": {"text": _original_indication(ctx.monograph, key)}}]
    guideline["dosingGuideline"] = [
        _dosing_guideline(ctx, f"{path}.dosingGuideline[{d}]", population, routes)
        for d, (population, routes) in enumerate(populations.values())
    ]
    return guideline


def _dosing_guideline(ctx: Context, path: str, population: Population | None, routes: dict) -> dict:
    """One population: a `dosage` entry per route (type.text "Adults: Oral"), a Dosage per regimen."""
    dosing: dict = {"dosage": []}
    for k, (label, items) in enumerate(routes.items()):
        title = f"{population.text}: {label}" if population and population.text else label
        entry: dict = {"type": {"text": title}, "dosage": []}
        for item_kind, item in items:
            where = f"{path}.dosage[{k}].dosage[{len(entry['dosage'])}]"
            if item_kind == "regimen":
                entry["dosage"].append(dosage(item))
                ctx.cover("dosage", item.source, where)
            else:
                entry["dosage"].append({"text": item})
                ctx.cover("dosage", item, f"{where}.text", structured=False)
        dosing["dosage"].append(entry)
    characteristics = patient_characteristics(population) if population else []
    if characteristics:
        dosing["patientCharacteristic"] = characteristics
    return dosing


def _original_indication(m, key: str) -> str:
    return next(r.indication for r in m.dosage_regimens if r.indication and normalise(r.indication) == key)


def _routes(ctx: Context) -> list[dict]:
    seen, out = set(), []
    for regimen in ctx.monograph.dosage_regimens:
        if regimen.route and normalise(regimen.route) not in seen:
            seen.add(normalise(regimen.route))
            out.append(concept("routes", regimen.route))
    return out


def components(ctx: Context) -> list[str]:
    return ctx.monograph.components or [ctx.name]


def atc_classification(ctx: Context) -> dict | None:
    coding = lookup("atc", ctx.name)
    return {"coding": [coding], "text": ctx.name} if coding else None


def medication_knowledge(ctx: Context, indication_ids: list[str], cud_ids: list[str]) -> dict:
    m = ctx.monograph
    mk_id = ctx.single_id("mk")
    names = []
    for n in (m.generic_name, m.title):
        if n and n.lower() not in {x.lower() for x in names}:
            names.append(n)

    mk: dict = {"resourceType": "MedicationKnowledge", "id": mk_id}
    mk["code"] = {"text": ctx.name}
    mk["status"] = "active"
    mk["name"] = names or [ctx.name]
    mk["monograph"] = [
        {"type": {"text": "Source monograph (Markdown)"}, "source": ctx.ref("DocumentReference", "doc")}
    ]
    guidelines = indication_guidelines(ctx, mk_id, indication_ids)
    if guidelines:
        mk["indicationGuideline"] = guidelines
    atc = atc_classification(ctx)
    if atc:
        mk["medicineClassification"] = [{"type": {"text": "ATC"}, "sourceUri": ATC, "classification": [atc]}]
    if cud_ids:
        mk["clinicalUseIssue"] = [{"reference": f"ClinicalUseDefinition/{c}"} for c in cud_ids]
    if m.storage:
        mk["storageGuideline"] = [{"note": [{"text": s} for s in m.storage]}]
        for i, s in enumerate(m.storage):
            ctx.cover("storage", s, f"MedicationKnowledge/{mk_id}.storageGuideline[0].note[{i}]")
    mk["definitional"] = definitional(ctx, mk_id)
    mk = {"resourceType": mk.pop("resourceType"), "id": mk.pop("id"), "text": _narrative(ctx, mk), **mk}
    return mk


def definitional(ctx: Context, mk_id: str) -> dict:
    m = ctx.monograph
    out: dict = {"definition": [ctx.ref("MedicinalProductDefinition", "mpd")]}
    routes = _routes(ctx)
    if routes:
        out["intendedRoute"] = routes
    out["ingredient"] = [
        {"item": {"concept": {"text": c}}, "type": coded(ROLE_CLASS, "ACTI", "active ingredient")}
        for c in components(ctx)
    ]
    if m.mechanism:
        out["drugCharacteristic"] = [{"type": {"text": "Mechanism of action"}, "valueString": m.mechanism}]
        ctx.cover(
            "mechanism",
            m.mechanism,
            f"MedicationKnowledge/{mk_id}.definitional.drugCharacteristic[0].valueString",
        )
    return out


def _narrative(ctx: Context, mk: dict) -> dict:
    m = ctx.monograph
    atc = mk.get("medicineClassification", [{}])[0].get("classification", [{}])[0].get("coding", [{}])[0]
    return narrative(
        f"Medication knowledge: {ctx.name}",
        [
            ("Active ingredients", components(ctx)),
            ("ATC", f"{atc['code']} {atc['display']}" if atc else None),
            ("Routes", [r["text"] for r in mk["definitional"].get("intendedRoute", [])]),
            ("Dosing", [describe(r) for r in m.dosage_regimens] + list(m.dosage_notes)),
            ("Mechanism of action", m.mechanism),
            ("Storage", list(m.storage)),
            (
                "Clinical use statements",
                str(len(mk.get("clinicalUseIssue", []))) if mk.get("clinicalUseIssue") else None,
            ),
        ],
    )
