"""Invariants implemented in Python instead of fhirpathpy, each for one of three reasons:

1. fhirpathpy cannot run them:
   - htmlChecks(): txt-1, txt-2 (narrative.py: XHTML allowlist, no scripts, some content);
   - lowBoundary()/highBoundary()/comparable() on dates and quantities: per-1, rng-2, ratrng-2;
   - resolve() to a *different* resource's content where the Bundle/store has it: apd-1;
   - unparseable or unrunnable expressions: eld-11 (double-quoted string), sdf-26 (top-level $this).
2. fhirpathpy is pathologically slow on them (quadratic, descendants(), repeat(), JSON-hashing
   isDistinct()): que-2, qrs-2, obs-7, sdf-1, sdf-8, sdf-8a, sdf-9, sdf-16, sdf-17, sdf-19,
   sdf-23, sdf-24, sdf-25, bdl-7, bdl-11, bdl-12, bdl-13, eld-2, eld-3, eld-13, eld-14,
   eld-25, eld-27, eld-28.
3. they sit on datatypes or resource roots met in nearly every resource, where even a fast
   path is not needed: ref-1, ref-2, qty-3, sqty-1, rat-1, cod-1, att-1, cpt-2, ident-1,
   dom-2…dom-6, dos-1, tim-1…tim-10.

Other expressions needing resolve() (ctm-1, enc-2, prov-1…3, docRef-1/2, dgr-1, prc-1, obs-9),
memberOf() (opd-3, exs-1) or hasValue() still run in fhirpathpy, with those functions supplied by
fhir_service.fhirpath. ele-1 and ext-1 are checked by the structure walk on every element.

A rule takes (node, ctx) and returns None when satisfied, else a message naming the offending value.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from fhir_service import jsontext
from fhir_service.narrative import xhtml_problems

UCUM = "http://unitsofmeasure.org"


def _present(node: dict, name: str) -> bool:
    return name in node or f"_{name}" in node


def _narrative(code: str):
    def rule(div, ctx):
        problems = [msg for key, msg in xhtml_problems(div) if key == code]
        return "; ".join(problems) or None

    return rule


def _ref_1(node, ctx):
    ref = node.get("reference")
    if not isinstance(ref, str) or not ref.startswith("#") or ref == "#":
        return None
    if ctx.resolver.find(ref, ctx.root) is None:
        return f"reference '{ref}' has no matching contained resource"
    return None


def _ref_2(node, ctx):
    if any(_present(node, k) for k in ("reference", "identifier", "display", "extension")):
        return None
    return "a Reference needs a reference, an identifier or a display"


def _qty_3(node, ctx):
    return None if "code" not in node or "system" in node else f"code '{node['code']}' without a system"


def _sqty_1(node, ctx):
    return None if "comparator" not in node else f"comparator '{node['comparator']}' on a SimpleQuantity"


def _rat_1(node, ctx):
    num, den = "numerator" in node, "denominator" in node
    if (num and den) or (not num and not den and "extension" in node):
        return None
    return "a Ratio needs both numerator and denominator (or neither, with an extension)"


def _cod_1(node, ctx):
    return "display without a code" if "display" in node and "code" not in node else None


def _att_1(node, ctx):
    return "data without a contentType" if "data" in node and "contentType" not in node else None


def _cpt_2(node, ctx):
    return "value without a system" if "value" in node and "system" not in node else None


def _ident_1(node, ctx):
    return None if _present(node, "value") else "an Identifier should have a value"


def _decimal(value) -> Decimal | None:
    try:
        return (
            Decimal(str(value))
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
            else None
        )
    except InvalidOperation:
        return None


def _quantity_order(low, high, what: str):
    """low ≤ high when both have a value and their units are comparable (same code or same unit)."""
    if not isinstance(low, dict) or not isinstance(high, dict):
        return None
    lo, hi = _decimal(low.get("value")), _decimal(high.get("value"))
    if lo is None or hi is None:
        return None
    if (low.get("code"), low.get("system")) != (high.get("code"), high.get("system")) and low.get(
        "unit"
    ) != high.get("unit"):
        return None  # not comparable without UCUM conversion: the official rule then passes too
    return None if lo <= hi else f"{what} low {lo} is greater than high {hi}"


def _rng_2(node, ctx):
    return _quantity_order(node.get("low"), node.get("high"), "Range")


def _ratrng_2(node, ctx):
    return _quantity_order(node.get("lowNumerator"), node.get("highNumerator"), "RatioRange")


def _boundary(value: str, high: bool) -> datetime | None:
    """lowBoundary()/highBoundary() of a FHIR date/dateTime/instant, as an aware datetime."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    try:
        year = int(value[0:4])
        month = int(value[5:7]) if len(value) >= 7 else (12 if high else 1)
        if len(value) >= 10:
            day = int(value[8:10])
        elif high:
            day = ((datetime(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)).day
        else:
            day = 1
        if len(value) <= 10:
            t = datetime(year, month, day, 23, 59, 59, 999999) if high else datetime(year, month, day)
            # no time zone: the boundary spans every zone (±14 h)
            return t.replace(tzinfo=timezone(timedelta(hours=-14 if high else 14)))
        text = value.replace("Z", "+00:00")
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone(timedelta(hours=-14 if high else 14)))
        return parsed
    except ValueError:
        return None


