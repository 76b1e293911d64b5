"""FHIRPath Patch (https://hl7.org/fhir/R5/fhirpatch.html): a Parameters resource of operations
(add, insert, delete, replace, move) applied to a resource dict.

FHIRPath evaluation returns copies, so to find *where* a result lives every object of a working
copy is tagged with a location key before evaluating; a tag leads back to (container, key, index)
in the real resource. A primitive target (`Patient.birthDate`) is found through its parent
expression and the last step's name.
"""

from __future__ import annotations

import copy
import re
import typing
from dataclasses import dataclass

from fhir.resources import get_fhir_model_class

from fhir_service.fhirpath import evaluate
from fhir_service.interactions.errors import FhirError

LOC = "__patch_loc__"
LAST_STEP = re.compile(r"^(?P<parent>.+)\.(?P<name>[A-Za-z][A-Za-z0-9_]*)(?:\[(?P<index>\d+)\])?$")


class PatchError(FhirError):
    def __init__(self, message: str):
        super().__init__(422, message, "processing")


@dataclass
class Target:
    container: dict | list
    key: str | int
    node: object
    model: type | None  # the fhir.resources model of `node` when it is a complex element


def apply(resource: dict, parameters: dict) -> dict:
    if parameters.get("resourceType") != "Parameters":
        raise FhirError(400, "A FHIRPath Patch body is a Parameters resource", "structure")
    operations = parameters.get("parameter", [])
    if not isinstance(operations, list):
        raise FhirError(400, "Parameters.parameter must be an array", "structure")
    patched = copy.deepcopy(resource)
    for number, operation in enumerate(operations, 1):
        if not isinstance(operation, dict) or operation.get("name") != "operation":
            raise PatchError(f"Patch parameter {number} is not named 'operation'")
        parts = _parts(_named(operation.get("part", []), f"Patch parameter {number}"))
        try:
            _apply_one(patched, parts)
        except PatchError as exc:
            raise PatchError(f"Patch operation {number} ({parts.get('type')}): {exc.message}") from exc
    return patched


def _parts(parts: list[dict]) -> dict:
    out = {}
    for part in parts:
        name = part.get("name")
        value = [v for k, v in part.items() if k.startswith("value")]
        if value:
            out[name] = value[0]
        elif "part" in part:  # a complex value given as parts (e.g. a BackboneElement)
            inner = _named(part["part"], f"Part '{name}'")
            out[name] = {}
            for p in inner:
                values = [v for k, v in p.items() if k.startswith("value")]
                if not values:
                    raise FhirError(400, f"Part '{name}.{p['name']}' has no value", "structure")
                out[name][p["name"]] = values[0]
        elif "resource" in part:
            out[name] = part["resource"]
    return out


def _named(parts, where: str) -> list[dict]:
    """`parts` as the list of named objects a Parameters part holds (400 for another shape)."""
    if not isinstance(parts, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) for p in parts
    ):
        raise FhirError(400, f"{where}: 'part' must be an array of objects with a name", "structure")
    return parts


def _apply_one(resource: dict, parts: dict) -> None:
    kind, path = parts.get("type"), parts.get("path")
    if not path:
        raise PatchError("missing path")
    if kind == "add":
        container = _single(_targets(resource, path), path)
        if not isinstance(container.node, dict):
            raise PatchError(f"{path} is not an element that can hold '{parts.get('name')}'")
        name = parts.get("name") or _fail("missing name")
        value = _value(parts)
        if _is_list(container.model, name) or isinstance(container.node.get(name), list):
            container.node.setdefault(name, []).append(value)
        else:
            container.node[name] = value
    elif kind == "insert":
        target = _list_target(resource, path)
        index = _index(parts.get("index"), len(target) + 1)
        target.insert(index, _value(parts))
    elif kind == "delete":
        found = _targets(resource, path)
        if not found:
            return  # deleting nothing is not an error (spec)
        target = _not_root(_single(found, path), path, kind)
        del target.container[target.key]
        _drop_empty_list(resource, target)
    elif kind == "replace":
        target = _not_root(_single(_targets(resource, path), path), path, kind)
        target.container[target.key] = _value(parts)
    elif kind == "move":
        target = _list_target(resource, path)
        source = _index(parts.get("source"), len(target))
        destination = _index(parts.get("destination"), len(target))
        target.insert(destination, target.pop(source))
    else:
        raise PatchError(f"unknown operation type {kind!r}")


