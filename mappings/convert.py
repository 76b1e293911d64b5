"""Monograph → FHIR R5 resources, in a fixed order:

MedicationKnowledge, MedicinalProductDefinition, AdministrableProductDefinitions,
ClinicalUseDefinitions (indications, contraindications, interactions, undesirable effects,
warnings), Groups, DocumentReference, Provenance (last: it targets all the others).

A monograph without clinical content yields no resources. Everything is a pure function of the
source bytes, so converting an unchanged file twice gives byte-identical JSON (`dumps`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .administrable_product import administrable_products
from .bundle import make_bundle
from .clinical_use import clinical_uses
from .context import Context
from .coverage import Coverage, complete
from .document import document_reference, provenance
from .group import group
from .ids import make_id
from .medication_knowledge import medication_knowledge
from .medicinal_product import medicinal_product
from .model import Monograph


@dataclass
class Conversion:
    monograph: Monograph
    resources: list[dict] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def slug(self) -> str:
        return Context.for_monograph(self.monograph).slug

    @property
    def has_clinical_content(self) -> bool:
        return self.monograph.has_clinical_content

    def bundle(self, style: str = "transaction") -> dict:
        """The monograph's Bundle (id `<slug>-bundle`), as `fhir-service convert` writes it."""
        return make_bundle(self.resources, style, bundle_id=make_id(self.slug, "bundle"))


def _source_bytes(m: Monograph, source: bytes | None) -> bytes:
    if source is not None:
        return source
    return Path(m.source_path).read_bytes()


def convert_with_coverage(m: Monograph, source: bytes | None = None) -> tuple[list[dict], Coverage]:
    if not m.has_clinical_content:
        return [], Coverage()
    data = _source_bytes(m, source)
    ctx = Context.for_monograph(m)
    uses = clinical_uses(ctx)
    cud_ids = [r["id"] for r in uses.resources]
    mk = medication_knowledge(ctx, uses.indication_ids, cud_ids)
    mpd = medicinal_product(ctx)
    apds = administrable_products(ctx)
    groups = [group(ctx, key) for key in uses.group_keys]
    doc = document_reference(ctx, data)
    resources = [mk, mpd, *apds, *uses.resources, *groups, doc]
    resources.append(provenance(ctx, data, resources))
    return resources, complete(ctx, doc["id"], mk["id"])


def convert_monograph(m: Monograph, source: bytes | None = None) -> list[dict]:
    """The R5 resources for one parsed monograph (the source bytes default to m.source_path)."""
    return convert_with_coverage(m, source)[0]


def convert_file(path: str | Path) -> Conversion:
    from .parse import parse_file  # the parser package; imported late so the mappings load without it

    data = Path(path).read_bytes()
    monograph = parse_file(path)
    resources, coverage = convert_with_coverage(monograph, data)
    return Conversion(monograph=monograph, resources=resources, coverage=coverage)


def dumps(resource: dict) -> str:
    """Deterministic JSON: key order as built (R5 element order), two-space indent, UTF-8, final newline."""
    return json.dumps(resource, ensure_ascii=False, indent=2) + "\n"