def _per_1(node, ctx):
    start, end = node.get("start"), node.get("end")
    lo, hi = _boundary(start, False), _boundary(end, True)
    if lo is None or hi is None or lo <= hi:
        return None
    return f"Period start {start} is after end {end}"


def _dom_2(node, ctx):
    bad = [c.get("id") for c in node.get("contained") or [] if isinstance(c, dict) and "contained" in c]
    return f"contained resource(s) {bad} contain resources themselves" if bad else None


def _strings(value, out: set) -> set:
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)
    return out


NARRATIVE_LOCAL_REF = re.compile(r"""(?:href|src)\s*=\s*["']#([^"']+)["']""")


def _dom_3(node, ctx):
    contained = [c for c in node.get("contained") or [] if isinstance(c, dict)]
    if not contained:
        return None
    # The official expression accepts any reference, canonical, uri or url anywhere in the resource;
    # any string equal to '#id' (or '#id|version') is the same test without the typing.
    refs = {s.split("|")[0] for s in _strings(node, set()) if s.startswith("#")}
    # as the reference validator does: an <img src="#id"> or <a href="#id"> in the narrative refers too
    div = (node.get("text") or {}).get("div") if isinstance(node.get("text"), dict) else None
    if isinstance(div, str):
        refs.update("#" + m for m in NARRATIVE_LOCAL_REF.findall(div))
    unreferenced = [
        c.get("id") for c in contained if f"#{c.get('id')}" not in refs and "#" not in _strings(c, set())
    ]
    return (
        f"contained resource(s) {unreferenced} are not referenced from the resource" if unreferenced else None
    )


def _dom_4(node, ctx):
    bad = [
        c.get("id")
        for c in node.get("contained") or []
        if isinstance(c, dict)
        and isinstance(c.get("meta"), dict)
        and ({"versionId", "lastUpdated"} & c["meta"].keys())
    ]
    return f"contained resource(s) {bad} have meta.versionId or meta.lastUpdated" if bad else None


def _dom_5(node, ctx):
    bad = [
        c.get("id")
        for c in node.get("contained") or []
        if isinstance(c, dict) and isinstance(c.get("meta"), dict) and "security" in c["meta"]
    ]
    return f"contained resource(s) {bad} have meta.security" if bad else None


def _dom_6(node, ctx):
    text = node.get("text")
    return None if isinstance(text, dict) and "div" in text else "a resource should have narrative text"


def _dos_1(node, ctx):
    if "asNeededFor" in node and node.get("asNeeded") is False:
        return "asNeededFor with asNeeded = false"
    return None


def _apd_1(node, ctx):
    for i, ref in enumerate(node.get("formOf") or []):
        target = ctx.resolver.find(ref.get("reference", ""), ctx.root) if isinstance(ref, dict) else None
        if isinstance(target, dict) and target.get("route"):
            return f"formOf[{i}] ({ref.get('reference')}) resolves to a product that has route; put routes on the APD only"
    return None


