"""The generic walk behind every map: R5 → view and back, driven by the definitions of both versions.

Each element of the R5 resource is placed where the view version's definitions have a home for it:
the same path (or the path a map's `moves` table names), a compatible type, a fitting cardinality,
a code inside the view's required value set, a reference to a type the view element allows. Whatever
does not fit travels as an HL7 cross-version extension
(`http://hl7.org/fhir/5.0/StructureDefinition/extension-<R5 path>`) on the nearest view node: the
value[x] of the R5 type when the view version has that type, else a complex extension with one
sub-extension per child (url = the child's name), as the cross-version extension rules do.
The way back reads the R5 definitions to restore list-ness, choice keys and nesting, so that
`back(forth(r)) == r` exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fhir_service import definitions
from fhir_service.definitions import ElementDef, TypeDef

XV = "http://hl7.org/fhir/5.0/StructureDefinition/extension-"
R5 = "5.0"
# Keys every resource/element carries that are copied as they are (extension lists are merged).
PLAIN = ("id", "implicitRules", "language")
# Primitive types an R5 value may take in the view when the view's type differs.
PRIMITIVE_FITS = {
    ("markdown", "string"),
    ("code", "string"),
    ("id", "string"),
    ("canonical", "uri"),
    ("url", "uri"),
    ("uuid", "uri"),
    ("oid", "uri"),
    ("positiveInt", "integer"),
    ("unsignedInt", "integer"),
}


# Answers of the definitions per (question, version, argument), kept here: selecting a version
# for each question would cost more than the walk itself.
_MEMO: dict[tuple, object] = {}


def _ask(question: Callable, version: str, *args):
    key = (question, version, *args)
    try:
        return _MEMO[key]
    except KeyError:
        with definitions.fhir_version(version):
            answer = _MEMO[key] = question(*args)
        return answer


def _def(version: str, name: str) -> TypeDef | None:
    return _ask(definitions.type_def, version, name)


def _is_primitive(version: str, code: str) -> bool:
    return code in _ask(definitions.primitive_types, version)


def _codes(version: str, url: str) -> frozenset[str] | None:
    return _ask(definitions.value_set_codes, version, url)


def _resource_types(version: str) -> frozenset[str]:
    return _ask(definitions.resource_types, version)


def _is_subtype(version: str, name: str, ancestor: str) -> bool:
    return _ask(definitions.is_subtype, version, name, ancestor)


def _same(value, version: str, owner: str, path: str):
    """A copy of a datatype value the same in R5 and `version` (every key it uses, all the way
    down, is), else None: the walk's fast path."""
    if not isinstance(value, dict):
        return None
    rules = _rules(version, owner, path)
    out = {}
    for key, item in value.items():
        rule = rules.get(key)
        if rule is None:
            return None
        if rule is True:
            out[key] = list(item) if isinstance(item, list) else item
            continue
        if isinstance(item, list):
            copied = [_same(i, version, *rule) for i in item]
            if any(c is None for c in copied):
                return None
            out[key] = copied
        else:
            copied = _same(item, version, *rule)
            if copied is None:
                return None
            out[key] = copied
    return out


def _plain_reference(item, code: str) -> dict | None:
    """A copy of a Reference holding only a reference string and/or display (the same in every
    version but for the type it names), else None."""
    if code != "Reference" or not isinstance(item, dict) or not item.keys() <= {"reference", "display"}:
        return None
    if not all(isinstance(v, str) for v in item.values()):
        return None
    return dict(item)


_RULES: dict[tuple, dict] = {}