def _fail(message: str):
    raise PatchError(message)


def _value(parts: dict):
    if "value" not in parts:
        raise PatchError("missing value")
    return parts["value"]


def _index(value, limit: int) -> int:
    if not isinstance(value, int) or not 0 <= value < limit:
        raise PatchError(f"index {value!r} out of range 0..{limit - 1}")
    return value


def _list_target(resource: dict, path: str) -> list:
    found = _targets(resource, path)
    if not found:
        raise PatchError(f"{path} matches nothing")
    containers = {id(t.container) for t in found}
    if len(containers) != 1 or not isinstance(found[0].container, list):
        raise PatchError(f"{path} must select the items of one list")
    return found[0].container


def _not_root(target: Target, path: str, kind: str) -> Target:
    """The resource itself is no element of itself: deleting or replacing it is a malformed patch."""
    if target.container is None:
        raise FhirError(400, f"FHIRPath Patch cannot {kind} the resource itself ({path})", "invalid")
    return target


def _single(found: list[Target], path: str) -> Target:
    if len(found) != 1:
        raise PatchError(f"{path} must match exactly one element, matched {len(found)}")
    return found[0]


def _drop_empty_list(resource: dict, target: Target) -> None:
    if isinstance(target.container, list) and not target.container:
        for parent in _walk(resource):
            for key, value in list(parent.items()):
                if value is target.container:
                    del parent[key]
                    return


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _targets(resource: dict, path: str) -> list[Target]:
    table: dict[str, Target] = {}
    tagged = _tag(resource, table, None, None, _model(resource.get("resourceType")))
    values = _evaluate(tagged, path)
    if all(isinstance(v, dict) and LOC in v for v in values):
        return [table[v[LOC]] for v in values]
    match = LAST_STEP.match(path)
    if not match:
        raise PatchError(f"cannot locate the primitive element(s) selected by {path}")
    parents = [v for v in _evaluate(tagged, match["parent"]) if isinstance(v, dict) and LOC in v]
    name, index = match["name"], match["index"]
    out = []
    for parent in parents:
        node = table[parent[LOC]].node
        if name not in node:
            continue
        if isinstance(node[name], list):
            indexes = [int(index)] if index is not None else range(len(node[name]))
            out += [Target(node[name], i, node[name][i], None) for i in indexes if i < len(node[name])]
        elif index in (None, "0"):
            out.append(Target(node, name, node[name], None))
    return out


def _evaluate(tagged: dict, path: str) -> list:
    try:
        return evaluate(tagged, path)
    except Exception as exc:  # fhirpathpy raises assorted types for bad expressions
        raise PatchError(f"cannot evaluate FHIRPath {path!r}: {exc}") from exc


def _tag(node, table, container, key, model):
    """A copy of `node` whose dicts carry LOC keys; `table` maps each LOC back to the original."""
    if isinstance(node, dict):
        loc = str(len(table))
        table[loc] = Target(container, key, node, model)
        out = {k: _tag(v, table, node, k, _child_model(model, k)) for k, v in node.items()}
        out[LOC] = loc
        return out
    if isinstance(node, list):
        return [_tag(v, table, node, i, model) for i, v in enumerate(node)]
    return node


def _model(resource_type):
    try:
        return get_fhir_model_class(resource_type)
    except (ValueError, TypeError, KeyError):
        return None


def _field_annotation(model, name):
    field = getattr(model, "model_fields", {}).get(name) if model else None
    return None if field is None else field.annotation


def _unwrap(annotation):
    """Optional[List[XType]] → (XType, True); Optional[XType] → (XType, False)."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if origin in (list, typing.List):  # noqa: UP006 - fhir.resources uses typing.List
            is_list, annotation = True, args[0]
        elif args and origin is not None and origin is not typing.Annotated:
            annotation = args[0]
        else:
            return annotation, is_list


def _is_list(model, name: str) -> bool:
    annotation = _field_annotation(model, name)
    return annotation is not None and _unwrap(annotation)[1]


def _child_model(model, name):
    annotation = _field_annotation(model, name)
    if annotation is None:
        return None
    inner, _ = _unwrap(annotation)
    get = getattr(inner, "get_model_klass", None)
    try:
        return get() if get else None
    except Exception:
        return None