def _timing_repeat(node, ctx):
    """tim-1…tim-10 in one pass: Timing.repeat is in every Dosage."""
    checks = [
        ("tim-1", "duration" in node and "durationUnit" not in node, "duration without durationUnit"),
        ("tim-2", "period" in node and "periodUnit" not in node, "period without periodUnit"),
        ("tim-4", _negative(node.get("duration")), f"duration {node.get('duration')} is negative"),
        ("tim-5", _negative(node.get("period")), f"period {node.get('period')} is negative"),
        ("tim-6", "periodMax" in node and "period" not in node, "periodMax without period"),
        ("tim-7", "durationMax" in node and "duration" not in node, "durationMax without duration"),
        ("tim-8", "countMax" in node and "count" not in node, "countMax without count"),
        (
            "tim-9",
            "offset" in node
            and (not node.get("when") or any(w in ("C", "CM", "CD", "CV") for w in node["when"])),
            f"offset with when {node.get('when')}",
        ),
        ("tim-10", "timeOfDay" in node and "when" in node, "timeOfDay together with when"),
    ]
    return [(key, msg) for key, failed, msg in checks if failed]


def _negative(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool) and value < 0


def _timing(key):
    def rule(node, ctx):
        return next((msg for k, msg in _timing_repeat(node, ctx) if k == key), None)

    return rule


def _codeable_reference_rule(code: str, suffix: str, attribute: str):
    """sdf-24 / sdf-25: quadratic over the elements in fhirpathpy (seconds per profile), linear here."""

    def rule(node, ctx):
        elements = [e for e in node.get("element") or [] if isinstance(e, dict)]
        holders = {
            e.get("path")
            for e in elements
            if any(t.get("code") == "CodeableReference" for t in e.get("type") or [])
        }
        bad = [
            e.get("path")
            for e in elements
            if isinstance(e.get("path"), str)
            and e["path"].endswith(suffix)
            and e["path"][: -len(suffix)] in holders
            and any(
                t.get("code") == code and (attribute != "targetProfile" or t.get("targetProfile"))
                for t in e.get("type") or []
            )
            and (attribute == "targetProfile" or "binding" in e)
        ]
        return f"{attribute} given on {bad} instead of the CodeableReference" if bad else None

    return rule


def _eld_2(node, ctx):
    low, high = node.get("min"), node.get("max")
    if not isinstance(low, int) or not isinstance(high, str) or high == "*" or not high.isdigit():
        return None
    return None if low <= int(high) else f"min {low} is greater than max {high}"


def _distinct(values) -> bool:
    values = [v for v in values if v is not None]
    return len(values) == len({repr(v) for v in values})


def _eld_13(node, ctx):
    ok = _distinct(t.get("code") for t in node.get("type") or [] if isinstance(t, dict))
    return None if ok else "type codes are repeated"


def _eld_14(node, ctx):
    ok = _distinct(c.get("key") for c in node.get("constraint") or [] if isinstance(c, dict))
    return None if ok else "constraint keys are repeated"


def _eld_27(node, ctx):
    ok = _distinct(m.get("identity") for m in node.get("mapping") or [] if isinstance(m, dict))
    return None if ok else "mapping identities are repeated"


def _eld_3(node, ctx):
    return (
        None
        if not isinstance(node, str) or node == "*" or node.isdigit()
        else f"max '{node}' is not * or a number"
    )


def _eld_25(node, ctx):
    slicing = node.get("slicing")
    if "orderMeaning" in node or not isinstance(slicing, dict):
        return None
    bad = slicing.get("rules") == "openAtEnd" or slicing.get("ordered") is True
    return "ordered slicing without orderMeaning" if bad else None


def _eld_28(node, ctx):
    return (
        "mustHaveValue with valueAlternatives"
        if node.get("mustHaveValue") is True and node.get("valueAlternatives")
        else None
    )


def _link_ids(items, out: list) -> list:
    for item in items or []:
        if isinstance(item, dict):
            if "linkId" in item:
                out.append(item["linkId"])
            _link_ids(item.get("item"), out)
    return out


def _que_2(node, ctx):
    """descendants().linkId.isDistinct(): descendants() makes fhirpathpy take seconds on big forms."""
    ids = _link_ids(node.get("item"), [])
    dupes = sorted({i for i in ids if ids.count(i) > 1}) if len(ids) != len(set(ids)) else []
    return f"linkId(s) {dupes} are used more than once" if dupes else None