def _rules(version: str, owner: str, path: str) -> dict:
    """JSON key → True (a primitive copied as it is) or (owner, path) of a complex child checked
    the same way, for the keys below `path` of the datatype `owner` that R5 and `version` define
    alike: same element, type, list-ness, no narrower required value set. References are renamed
    and extensions may hold R5-only types, so neither is ever copied."""
    key = (version, owner, path)
    if key in _RULES:
        return _RULES[key]
    rules: dict = {}
    _RULES[key] = rules
    td5, tdv = _def(R5, owner), _def(version, owner)
    if (
        td5 is None
        or tdv is None
        or owner in ("Reference", "Extension", "Resource")
        or td5.kind != "complex-type"
    ):
        return rules
    childrenv = tdv.children.get(path, {})
    for json_key, el5 in td5.children.get(path, {}).items():
        elv = childrenv.get(json_key)
        if elv is None or json_key in ("extension", "modifierExtension"):
            continue
        code = el5.json_keys[json_key]
        if code != elv.json_keys[json_key] or _many(el5) != _many(elv):
            continue
        if elv.required_valueset:
            narrow = _codes(version, elv.required_valueset)
            wide = _codes(R5, el5.required_valueset) if el5.required_valueset else None
            if narrow is not None and (wide is None or not wide <= narrow):
                continue
        if _is_primitive(R5, code):
            rules[json_key] = True
        elif el5.path in td5.children:  # a backbone inside the datatype (Timing.repeat)
            rules[json_key] = (owner, el5.path)
        elif code not in ("Reference", "Extension", "Resource"):
            rules[json_key] = (code, code)
    return rules


def _by_name(td: TypeDef, parent: str, name: str) -> ElementDef | None:
    return td.elements.get(f"{parent}.{name}") or td.elements.get(f"{parent}.{name}[x]")


def _many(element: ElementDef) -> bool:
    return element.max is None or element.max > 1


def _bare(path: str) -> str:
    return path.replace("[x]", "")


@dataclass
class Converter:
    """A change of datatype between versions: forth(value) → view value or None (no fit); back inverts."""

    forth: Callable[[object], object | None]
    back: Callable[[object], object]


def _concept_only(value):
    return value["concept"] if isinstance(value, dict) and set(value) == {"concept"} else None


def _reference_only(value):
    return value["reference"] if isinstance(value, dict) and set(value) == {"reference"} else None


# (R5 type, view type) → converter, tried when the view element lacks the R5 type.
CONVERTERS: dict[tuple[str, str], Converter] = {
    ("CodeableReference", "CodeableConcept"): Converter(_concept_only, lambda v: {"concept": v}),
    ("CodeableReference", "Reference"): Converter(_reference_only, lambda v: {"reference": v}),
}


@dataclass
class Map:
    """One resource pair. `moves`: R5 definition path → view definition path (a prefix moves its
    children with it; mapping an element onto its parent's path flattens it, for 0..1 elements or
    lists of one). `values`: R5 path → (view path, name of a value converter) for elements whose
    value changes form. `implied`: root R5 elements the view type itself says (not written).
    `placeholders`: view path → value filling a view element the view requires and R5 may lack.
    `after(converted, source, forth)`: what a table cannot say, run after either direction's walk."""

    r5_type: str
    view_type: str
    moves: dict[str, str] = field(default_factory=dict)
    values: dict[str, tuple[str, str]] = field(default_factory=dict)
    implied: dict[str, object] = field(default_factory=dict)
    placeholders: dict[str, object] = field(default_factory=dict)
    after: Callable[[dict, dict, bool], None] | None = None
    # where each R5 element goes, learnt on first use (the walk's static half)
    routes: dict = field(default_factory=dict, repr=False, compare=False)


# Value converters a map may name in `values`: name → (forth, back); forth gives None when no fit.
VALUE_CONVERTERS: dict[str, tuple[Callable, Callable]] = {
    "membership-actual": (
        lambda v: {"enumerated": True, "definitional": False}.get(v),
        lambda v: "enumerated" if v else "definitional",
    ),
}


