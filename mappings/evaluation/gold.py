"""Gold annotation files: loading and validation. A gold file (fixtures/gold/<letter>/<page>.json, format
in fixtures/gold/README.md) says what one monograph page states; this module turns it into frozen
dataclasses and refuses a malformed file with a GoldError that names the file and the field
("doses[2].dose_per_day.low: expected a number, got 'ten'"), so an annotator can fix it at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .units import Span, Unit, parse_unit

# gold list → ClinicalUseDefinition.type
CLINICAL_LISTS = {
    "indications": "indication",
    "contraindications": "contraindication",
    "interactions": "interaction",
    "warnings": "warning",
    "undesirable_effects": "undesirable-effect",
}
CLINICAL_TYPES = tuple(CLINICAL_LISTS.values())
MUST_NOT_TYPES = {
    "dose": "dose",
    "indication": "indication",
    "contraindication": "contraindication",
    "interaction": "interaction",
    "warning": "warning",
    "undesirable_effect": "undesirable-effect",
    "undesirable-effect": "undesirable-effect",
}
EFFECT_FREQUENCIES = {"Common", "Uncommon", "Rare"}


class GoldError(ValueError):
    def __init__(self, path: Path | str, where: str, message: str):
        self.path = str(path)
        self.where = where
        self.message = message
        super().__init__(f"{self.path}: {where}: {message}" if where else f"{self.path}: {message}")


@dataclass(frozen=True)
class Amount:
    span: Span
    unit: Unit
    text: str  # as annotated, for reports

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Maximum:
    value: float
    unit: Unit
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Population:
    text: str | None
    age_min: float | None
    age_max: float | None
    condition: str | None


@dataclass(frozen=True)
class GoldDose:
    index: int
    quote: str
    population: Population
    ingredient: str | None
    route: str | None
    per_administration: Amount | None
    per_day: Amount | None
    frequency: Span | None
    interval: Span | None
    as_needed: bool
    max_per_day: Maximum | None
    max_per_administration: Maximum | None
    not_a_regimen: bool

    @property
    def label(self) -> str:
        return f"doses[{self.index}]"


@dataclass(frozen=True)
class GoldItem:
    type: str  # a ClinicalUseDefinition.type
    index: int
    item: str
    quote: str | None
    ingredient: str | None = None
    frequency: str | None = None  # undesirable effects only

    @property
    def label(self) -> str:
        key = next(k for k, v in CLINICAL_LISTS.items() if v == self.type)
        return f"{key}[{self.index}]"


@dataclass(frozen=True)
class MustNot:
    type: str  # "dose" or a ClinicalUseDefinition.type
    index: int
    item: str
    why: str


@dataclass
class GoldPage:
    path: Path  # the annotation file
    file: str  # the page, relative to the corpus folder
    sha256: str
    ingredients: list[str]
    routes: list[str]
    doses: list[GoldDose]
    items: dict[str, list[GoldItem]] = field(default_factory=dict)
    must_not: list[MustNot] = field(default_factory=list)

    @property
    def key(self) -> str:
        """'c/ceftazidime-avibactam': the page without suffix, the same for the .md and the .json."""
        return self.file[:-3] if self.file.endswith(".md") else self.file


class _Reader:
    """Typed access to one file's JSON with the field path in every error."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str):
        raise GoldError(self.path, where, message)

    def obj(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {value!r}")
        return value

    def get(self, obj: dict, key: str, where: str, *, required: bool = True):
        if key not in obj:
            if required:
                self.fail(f"{where}.{key}" if where else key, "missing")
            return None
        return obj[key]

    def text(self, value, where: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"expected a non-empty string, got {value!r}")
        return value

    def number(self, value, where: str, *, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, f"expected a number, got {value!r}")
        return float(value)

    def boolean(self, value, where: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail(where, f"expected true or false, got {value!r}")
        return value

    def strings(self, value, where: str) -> list[str]:
        if not isinstance(value, list):
            self.fail(where, f"expected a list of strings, got {value!r}")
        return [self.text(v, f"{where}[{i}]") for i, v in enumerate(value)]

    def objects(self, value, where: str) -> list[dict]:
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {value!r}")
        return [self.obj(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _unit(
    r: _Reader, text: str, where: str, per_kg: bool, per_m2: bool, *, daily: bool, rate_ok: bool
) -> Unit:
    """The annotated unit with the entry's per-kg/per-m² flags. A per-day unit ('mg/day') is accepted where
    the field is itself per day; a per-hour or per-minute unit only as a per-administration amount, where
    it records an infusion rate ('0.1-0.5 mg/min')."""
    unit = parse_unit(text)
    if unit is None:
        r.fail(where, f"unknown unit {text!r}")
    per_hours = unit.per_hours
    if per_hours is not None and unit.per_day:
        if not daily:
            r.fail(where, f"unit {text!r} is per day: use dose_per_day (or max_per_day) with a plain unit")
        per_hours = None
    elif per_hours is not None and not rate_ok:
        r.fail(where, f"unit {text!r} carries a time this field cannot hold")
    return Unit(unit.dimension, unit.factor, unit.per_kg or per_kg, unit.per_m2 or per_m2, per_hours)


def _amount(r: _Reader, value, where: str, per_kg: bool, per_m2: bool, *, daily: bool) -> Amount | None:
    if value is None:
        return None
    obj = r.obj(value, where)
    low = r.number(r.get(obj, "low", where), f"{where}.low", optional=True)
    high = r.number(obj.get("high"), f"{where}.high", optional=True)
    if low is None and high is None:
        r.fail(where, "low and high are both null")
    if low is not None and high is not None and high < low:
        r.fail(where, f"high {high:g} is below low {low:g}")
    unit_text = r.text(r.get(obj, "unit", where), f"{where}.unit")
    unit = _unit(r, unit_text, f"{where}.unit", per_kg, per_m2, daily=daily, rate_ok=not daily)
    suffix = "/kg" if per_kg else "/m2" if per_m2 else ""
    return Amount(Span(low, high), unit, f"{Span(low, high)} {unit_text}{suffix}")


def _maximum(r: _Reader, value, where: str, *, daily: bool) -> Maximum | None:
    if value is None:
        return None
    obj = r.obj(value, where)
    number = r.number(r.get(obj, "value", where), f"{where}.value")
    unit_text = r.text(r.get(obj, "unit", where), f"{where}.unit")
    per_kg = r.boolean(obj.get("per_kg"), f"{where}.per_kg")
    per_m2 = r.boolean(obj.get("per_m2"), f"{where}.per_m2")
    unit = _unit(r, unit_text, f"{where}.unit", per_kg, per_m2, daily=daily, rate_ok=False)
    return Maximum(number, unit, f"{number:g} {unit_text}{'/kg' if per_kg else '/m2' if per_m2 else ''}")


def _span(r: _Reader, value, where: str) -> Span | None:
    if value is None:
        return None
    obj = r.obj(value, where)
    low = r.number(r.get(obj, "low", where), f"{where}.low")
    high = r.number(obj.get("high", low), f"{where}.high", optional=True)
    if high is None:
        high = low
    if high < low:
        r.fail(where, f"high {high:g} is below low {low:g}")
    if low <= 0:
        r.fail(f"{where}.low", f"must be positive, got {low:g}")
    return Span(low, high)


def _population(r: _Reader, value, where: str) -> Population:
    if value is None:
        return Population(None, None, None, None)
    obj = r.obj(value, where)
    return Population(
        r.text(obj.get("text"), f"{where}.text", optional=True),
        r.number(obj.get("age_min_years"), f"{where}.age_min_years", optional=True),
        r.number(obj.get("age_max_years"), f"{where}.age_max_years", optional=True),
        r.text(obj.get("condition"), f"{where}.condition", optional=True),
    )


def _dose(r: _Reader, obj: dict, index: int) -> GoldDose:
    where = f"doses[{index}]"
    per_kg = r.boolean(obj.get("per_kg"), f"{where}.per_kg")
    per_m2 = r.boolean(obj.get("per_m2"), f"{where}.per_m2")
    not_a_regimen = r.boolean(obj.get("not_a_regimen"), f"{where}.not_a_regimen")
    per_admin = _amount(
        r, obj.get("dose_per_administration"), f"{where}.dose_per_administration", per_kg, per_m2, daily=False
    )
    per_day = _amount(r, obj.get("dose_per_day"), f"{where}.dose_per_day", per_kg, per_m2, daily=True)
    if per_admin is not None and per_day is not None:
        r.fail(
            where, "dose_per_administration and dose_per_day are both set (one statement states one of them)"
        )
    if not not_a_regimen and per_admin is None and per_day is None:
        r.fail(where, "a regimen needs dose_per_administration or dose_per_day (or not_a_regimen: true)")
    return GoldDose(
        index=index,
        quote=r.text(r.get(obj, "quote", where), f"{where}.quote"),
        population=_population(r, obj.get("population"), f"{where}.population"),
        ingredient=r.text(obj.get("ingredient"), f"{where}.ingredient", optional=True),
        route=r.text(obj.get("route"), f"{where}.route", optional=True),
        per_administration=per_admin,
        per_day=per_day,
        frequency=_span(r, obj.get("frequency_per_day"), f"{where}.frequency_per_day"),
        interval=_span(r, obj.get("interval_hours"), f"{where}.interval_hours"),
        as_needed=r.boolean(obj.get("as_needed"), f"{where}.as_needed"),
        max_per_day=_maximum(r, obj.get("max_per_day"), f"{where}.max_per_day", daily=True),
        max_per_administration=_maximum(
            r, obj.get("max_per_administration"), f"{where}.max_per_administration", daily=False
        ),
        not_a_regimen=not_a_regimen,
    )


def _item(r: _Reader, obj: dict, ctype: str, where: str, index: int) -> GoldItem:
    frequency = None
    if ctype == "undesirable-effect":
        frequency = r.text(obj.get("frequency"), f"{where}.frequency", optional=True)
        if frequency is not None and frequency not in EFFECT_FREQUENCIES:
            r.fail(
                f"{where}.frequency",
                f"expected one of {sorted(EFFECT_FREQUENCIES)} or null, got {frequency!r}",
            )
    return GoldItem(
        type=ctype,
        index=index,
        item=r.text(r.get(obj, "item", where), f"{where}.item"),
        quote=r.text(obj.get("quote"), f"{where}.quote", optional=True),
        ingredient=r.text(obj.get("ingredient"), f"{where}.ingredient", optional=True),
        frequency=frequency,
    )


def load_page(path: Path | str, gold_dir: Path | str | None = None) -> GoldPage:
    """One annotation file; GoldError names the file and the field of the first problem found."""
    path = Path(path)
    r = _Reader(path)
    try:
        raw = path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(path, "", f"cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise GoldError(path, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}") from exc
    data = r.obj(data, "(top level)")
    file = r.text(r.get(data, "file", ""), "file")
    if not file.endswith(".md"):
        r.fail("file", f"expected the page's .md path relative to the corpus, got {file!r}")
    if gold_dir is not None:
        # the annotation sits at the page's path: l/lincomycin.md → <gold>/l/lincomycin.json
        expected = path.resolve().relative_to(Path(gold_dir).resolve()).with_suffix(".md").as_posix()
        if expected != file:
            r.fail("file", f"{file!r} does not match the annotation's own path ({expected!r})")
    items: dict[str, list[GoldItem]] = {}
    for key, ctype in CLINICAL_LISTS.items():
        objs = r.objects(r.get(data, key, ""), key)
        items[ctype] = [_item(r, obj, ctype, f"{key}[{i}]", i) for i, obj in enumerate(objs)]
    must_not = []
    for i, obj in enumerate(r.objects(data.get("must_not", []), "must_not")):
        where = f"must_not[{i}]"
        raw_type = r.text(r.get(obj, "type", where), f"{where}.type")
        if raw_type not in MUST_NOT_TYPES:
            r.fail(f"{where}.type", f"expected one of {sorted(set(MUST_NOT_TYPES) - {'undesirable-effect'})}")
        must_not.append(
            MustNot(
                type=MUST_NOT_TYPES[raw_type],
                index=i,
                item=r.text(r.get(obj, "item", where), f"{where}.item"),
                why=r.text(obj.get("why"), f"{where}.why", optional=True) or "",
            )
        )
    doses = [_dose(r, obj, i) for i, obj in enumerate(r.objects(r.get(data, "doses", ""), "doses"))]
    return GoldPage(
        path=path,
        file=file,
        sha256=hashlib.sha256(raw).hexdigest(),
        ingredients=[s.lower() for s in r.strings(r.get(data, "ingredients", ""), "ingredients")],
        routes=[s.lower() for s in r.strings(r.get(data, "routes", ""), "routes")],
        doses=doses,
        items=items,
        must_not=must_not,
    )


def annotation_files(gold_dir: Path | str) -> list[Path]:
    """<gold>/<letter>/<page>.json in sorted order (the README and scores.json at the top are not pages)."""
    return sorted(p for p in Path(gold_dir).glob("*/*.json") if p.is_file())


def page_key(text: str) -> str:
    """A page as the user names it ('c/x.md', 'c/x', 'fixtures/gold/c/x.json', '../shared/monographs/c/x.md')
    → 'c/x'."""
    parts = Path(text).with_suffix("").parts
    return "/".join(parts[-2:])


def load_dir(gold_dir: Path | str, pages: list[str] | None = None) -> tuple[list[GoldPage], list[GoldError]]:
    """Every annotation under gold_dir (or only the named pages); malformed files are returned as errors,
    the others still load."""
    wanted = {page_key(p) for p in pages} if pages else None
    loaded: list[GoldPage] = []
    errors: list[GoldError] = []
    for path in annotation_files(gold_dir):
        if wanted is not None and page_key(str(path)) not in wanted:
            continue
        try:
            loaded.append(load_page(path, gold_dir))
        except GoldError as exc:
            errors.append(exc)
    if wanted is not None:
        found = {page.key for page in loaded} | {page_key(e.path) for e in errors}
        for missing in sorted(wanted - found):
            errors.append(GoldError(Path(gold_dir) / f"{missing}.json", "", "no such annotation file"))
    return loaded, errors