def _sdf_9(node, ctx):
    for part in ("snapshot", "differential"):
        for e in (node.get(part) or {}).get("element") or []:
            if (
                isinstance(e, dict)
                and "." not in str(e.get("path"))
                and ({"label", "code", "requirements"} & e.keys())
            ):
                return f"{part} root element {e.get('path')} has label, code or requirements"
    return None


def _qrs_2(node, ctx):
    """repeat(answer|item).select(item.where(answer.value.exists()).linkId.isDistinct()).allTrue()"""
    pending, dupes = [node], set()
    while pending:
        current = pending.pop()
        children = [i for i in current.get("item") or [] if isinstance(i, dict)]
        answered = [
            i.get("linkId") for i in children if any(_has_answer_value(a) for a in i.get("answer") or [])
        ]
        dupes.update(x for x in answered if answered.count(x) > 1)
        pending.extend(children)
        pending.extend(a for a in current.get("answer") or [] if isinstance(a, dict))
    return f"answered items repeat linkId(s) {sorted(map(str, dupes))} in one group" if dupes else None


def _has_answer_value(answer) -> bool:
    return isinstance(answer, dict) and any(k.startswith("value") for k in answer)


def _obs_7(node, ctx):
    """value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()"""
    if not any(k.startswith("value") for k in node):
        return None
    own = {jsontext.dumps(c, sort_keys=True) for c in (node.get("code") or {}).get("coding") or []}
    for component in node.get("component") or []:
        codings = ((component or {}).get("code") or {}).get("coding") or []
        if own & {jsontext.dumps(c, sort_keys=True) for c in codings}:
            return "a component has the same code as the observation, which also has a value"
    return None


def _bdl_7(node, ctx):
    if node.get("type") == "history":
        return None
    seen, dupes = set(), set()
    for entry in node.get("entry") or []:
        if isinstance(entry, dict) and "fullUrl" in entry:
            version = ((entry.get("resource") or {}).get("meta") or {}).get("versionId", "")
            key = (entry["fullUrl"], version)
            (dupes if key in seen else seen).add(key)
    return f"fullUrl(s) {sorted(k[0] for k in dupes)} appear more than once" if dupes else None


def _first_entry_is(bundle_type: str, resource_type: str):
    def rule(node, ctx):
        if node.get("type") != bundle_type:
            return None
        entries = node.get("entry") or []
        first = (entries[0] or {}).get("resource") if entries and isinstance(entries[0], dict) else None
        if isinstance(first, dict) and first.get("resourceType") == resource_type:
            return None
        return f"the first entry of a {bundle_type} Bundle must be a {resource_type}"

    return rule


# StructureDefinition rules: fhirpathpy spends ~10 ms each on a full snapshot; these are linear.
def _elements(node, part: str | None = None) -> list[dict]:
    container = node.get(part) if part else node
    return (
        [e for e in (container or {}).get("element") or [] if isinstance(e, dict)]
        if isinstance(container, dict)
        else []
    )


def _sdf_1(node, ctx):
    if node.get("derivation") == "constraint":
        return None
    paths = [e.get("path") for e in _elements(node, "snapshot")]
    return None if _distinct(paths) else "snapshot element paths are repeated"


def _ids_distinct(part: str):
    def rule(node, ctx):
        elements = _elements(node, part)
        ids = [e.get("id") for e in elements]
        if any(i is None for i in ids):
            return f"a {part} element has no id"
        return None if _distinct(ids) else f"{part} element ids are repeated"

    return rule


def _sdf_8(node, ctx):
    sd, elements = ctx.resource, _elements(node)
    if not elements:
        return None
    first = str(elements[0].get("path"))
    if sd.get("kind") != "logical" and first != sd.get("type"):
        return f"the first snapshot element is {first}, not {sd.get('type')}"
    bad = [e.get("path") for e in elements[1:] if not str(e.get("path")).startswith(first + ".")]
    return f"snapshot paths {bad[:3]} do not start with {first}." if bad else None


def _sdf_8a(node, ctx):
    sd, elements = ctx.resource, _elements(node)
    if not elements:
        return None
    first = str(elements[0].get("path"))
    if sd.get("kind") != "logical" and not first.startswith(str(sd.get("type"))):
        return f"the first differential element {first} does not start with {sd.get('type')}"
    root = first.split(".", 1)[0] + "."
    bad = [e.get("path") for e in elements[1:] if not str(e.get("path")).startswith(root)]
    return f"differential paths {bad[:3]} do not start with {root}" if bad else None


