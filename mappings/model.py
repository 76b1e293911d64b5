"""The intermediate Monograph model: what the parser extracts, what the mappings consume.

Plain dataclasses carry the data; the marshmallow schemas define its JSON form so
`fhir-service parse FILE` can dump it and tests can load it back. Every structured item
keeps `source`, the exact sentence (or bullet) it came from, so the mappings can put the
wording into `text` elements and the coverage report can say where each statement went.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marshmallow import Schema, fields, post_load

# --- dataclasses ---------------------------------------------------------------------------


@dataclass
class Section:
    """A section of the source as found: heading text, canonical kind, raw Markdown body."""

    heading: str
    kind: str  # generic_name | usage | dosage | side_effects | mechanism | precautions | faqs |
    #            contraindications | interactions | warnings | storage | disclaimer | other |
    #            preamble (text between the title and the first section)
    text: str
    component: str | None = None  # "### Dosage (Paracetamol)" → "Paracetamol"


@dataclass
class Indication:
    condition: str  # one condition, e.g. "multiple sclerosis"
    source: str  # the bullet/sentence it came from
    group: str | None = None  # the bullet's bold label, e.g. "Muscle spasms in neurological disorders"
    component: str | None = None


@dataclass
class Population:
    """Who a regimen is for. Ages in years unless age_unit says otherwise (UCUM: a, mo, wk, d)."""

    kind: str  # adult | child | elderly | any | weight
    text: str  # the label as written: "Children 6-14 years"
    age_low: float | None = None
    age_high: float | None = None
    age_unit: str = "a"
    weight_low: float | None = None  # kg
    weight_high: float | None = None
    condition: str | None = None  # a renal/hepatic band as written: "CrCl 15-29 mL/min"


@dataclass
class Frequency:
    text: str  # as written: "three times daily (TID)"
    code: str | None = None  # v3-GTSAbbreviation: BID TID QID QD QOD Q4H ... (OD → QD)
    frequency: int | None = None  # Timing.repeat.frequency
    period: float | None = None  # Timing.repeat.period
    period_unit: str | None = None  # s min h d wk mo a
    as_needed: bool = False
    frequency_max: int | None = None  # "three or four times daily" → 3, max 4
    period_max: float | None = None  # "every 8-12 hours" → 8, max 12


@dataclass
class Amount:
    value: float
    unit: str  # as normalised by the parser: mg g mcg mL IU mg/kg mg/kg/day mg/m2 ...
    text: str = ""


@dataclass
class DosageRegimen:
    source: str  # the sentence this regimen came from
    population: Population
    route: str | None = None  # as written, normalised lower case: "oral", "intramuscular", ...
    dose_low: float | None = None
    dose_high: float | None = None  # equal to dose_low for a single value
    dose_unit: str | None = None
    frequency: Frequency | None = None
    max_daily_dose: Amount | None = None
    max_per_administration: Amount | None = None  # "a maximum of 1000 mg four times daily"
    duration: str | None = None  # as written: "for 5 days"
    duration_value: float | None = None
    duration_unit: str | None = None  # UCUM: d wk mo a h min
    per_day_total: bool = False  # the amount is the day's total ("5 mg/kg daily divided into three doses")
    indication: str | None = None  # "For spasticity (post-stroke)" → "spasticity (post-stroke)"
    method: str | None = None  # "slow intravenous injection"
    instructions: str = ""  # free text not captured in the structured fields
    component: str | None = None
    labels: list[str] = field(default_factory=list)  # bold labels it was under, outer → inner:
    #                                                  ["Adults", "Oral (Immediate-release)"]


@dataclass
class SideEffect:
    term: str  # "Dizziness"
    source: str
    detail: str | None = None  # "(low blood pressure)"
    frequency: str | None = None  # very-common | common | uncommon | rare | very-rare | None
    frequency_text: str | None = None  # "occurring in 1-10% of patients"
    serious: bool = False
    group: str | None = None  # the list heading it was under
    component: str | None = None


@dataclass
class Statement:
    """A contraindication or other single clinical statement."""

    text: str  # the condition/statement, e.g. "myasthenia gravis"
    source: str
    component: str | None = None


@dataclass
class Interaction:
    interactant: str  # "NSAIDs", "alcohol"
    source: str
    effect: str | None = None  # "potentiated effect"
    kind: str = "drug"  # drug | food | alcohol | test | other
    component: str | None = None


@dataclass
class Warning:
    topic: str  # pregnancy | breastfeeding | pregnancy-breastfeeding | hepatic | renal |
    #             hepatic-renal | epilepsy | driving | alcohol | children | elderly | other |
    #             interactions (an interaction statement that names no interactant)
    label: str  # the label as written: "Hepatic and renal impairment"
    text: str
    source: str
    component: str | None = None


@dataclass
class Faq:
    question: str
    answer: str
    component: str | None = None  # the ingredient part of a combination file it was under


@dataclass
class Unmapped:
    section: str
    text: str


@dataclass
class Monograph:
    source_path: str
    sha256: str
    title: str
    generic_name: str
    components: list[str] = field(default_factory=list)  # >1 → combination product
    has_clinical_content: bool = True
    no_content_reason: str | None = None
    front_matter: dict = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    indications: list[Indication] = field(default_factory=list)
    usage_text: str | None = None  # the Usage preamble/summary prose
    dosage_regimens: list[DosageRegimen] = field(default_factory=list)
    dosage_notes: list[str] = field(default_factory=list)  # dosing prose without numbers
    side_effects: list[SideEffect] = field(default_factory=list)
    mechanism: str | None = None
    contraindications: list[Statement] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    faqs: list[Faq] = field(default_factory=list)
    storage: list[str] = field(default_factory=list)
    disclaimer: str | None = None
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def is_combination(self) -> bool:
        return len(self.components) > 1


# --- schemas ------------------------------------------------------------------------------


class _Base(Schema):
    __model__: type = object

    class Meta:
        ordered = True

    @post_load
    def _make(self, data, **_):
        return self.__model__(**data)


class SectionSchema(_Base):
    __model__ = Section
    heading = fields.String(required=True)
    kind = fields.String(required=True)
    text = fields.String(required=True)
    component = fields.String(allow_none=True, load_default=None)


class IndicationSchema(_Base):
    __model__ = Indication
    condition = fields.String(required=True)
    source = fields.String(required=True)
    group = fields.String(allow_none=True, load_default=None)
    component = fields.String(allow_none=True, load_default=None)


class PopulationSchema(_Base):
    __model__ = Population
    kind = fields.String(required=True)
    text = fields.String(required=True)
    age_low = fields.Float(allow_none=True, load_default=None)
    age_high = fields.Float(allow_none=True, load_default=None)
    age_unit = fields.String(load_default="a")
    weight_low = fields.Float(allow_none=True, load_default=None)
    weight_high = fields.Float(allow_none=True, load_default=None)
    condition = fields.String(allow_none=True, load_default=None)


class FrequencySchema(_Base):
    __model__ = Frequency
    text = fields.String(required=True)
    code = fields.String(allow_none=True, load_default=None)
    frequency = fields.Integer(allow_none=True, load_default=None)
    period = fields.Float(allow_none=True, load_default=None)
    period_unit = fields.String(allow_none=True, load_default=None)
    as_needed = fields.Boolean(load_default=False)
    frequency_max = fields.Integer(allow_none=True, load_default=None)
    period_max = fields.Float(allow_none=True, load_default=None)


class AmountSchema(_Base):
    __model__ = Amount
    value = fields.Float(required=True)
    unit = fields.String(required=True)
    text = fields.String(load_default="")


class DosageRegimenSchema(_Base):
    __model__ = DosageRegimen
    source = fields.String(required=True)
    population = fields.Nested(PopulationSchema, required=True)
    route = fields.String(allow_none=True, load_default=None)
    dose_low = fields.Float(allow_none=True, load_default=None)
    dose_high = fields.Float(allow_none=True, load_default=None)
    dose_unit = fields.String(allow_none=True, load_default=None)
    frequency = fields.Nested(FrequencySchema, allow_none=True, load_default=None)
    max_daily_dose = fields.Nested(AmountSchema, allow_none=True, load_default=None)
    max_per_administration = fields.Nested(AmountSchema, allow_none=True, load_default=None)
    duration = fields.String(allow_none=True, load_default=None)
    duration_value = fields.Float(allow_none=True, load_default=None)
    duration_unit = fields.String(allow_none=True, load_default=None)
    per_day_total = fields.Boolean(load_default=False)
    indication = fields.String(allow_none=True, load_default=None)
    method = fields.String(allow_none=True, load_default=None)
    instructions = fields.String(load_default="")
    component = fields.String(allow_none=True, load_default=None)
    labels = fields.List(fields.String(), load_default=list)


class SideEffectSchema(_Base):
    __model__ = SideEffect
    term = fields.String(required=True)
    source = fields.String(required=True)
    detail = fields.String(allow_none=True, load_default=None)
    frequency = fields.String(allow_none=True, load_default=None)
    frequency_text = fields.String(allow_none=True, load_default=None)
    serious = fields.Boolean(load_default=False)
    group = fields.String(allow_none=True, load_default=None)
    component = fields.String(allow_none=True, load_default=None)


class StatementSchema(_Base):
    __model__ = Statement
    text = fields.String(required=True)
    source = fields.String(required=True)
    component = fields.String(allow_none=True, load_default=None)


class InteractionSchema(_Base):
    __model__ = Interaction
    interactant = fields.String(required=True)
    source = fields.String(required=True)
    effect = fields.String(allow_none=True, load_default=None)
    kind = fields.String(load_default="drug")
    component = fields.String(allow_none=True, load_default=None)


class WarningSchema(_Base):
    __model__ = Warning
    topic = fields.String(required=True)
    label = fields.String(required=True)
    text = fields.String(required=True)
    source = fields.String(required=True)
    component = fields.String(allow_none=True, load_default=None)


class FaqSchema(_Base):
    __model__ = Faq
    question = fields.String(required=True)
    answer = fields.String(required=True)
    component = fields.String(allow_none=True, load_default=None)


class UnmappedSchema(_Base):
    __model__ = Unmapped
    section = fields.String(required=True)
    text = fields.String(required=True)


class MonographSchema(_Base):
    __model__ = Monograph
    source_path = fields.String(required=True)
    sha256 = fields.String(required=True)
    title = fields.String(required=True)
    generic_name = fields.String(required=True)
    components = fields.List(fields.String(), load_default=list)
    has_clinical_content = fields.Boolean(load_default=True)
    no_content_reason = fields.String(allow_none=True, load_default=None)
    front_matter = fields.Dict(load_default=dict)
    sections = fields.List(fields.Nested(SectionSchema), load_default=list)
    indications = fields.List(fields.Nested(IndicationSchema), load_default=list)
    usage_text = fields.String(allow_none=True, load_default=None)
    dosage_regimens = fields.List(fields.Nested(DosageRegimenSchema), load_default=list)
    dosage_notes = fields.List(fields.String(), load_default=list)
    side_effects = fields.List(fields.Nested(SideEffectSchema), load_default=list)
    mechanism = fields.String(allow_none=True, load_default=None)
    contraindications = fields.List(fields.Nested(StatementSchema), load_default=list)
    interactions = fields.List(fields.Nested(InteractionSchema), load_default=list)
    warnings = fields.List(fields.Nested(WarningSchema), load_default=list)
    faqs = fields.List(fields.Nested(FaqSchema), load_default=list)
    storage = fields.List(fields.String(), load_default=list)
    disclaimer = fields.String(allow_none=True, load_default=None)
    unmapped = fields.List(fields.Nested(UnmappedSchema), load_default=list)


def dump(monograph: Monograph) -> dict:
    return MonographSchema().dump(monograph)


def load(data: dict) -> Monograph:
    return MonographSchema().load(data)