class Walk:
    """One direction of one conversion: the versions, the map, and how references are renamed."""

    def __init__(self, version: str, m: Map, rename: Callable[[str, bool], str | None], maps_for):
        self.version = version
        self.map = m
        self.rename = rename  # (reference type, forth?) → type in the other version, None = no home
        self.maps_for = maps_for  # (resource dict, forth?) → (Map, convert fn) for nested resources
        self.inverse = [(v, k) for k, v in m.moves.items()]  # several R5 paths may flatten into one
        self.value_paths = {v[0]: (k, v[1]) for k, v in m.values.items()}

    # ---- paths --------------------------------------------------------------------------------
    def view_path(self, r5_path: str) -> str:
        m = self.map
        if r5_path in m.values:
            return m.values[r5_path][0]
        best = max((p for p in m.moves if r5_path == p or r5_path.startswith(p + ".")), key=len, default=None)
        if best is not None:
            return m.moves[best] + r5_path[len(best) :]
        if r5_path == m.r5_type or r5_path.startswith(m.r5_type + "."):
            return m.view_type + r5_path[len(m.r5_type) :]
        return r5_path  # inside a datatype: the same path

    def r5_path(self, view_path: str, td5: TypeDef, anchor: str) -> str | None:
        """The R5 path a view path holds below the R5 node `anchor`, if R5 defines it: a move's
        first (the nearest to the anchor, as a flattened element sits below its home), else the same path."""
        if view_path in self.value_paths:
            return self.value_paths[view_path][0]
        moved = [
            m5 + view_path[len(mv) :]
            for mv, m5 in self.inverse
            if view_path == mv or view_path.startswith(mv + ".")
        ]
        m = self.map
        same = (
            m.r5_type + view_path[len(m.view_type) :] if view_path.split(".")[0] == m.view_type else view_path
        )
        for candidates in (moved, [same]):  # a move outranks the same path
            found = [
                p
                for p in candidates
                if p.startswith(anchor + ".") and (p in td5.elements or p + "[x]" in td5.elements)
            ]
            if found:
                return min(found, key=lambda p: p.count("."))
        return None

    # ---- forth --------------------------------------------------------------------------------
    def forth_node(
        self, node: dict, td5: TypeDef, p5: str, tdv: TypeDef, pv: str, out: dict, anchor=None
    ) -> None:
        """Place the children of the R5 object `node` (at R5 path p5) into the view object `out`
        (at view path pv, which the way back reads as R5 path `anchor`: p5, or the element p5 was
        flattened into); what has no home becomes extensions on `out`."""
        anchor = anchor or p5
        extensions = []
        for key, value in node.items():
            if key.startswith("_") or key == "resourceType":
                continue
            if key in PLAIN or key in ("extension", "modifierExtension"):
                _merge(out, key, value)
                if "_" + key in node:
                    out["_" + key] = node["_" + key]
                continue
            element = td5.children.get(p5, {}).get(key)
            if element is None:
                continue  # not R5: the stored resource was validated, so nothing to do
            if p5 == self.map.r5_type and key in self.map.implied and self.map.implied[key] == value:
                continue
            code = element.json_keys[key]
            if not self.place(key, value, node.get("_" + key), element, code, td5, tdv, pv, out, anchor):
                extensions.extend(self.encode(value, node.get("_" + key), element, code, td5))
        if extensions:
            out.setdefault("extension", []).extend(extensions)

    def place(self, key, value, under, element, code, td5, tdv, pv, out, anchor) -> bool:
        """Put one R5 element natively into `out` (or the object it flattens into); False if no fit."""
        route = self._route(element, td5, tdv, pv, anchor)
        if route is None:
            return False
        kind, parent, target = route
        if kind == "value":
            forth, _ = VALUE_CONVERTERS[self.map.values[element.path][1]]
            converted = forth(value)
            if converted is None:
                return False
            holder = self._holder(out, pv, parent, tdv)
            if holder is None or target in holder:
                return False
            holder[target] = converted
            return True
        if kind == "flatten":  # the element maps onto the node itself: its children join it
            return self._flatten(value, element, td5, tdv, pv, out, anchor)
        view_el = target
        holder = self._holder(out, pv, parent, tdv)
        if holder is None:
            return False
        items = value if isinstance(value, list) else [value]
        unders = under if isinstance(under, list) else [under] * len(items)
        if not _many(view_el) and len(items) != 1:
            return False
        done = []
        view_code = None
        for item, item_under in zip(items, unders, strict=False):
            got = self.forth_value(item, item_under, element, code, td5, view_el)
            if got is None:
                return False
            view_code, converted, converted_under = got
            done.append((converted, converted_under))
        view_key = view_el.name + (view_code[0].upper() + view_code[1:] if view_el.is_choice else "")
        if view_key in holder:
            return False
        values = [d[0] for d in done]
        holder[view_key] = values if _many(view_el) else values[0]
        if any(d[1] is not None for d in done):
            holder["_" + view_key] = [d[1] for d in done] if _many(view_el) else done[0][1]
        return True

    def _route(self, element: ElementDef, td5: TypeDef, tdv: TypeDef, pv: str, anchor: str):
        """Where an R5 element goes below the view node pv, whatever its value: ("value", parent,
        name), ("flatten", pv, None), ("native", parent, view element) or None (an extension)."""
        key = (self.version, element.path, pv, anchor)
        routes = self.map.routes
        if key not in routes:
            routes[key] = self._find_route(element, td5, tdv, pv, anchor)
        return routes[key]

    def _find_route(self, element: ElementDef, td5: TypeDef, tdv: TypeDef, pv: str, anchor: str):
        target_path = self.view_path(element.path)
        parent, _, name = target_path.rpartition(".")
        if element.path in self.map.values:
            return "value", parent, name
        if target_path == pv:
            return "flatten", pv, None
        view_el = _by_name(tdv, parent, _bare(name))
        if view_el is None or parent != pv and not parent.startswith(pv + "."):
            return None
        if self.r5_path(_bare(view_el.path), td5, anchor) != _bare(element.path):
            return None  # the way back would not find it here
        return "native", parent, view_el

    def _flatten(self, value, element, td5, tdv, pv, out, anchor) -> bool:
        items = value if isinstance(value, list) else [value]
        if len(items) != 1 or not isinstance(items[0], dict):
            return False
        if not items[0].keys().isdisjoint(("id", "extension", "modifierExtension")):
            return False  # the node's own id and extensions would land on its parent's
        trial: dict = {}
        self.forth_node(items[0], td5, element.path, tdv, pv, trial, anchor)
        if any(k in out for k in trial if k != "extension"):
            return False
        for k, v in trial.items():
            _merge(out, k, v)
        return True

    def _holder(self, out: dict, pv: str, parent: str, tdv: TypeDef) -> dict | None:
        """The view object at `parent` below `out` (at `pv`), created (single) along the way."""
        if parent == pv:
            return out
        holder = out
        steps = parent[len(pv) + 1 :].split(".")
        path = pv
        for step in steps:
            path = f"{path}.{step}"
            el = tdv.elements.get(path)
            if el is None:
                return None
            child = holder.get(step)
            if child is None:
                child = {}
                holder[step] = [child] if _many(el) else child
            elif isinstance(child, list):
                if len(child) != 1:
                    return None
                child = child[0]
            holder = child
        return holder

    def forth_value(self, item, under, element: ElementDef, code: str, td5: TypeDef, view_el: ElementDef):
        """(view type code, view value, view `_` value) of one R5 item, or None if it has no home."""
        view_codes = [t.code for t in view_el.types]
        if _is_primitive(R5, code):
            match = (
                code
                if code in view_codes
                else next((v for v in view_codes if (code, v) in PRIMITIVE_FITS), None)
            )
            if match is None:
                return None
            if view_el.required_valueset and isinstance(item, str):
                codes = _codes(self.version, view_el.required_valueset)
                if codes is not None and item not in codes:
                    return None
            if under is not None:
                converted_under = {}
                self.forth_node(
                    under,
                    _def(R5, "Element"),
                    "Element",
                    _def(self.version, "Element"),
                    "Element",
                    converted_under,
                )
                return match, item, converted_under
            return match, item, None
        if code not in view_codes:
            for v in view_codes:
                conv = CONVERTERS.get((code, v))
                if conv is not None:
                    inner = conv.forth(item)
                    if inner is None:
                        return None
                    got = self.forth_value(inner, None, element, v, td5, _retyped(view_el, v))
                    return None if got is None else (v, got[1], None)
            return None
        if code == "Resource":
            return code, self.maps_for(item, True), None
        if element.path in td5.children and code in ("BackboneElement", "Element"):
            out: dict = {}
            tdv = _view_td(self, view_el)
            self.forth_node(item, td5, element.path, tdv, view_el.path, out)
            if not _complete(out, tdv, view_el.path, self):
                return None
            fill_placeholders(out, tdv, view_el.path, self)
            return code, out, None
        same = _same(item, self.version, code, code)
        if same is not None:
            return code, same, None
        dt5, dtv = _def(R5, code), _def(self.version, code)
        if dt5 is None or dtv is None:
            return None
        if code == "Reference" and not self._reference_fits(item, view_el):
            return None
        plain = _plain_reference(item, code)
        if plain is not None:
            if isinstance(plain.get("reference"), str):
                plain["reference"] = self.rename_reference(plain["reference"], True)
            return code, plain, None
        out = {}
        self.forth_node(item, dt5, code, dtv, code, out)
        if code == "Reference" and isinstance(out.get("reference"), str):
            out["reference"] = self.rename_reference(out["reference"], True)
        return code, out, None

    def _reference_fits(self, item: dict, view_el: ElementDef) -> bool:
        ref = item.get("reference")
        if not isinstance(ref, str):
            return True
        rtype = _reference_type(ref)
        if rtype is None:
            return True
        view_type = self.rename(rtype, True, ref)
        if view_type is None:
            return False
        targets = next((t.target_profiles for t in view_el.types if t.code == "Reference"), ())
        return not targets or any(_is_subtype(self.version, view_type, t) for t in targets)

    def rename_reference(self, ref: str, forth: bool) -> str:
        rtype = _reference_type(ref)
        if rtype is None:
            return ref
        renamed = self.rename(rtype, forth, ref)
        return ref if renamed is None or renamed == rtype else _retype_reference(ref, rtype, renamed)

    def encode(self, value, under, element: ElementDef, code: str, td5: TypeDef) -> list[dict]:
        """Cross-version extensions carrying an R5 element (one per list item)."""
        url = XV + _bare(element.path)
        items = value if isinstance(value, list) else [value]
        unders = under if isinstance(under, list) else [under] * len(items)
        return [
            self._extension(url, item, u, element, code, td5) for item, u in zip(items, unders, strict=False)
        ]

    def _extension(self, url, item, under, element: ElementDef, code: str, td5: TypeDef) -> dict:
        if under is not None and not _is_primitive(R5, code):
            under = None
        dtv = _def(self.version, code)
        representable = (_is_primitive(R5, code) and _is_primitive(self.version, code)) or (
            dtv is not None
            and code not in ("BackboneElement", "Element")
            and dtv.kind == "complex-type"
            and element.path not in td5.children
        )
        if representable:
            value_key = "value" + code[0].upper() + code[1:]
            if _is_primitive(R5, code):
                ext = {"url": url, value_key: item}
                if under is not None:
                    ext["_" + value_key] = under
                return ext
            if code == "Reference" and isinstance(item.get("reference"), str):
                item = {**item, "reference": self.rename_reference(item["reference"], True)}
            out = _same(item, self.version, code, code) or _plain_reference(item, code)
            if out is None:
                out = {}
                self.forth_node(item, _def(R5, code), code, dtv, code, out)
            return {"url": url, value_key: out}
        # complex: one sub-extension per child, by child name
        inner_td, inner_path = (td5, element.path) if element.path in td5.children else (_def(R5, code), code)
        children = []
        ext: dict = {"url": url}
        for key, child in item.items():
            if key.startswith("_"):
                continue
            if key == "id":
                ext["id"] = child
                continue
            if key in ("extension", "modifierExtension"):
                children.extend(child)
                continue
            child_el = inner_td.children.get(inner_path, {}).get(key)
            if child_el is None:
                continue
            child_code = child_el.json_keys[key]
            for sub in self.encode(child, item.get("_" + key), child_el, child_code, inner_td):
                sub["url"] = child_el.name
                children.append(sub)
        ext["extension"] = children
        return ext

    # ---- back ---------------------------------------------------------------------------------
    def back_node(self, node: dict, td5: TypeDef, p5: str, tdv: TypeDef, pv: str, out: dict) -> None:
        """Rebuild the R5 object at p5 (into `out`) from the view object `node` at view path pv."""
        for key, value in node.items():
            if key.startswith("_") or key == "resourceType":
                continue
            if key in PLAIN or key == "modifierExtension":
                out[key] = value
                if "_" + key in node:
                    out["_" + key] = node["_" + key]
                continue
            if key == "extension":
                for ext in value:
                    if isinstance(ext, dict) and str(ext.get("url", "")).startswith(XV):
                        self.decode_into(ext, td5, p5, out)
                    else:
                        out.setdefault("extension", []).append(ext)
                continue
            view_el = tdv.children.get(pv, {}).get(key)
            if view_el is None:
                continue
            view_code = view_el.json_keys[key]
            full5 = self.r5_path(_bare(view_el.path), td5, p5)
            if full5 is None:
                continue
            if full5 in self.map.values:
                _, back = VALUE_CONVERTERS[self.map.values[full5][1]]
                self._put(out, td5, p5, full5, None, back(value), None)
                continue
            element = _by_name(td5, full5.rpartition(".")[0], full5.rpartition(".")[2])
            if element is None:
                continue
            if (pv, key) in self._placeholder_keys() and value == self.map.placeholders[f"{pv}.{key}"]:
                continue
            items = value if isinstance(value, list) else [value]
            under = node.get("_" + key)
            unders = under if isinstance(under, list) else [under] * len(items)
            r5_code = None
            back_items, back_unders = [], []
            for item, item_under in zip(items, unders, strict=False):
                r5_code, got, got_under = self.back_value(item, item_under, element, view_code, td5, view_el)
                back_items.append(got)
                back_unders.append(got_under)
            self._put(out, td5, p5, full5, r5_code, back_items, back_unders, element)

    def _placeholder_keys(self) -> set:
        return {tuple(p.rsplit(".", 1)) for p in self.map.placeholders}

    def _put(self, out, td5, p5, full5, r5_code, items, unders, element=None) -> None:
        """Set the R5 element at full5 (below p5) on `out`, creating flattened parents on the way."""
        holder = out
        parent = full5.rpartition(".")[0]
        if parent != p5:
            path = p5
            for step in parent[len(p5) + 1 :].split("."):
                path = f"{path}.{step}"
                el = td5.elements[path]
                child = holder.get(step)
                if child is None:
                    child = {}
                    holder[step] = [child] if _many(el) else child
                elif isinstance(child, list):
                    child = child[-1]
                holder = child
        if element is None:
            element = _by_name(td5, parent, full5.rpartition(".")[2])
            holder[element.name] = items
            return
        key = element.name + (r5_code[0].upper() + r5_code[1:] if element.is_choice else "")
        if _many(element):
            holder.setdefault(key, []).extend(items)
            if any(u is not None for u in unders):
                holder["_" + key] = unders
        else:
            holder[key] = items[0]
            if unders[0] is not None:
                holder["_" + key] = unders[0]

    def back_value(self, item, under, element: ElementDef, view_code: str, td5: TypeDef, view_el: ElementDef):
        r5_codes = [t.code for t in element.types]
        if view_code in r5_codes:
            code = view_code
        elif _is_primitive(self.version, view_code):
            code = next(c for c in r5_codes if (c, view_code) in PRIMITIVE_FITS)
        else:
            for c in r5_codes:
                conv = CONVERTERS.get((c, view_code))
                if conv is not None:
                    return c, conv.back(self.back_datatype(item, view_code)), None
            code = view_code
        if _is_primitive(R5, code):
            back_under = None
            if under is not None:
                back_under = {}
                self.back_node(
                    under,
                    _def(R5, "Element"),
                    "Element",
                    _def(self.version, "Element"),
                    "Element",
                    back_under,
                )
            return code, item, back_under
        if code == "Resource":
            return code, self.maps_for(item, False), None
        if element.path in td5.children:
            out: dict = {}
            self.back_node(item, td5, element.path, _view_td(self, view_el), view_el.path, out)
            return code, out, None
        return code, self.back_datatype(item, code), None

    def back_datatype(self, item: dict, code: str) -> dict:
        same = _same(item, self.version, code, code)
        if same is not None:
            return same
        plain = _plain_reference(item, code)
        if plain is not None:
            if isinstance(plain.get("reference"), str):
                plain["reference"] = self.rename_reference(plain["reference"], False)
            return plain
        out: dict = {}
        self.back_node(item, _def(R5, code), code, _def(self.version, code), code, out)
        if code == "Reference" and isinstance(out.get("reference"), str):
            out["reference"] = self.rename_reference(out["reference"], False)
        return out

    def decode_into(self, ext: dict, td5: TypeDef, p5: str, out: dict) -> None:
        path = ext["url"][len(XV) :]
        if not path.startswith(p5 + "."):
            out.setdefault("extension", []).append(ext)  # not ours to place here
            return
        full5 = path
        parent, _, name = full5.rpartition(".")
        element = _by_name(td5, parent, name)
        if element is None:
            out.setdefault("extension", []).append(ext)
            return
        code, value, under = self.decode(ext, element, td5)
        self._put(out, td5, p5, element.path.replace("[x]", ""), code, [value], [under], element)

    def decode(self, ext: dict, element: ElementDef, td5: TypeDef):
        value_key = next((k for k in ext if k.startswith("value")), None)
        if value_key is not None:
            code = value_key[5:]
            code = next(
                (t.code for t in element.types if t.code.lower() == code.lower()), code[0].lower() + code[1:]
            )
            item = ext[value_key]
            if _is_primitive(R5, code):
                return code, item, ext.get("_" + value_key)
            return code, self.back_datatype(item, code), None
        code = element.types[0].code if element.types else "BackboneElement"
        inner_td, inner_path = (td5, element.path) if element.path in td5.children else (_def(R5, code), code)
        out = {}
        if "id" in ext:
            out["id"] = ext["id"]
        for sub in ext.get("extension", []):
            url = sub.get("url", "")
            if "/" in url:
                out.setdefault("extension", []).append(sub)
                continue
            child_el = _by_name(inner_td, inner_path, url)
            child_code, child, child_under = self.decode(sub, child_el, inner_td)
            key = child_el.name + (child_code[0].upper() + child_code[1:] if child_el.is_choice else "")
            if _many(child_el):
                out.setdefault(key, []).append(child)
            else:
                out[key] = child
                if child_under is not None:
                    out["_" + key] = child_under
        return code, out, None