def _sdf_23(node, ctx):
    bad = [
        e.get("path")
        for part in ("snapshot", "differential")
        for e in _elements(node, part)
        if "." not in str(e.get("path")) and "sliceName" in e
    ]
    return f"root element(s) {bad} have a sliceName" if bad else None


SDF_19_CODE = re.compile(r"^[a-zA-Z0-9]+$|^http://hl7\.org/fhirpath/System\.[A-Z][A-Za-z]+$")


def _sdf_19(node, ctx):
    if not str(node.get("url", "")).startswith("http://hl7.org/fhir/StructureDefinition"):
        return None
    bad = {
        t.get("code")
        for part in ("snapshot", "differential")
        for e in _elements(node, part)
        for t in e.get("type") or []
        if isinstance(t, dict) and not SDF_19_CODE.search(str(t.get("code")))
    }
    return f"type codes {sorted(map(str, bad))} are not FHIR types" if bad else None


# The published list predates R5's CodeableReference, which R5 itself binds.
BINDABLE = {"code", "Coding", "CodeableConcept", "CodeableReference", "Quantity", "string", "uri", "Duration"}


def _eld_11(node, ctx):
    """The official expression uses a double-quoted string, which FHIRPath (and fhirpathpy) rejects;
    its type list also predates CodeableReference, which R5's own definitions bind."""
    codes = [t.get("code") for t in node.get("type") or [] if isinstance(t, dict)]
    if "binding" not in node or not codes or any(":" in str(c) for c in codes) or BINDABLE & set(codes):
        return None
    return f"a binding on an element of type {codes}"


def _sdf_26(node, ctx):
    """`$this.where(...)` at the top of an expression makes fhirpathpy raise KeyError('$this')."""
    first = next(iter(_elements(node)), {})
    return "the root element is mustSupport" if first.get("mustSupport") is True else None


PYTHON_RULES = {
    "eld-11": _eld_11,
    "sdf-26": _sdf_26,
    "sdf-1": _sdf_1,
    "sdf-8": _sdf_8,
    "sdf-8a": _sdf_8a,
    "sdf-16": _ids_distinct("snapshot"),
    "sdf-17": _ids_distinct("differential"),
    "sdf-19": _sdf_19,
    "sdf-23": _sdf_23,
    "bdl-7": _bdl_7,
    "bdl-11": _first_entry_is("document", "Composition"),
    "bdl-12": _first_entry_is("message", "MessageHeader"),
    "bdl-13": _first_entry_is("subscription-notification", "SubscriptionStatus"),
    "qrs-2": _qrs_2,
    "obs-7": _obs_7,
    "eld-3": _eld_3,
    "eld-25": _eld_25,
    "eld-28": _eld_28,
    "que-2": _que_2,
    "sdf-9": _sdf_9,
    "sdf-24": _codeable_reference_rule("Reference", ".reference", "targetProfile"),
    "sdf-25": _codeable_reference_rule("CodeableConcept", ".concept", "binding"),
    "eld-2": _eld_2,
    "eld-13": _eld_13,
    "eld-14": _eld_14,
    "eld-27": _eld_27,
    "txt-1": _narrative("txt-1"),
    "txt-2": _narrative("txt-2"),
    "ref-1": _ref_1,
    "ref-2": _ref_2,
    "qty-3": _qty_3,
    "sqty-1": _sqty_1,
    "rat-1": _rat_1,
    "cod-1": _cod_1,
    "att-1": _att_1,
    "cpt-2": _cpt_2,
    "ident-1": _ident_1,
    "rng-2": _rng_2,
    "ratrng-2": _ratrng_2,
    "per-1": _per_1,
    "dom-2": _dom_2,
    "dom-3": _dom_3,
    "dom-4": _dom_4,
    "dom-5": _dom_5,
    "dom-6": _dom_6,
    "dos-1": _dos_1,
    "apd-1": _apd_1,
    **{f"tim-{n}": _timing(f"tim-{n}") for n in (1, 2, 4, 5, 6, 7, 8, 9, 10)},
}
