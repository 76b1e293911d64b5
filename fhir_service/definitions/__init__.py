"""The official R5 definitions the validator needs, shipped compressed in data/ (built by
scripts/build_definitions.py from hl7.fhir.r5.core and hl7.fhir.r5.expansions 5.0.0), and those of
R4 and R4B in data/r4, data/r4b (scripts/build_version_definitions.py); `fhir_version("4.0")`
selects them for a block.

Everything is loaded lazily on first use and cached for the life of the process.

structure.json.gz: {"types": {name: {kind, type, abstract, base, elements: [row...]}}, "regexes": {primitive: regex}}
    row = [path, min, max, [[typeCode, [targetProfile...], [profile...]]...], requiredValueSet|None,
           [[key, severity, expression, human]...], contentReference|None]
valuesets.json.gz: {valueSetUrl: {system: [code...]}} (only complete expansions of required value sets)
profiles.json.gz: {profileId: {type, elements: [[[jsonKey...], min, max, "fixed"|"pattern"|None, value]...]}}
    what the core package's resource profiles change, outside slices other than type slices
extensions.json.gz: {extensionUrl: [[contextType, expression]...]} (the extensions pack)
displays.json.gz: {system: {code: [display...]}} (LOINC codes the expansions list, English names)
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache, wraps
from importlib import resources

DATA = resources.files(__package__) / "data"

# R4/R4B definitions (scripts/build_version_definitions.py) sit in subfolders with R5's layout.
FOLDERS = {"5.0": "", "4.3": "r4b/", "4.0": "r4/"}
# A context variable, so that threads and requests answering in different versions do not mix.
_VERSION: ContextVar[str] = ContextVar("fhir_definitions_version", default="5.0")


def current_version() -> str:
    return _VERSION.get()


@contextmanager
def fhir_version(version: str) -> Iterator[None]:
    """The definitions of `version` ("4.0", "4.3", "5.0") answer within the block."""
    if version not in FOLDERS:
        raise ValueError(f"no definitions for FHIR {version}")
    token = _VERSION.set(version)
    try:
        yield
    finally:
        _VERSION.reset(token)


def per_version(fn: Callable) -> Callable:
    """`functools.cache`, keyed on the current version too."""
    cached = cache(lambda version, *args: fn(*args))

    @wraps(fn)
    def wrapper(*args):
        return cached(_VERSION.get(), *args)

    wrapper.cache_clear = cached.cache_clear
    return wrapper


@cache
def _load_version(version: str, name: str) -> dict:
    with (DATA / (FOLDERS[version] + name)).open("rb") as fh:
        return json.loads(gzip.decompress(fh.read()))


def _load(name: str) -> dict:
    return _load_version(_VERSION.get(), name)


def _structure() -> dict:
    return _load("structure.json.gz")


def _valuesets() -> dict:
    return _load("valuesets.json.gz")


PROFILE_PREFIX = "http://hl7.org/fhir/StructureDefinition/"


@cache
def _optional_version(version: str, name: str) -> dict | None:
    if not (DATA / (FOLDERS[version] + name)).exists():
        return None
    return _load_version(version, name)


def _optional(name: str) -> dict | None:
    """Data only some versions ship (the R5 packages' profiles, extensions and displays): None elsewhere."""
    return _optional_version(_VERSION.get(), name)


def _extensions() -> dict:
    """The extensions pack's definitions by URL, with their contexts (empty where not shipped)."""
    return _optional("extensions.json.gz") or {}


def is_known_extension(url: str) -> bool:
    """Whether HL7 defines this extension for everyone (a |version suffix is ignored); without a list
    for the current version, every extension is."""
    known = _optional("extensions.json.gz")
    return known is None or url.split("|")[0] in known


def known_displays(system: str, code: str) -> list[str] | None:
    """The displays a code may carry, or None where this code is not known here."""
    return (_optional("displays.json.gz") or {}).get(system, {}).get(code)


def core_profile(url: str) -> dict | None:
    """A resource profile of the core package by canonical URL (a |version suffix is ignored)."""
    url = url.split("|")[0]
    if not url.startswith(PROFILE_PREFIX):
        return None
    return (_optional("profiles.json.gz") or {}).get(url[len(PROFILE_PREFIX) :])


@dataclass(frozen=True)
class TypeRef:
    code: str
    target_profiles: tuple[str, ...]  # short names: "Patient", "Group" (empty = any)
    profiles: tuple[str, ...]  # e.g. ("SimpleQuantity",)


@dataclass(frozen=True)
class Constraint:
    key: str
    severity: str
    expression: str
    human: str


@dataclass
class ElementDef:
    owner: str  # the StructureDefinition the element belongs to ("Patient", "Range")
    path: str  # definition path, "Patient.contact.name"
    name: str  # last path segment, without [x]
    min: int
    max: int | None  # None = unbounded
    types: tuple[TypeRef, ...]
    required_valueset: str | None
    constraints: tuple[Constraint, ...]
    content_reference: str | None
    is_choice: bool = False
    # JSON key → type code, e.g. {"valueQuantity": "Quantity"}; for plain elements {name: code}
    json_keys: dict[str, str] = field(default_factory=dict)


@dataclass
class TypeDef:
    name: str
    kind: str  # primitive-type | complex-type | resource
    abstract: bool
    base: str | None
    elements: dict[str, ElementDef]  # by definition path
    children: dict[str, dict[str, ElementDef]]  # parent path → JSON key → element

    @property
    def root(self) -> ElementDef:
        return self.elements[self.name if self.name in self.elements else next(iter(self.elements))]


def _json_keys(name: str, types: tuple[TypeRef, ...], is_choice: bool) -> dict[str, str]:
    if not is_choice:
        return {name: types[0].code if types else "BackboneElement"}
    return {name + t.code[0].upper() + t.code[1:]: t.code for t in types}


def _element(owner: str, row: list) -> ElementDef:
    path, min_, max_, types, required, constraints, content_ref = row
    last = path.rsplit(".", 1)[-1]
    is_choice = last.endswith("[x]")
    name = last[:-3] if is_choice else last
    type_refs = tuple(TypeRef(code, tuple(targets), tuple(profiles)) for code, targets, profiles in types)
    return ElementDef(
        owner=owner,
        path=path,
        name=name,
        min=min_,
        max=None if max_ == "*" else int(max_),
        types=type_refs,
        required_valueset=required,
        constraints=tuple(Constraint(*c) for c in constraints),
        content_reference=content_ref,
        is_choice=is_choice,
        json_keys=_json_keys(name, type_refs, is_choice),
    )


@per_version
def type_def(name: str) -> TypeDef | None:
    raw = _structure()["types"].get(name)
    if raw is None:
        return None
    elements = {row[0]: _element(name, row) for row in raw["elements"]}
    children: dict[str, dict[str, ElementDef]] = {}
    for path, element in elements.items():
        if "." not in path:
            continue
        parent = path.rsplit(".", 1)[0]
        keys = children.setdefault(parent, {})
        for key in element.json_keys:
            keys[key] = element
    return TypeDef(name, raw["kind"], raw["abstract"], raw["base"], elements, children)


@per_version
def type_names() -> frozenset[str]:
    return frozenset(_structure()["types"])


@per_version
def primitive_types() -> frozenset[str]:
    return frozenset(n for n, t in _structure()["types"].items() if t["kind"] == "primitive-type")


@per_version
def resource_types() -> frozenset[str]:
    """Concrete resource types (what a resourceType may say)."""
    return frozenset(
        n
        for n, t in _structure()["types"].items()
        if t["kind"] == "resource" and not t["abstract"] and n == t["type"]
    )


@per_version
def is_subtype(name: str, ancestor: str) -> bool:
    """Patient is a DomainResource is a Resource; used for Reference(Resource) targets."""
    while name:
        if name == ancestor:
            return True
        raw = _structure()["types"].get(name)
        name = raw["base"] if raw else None
    return False


@per_version
def primitive_regex(name: str) -> re.Pattern | None:
    pattern = _structure()["regexes"].get(name)
    return re.compile(pattern) if pattern else None


def value_set(url: str) -> dict[str, frozenset[str]] | None:
    """Codes per system of a required value set, or None when it cannot be expanded here."""
    return _value_set(url.split("|")[0])


@per_version
def _value_set(url: str) -> dict[str, frozenset[str]] | None:
    raw = _valuesets().get(url)
    return None if raw is None else {system: frozenset(codes) for system, codes in raw.items()}


def value_set_codes(url: str) -> frozenset[str] | None:
    """All codes of a value set regardless of system (for `code` elements, which carry no system)."""
    return _value_set_codes(url.split("|")[0])


@per_version
def _value_set_codes(url: str) -> frozenset[str] | None:
    vs = _value_set(url)
    return None if vs is None else frozenset().union(*vs.values())