def _complete(out: dict, tdv: TypeDef, path: str, walk: Walk) -> bool:
    """Does the view object carry every element its definition requires (after placeholders)?"""
    for element in tdv.children.get(path, {}).values():
        if element.min > 0 and not any(k in out for k in element.json_keys):
            placeholder = walk.map.placeholders.get(element.path.replace("[x]", ""))
            if placeholder is None:
                return False
    return True


def fill_placeholders(out: dict, tdv: TypeDef, path: str, walk: Walk) -> None:
    for element in tdv.children.get(path, {}).values():
        bare = element.path.replace("[x]", "")
        if element.min > 0 and not any(k in out for k in element.json_keys) and bare in walk.map.placeholders:
            out[element.name] = walk.map.placeholders[bare]


def _view_td(walk: Walk, view_el: ElementDef) -> TypeDef:
    return _def(walk.version, view_el.owner)


def _retyped(element: ElementDef, code: str) -> ElementDef:
    from dataclasses import replace

    return replace(element, types=tuple(t for t in element.types if t.code == code) or element.types)


def _merge(out: dict, key: str, value) -> None:
    if key in ("extension", "modifierExtension"):
        out.setdefault(key, []).extend(value)
    else:
        out[key] = value


def _reference_type(ref: str) -> str | None:
    parts = ref.split("/")
    if ref.startswith("#") or ref.startswith("urn:") or len(parts) < 2:
        return None
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    return parts[-2]


def _retype_reference(ref: str, old: str, new: str) -> str:
    parts = ref.split("/")
    index = len(parts) - 2
    if len(parts) >= 4 and parts[-2] == "_history":
        index = len(parts) - 4
    assert parts[index] == old
    parts[index] = new
    return "/".join(parts)
