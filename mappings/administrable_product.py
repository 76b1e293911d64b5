"""AdministrableProductDefinition: one per route group the dosing names (oral; injection routes
together; any other route on its own), each route with `routeOfAdministration.code`.

`maxDosePerDay` and `maxSingleDose` are set only from an explicitly stated maximum for adults;
they are never computed from dose × frequency or from the top of a dose range (the seed's 150 mg
QID vs "150–450 mg daily" shows why). No dose form is assumed: the monographs rarely state one.
"""

from __future__ import annotations

from .context import Context
from .dosage import without_per_day
from .ids import make_id
from .model import DosageRegimen
from .narrative import narrative
from .terminology import concept, normalise, quantity

PARENTERAL = (
    "intramuscular",
    "intravenous",
    "subcutaneous",
    "intradermal",
    "intrathecal",
    "injection",
    "infusion",
)
FAMILY_LABELS = {"oral": "Oral", "parenteral": "Injection"}


def route_family(route: str) -> str:
    text = normalise(route)
    if text.startswith("oral") or text in ("by mouth", "po", "p.o."):
        return "oral"
    if any(word in text for word in PARENTERAL) or text in ("im", "iv", "sc", "i.m.", "i.v.", "s.c."):
        return "parenteral"
    return text


def _stated_max(regimens: list[DosageRegimen], attribute: str) -> dict | None:
    """The highest explicitly stated adult maximum in a plain unit (not per kg/m²)."""
    best = None
    for r in regimens:
        amount = getattr(r, attribute)
        if not amount or r.population.kind not in ("adult", "any") or not amount.unit:
            continue
        unit = without_per_day(amount.unit)
        if "/" in unit or amount.value <= 0:
            continue
        if best is None or (unit == best[1] and amount.value > best[0]):
            best = (amount.value, unit)
    return quantity(*best) if best else None


def administrable_products(ctx: Context) -> list[dict]:
    families: dict[str, dict[str, list[DosageRegimen]]] = {}
    for r in ctx.monograph.dosage_regimens:
        if r.route:
            families.setdefault(route_family(r.route), {}).setdefault(normalise(r.route), []).append(r)
    out = []
    for family, routes in families.items():
        apd: dict = {"resourceType": "AdministrableProductDefinition", "id": make_id(ctx.slug, "apd", family)}
        label = FAMILY_LABELS.get(family, family.capitalize())
        route_texts = [regimens[0].route for regimens in routes.values()]
        apd["text"] = narrative(f"{label} administration: {ctx.name}", [("Routes", route_texts)])
        apd["status"] = "active"
        apd["formOf"] = [ctx.ref("MedicinalProductDefinition", "mpd")]
        apd["routeOfAdministration"] = []
        for regimens in routes.values():
            route: dict = {"code": concept("routes", regimens[0].route)}
            max_single = _stated_max(regimens, "max_per_administration")
            if max_single:
                route["maxSingleDose"] = max_single
            max_day = _stated_max(regimens, "max_daily_dose")
            if max_day:
                route["maxDosePerDay"] = max_day
            apd["routeOfAdministration"].append(route)
        out.append(apd)
    return out
