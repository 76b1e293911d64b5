"""How much one request may ask of the server (hostile input).

A request beyond a limit is refused with a 4xx OperationOutcome whose issue code is `too-costly`,
before the work starts: the alternative is a 5xx from the database (SQLite refuses expressions
deeper than 1000 nodes), a request that ties up a worker, or an answer nobody can use.
Each limit is read once per process from its environment variable:

    FHIR_SERVICE_MAX_JSON_DEPTH       64      nesting of JSON objects/arrays (XML: elements) in a body;
                                              the deepest official R5 example is 24 (a Questionnaire)
    FHIR_SERVICE_MAX_BUNDLE_ENTRIES   10000   entries in a transaction/batch Bundle (413)
    FHIR_SERVICE_MAX_SEARCH_PARAMS    30      criteria in one search (query string + form body; not
                                              _count, _total, _summary, _elements, _include…): each is
                                              a subquery, and PostgreSQL plans 100 of them in seconds
    FHIR_SERVICE_MAX_SEARCH_VALUES    400     comma-separated values over all of a search's parameters,
                                              a chained or _has value counted once per level (SQLite
                                              nests each value: ~500 unchained ones reach its limit)
    FHIR_SERVICE_MAX_SEARCH_VALUE_LENGTH 1000 characters of one comma-separated value (a huge _text
                                              value ties up a worker)
    FHIR_SERVICE_MAX_COUNT            1000    _count above this is lowered to it (R5: a server may
                                              return fewer than asked); the engine never pages more
    FHIR_SERVICE_MAX_INCLUDES         20      _include + _revinclude parameters in one search
    FHIR_SERVICE_MAX_SORT_KEYS        8       _sort keys (a page link's keyset condition grows with the
                                              square of their number)
    FHIR_SERVICE_MAX_CHAIN_DEPTH      3       chained hops plus _has levels in one parameter (two
                                              4-level chains overflow SQLite's parser stack)
    FHIR_SERVICE_MAX_PATCH_OPERATIONS 1000    operations in one JSON Patch or FHIRPath Patch (each
                                              FHIRPath operation evaluates its path anew)
    FHIR_SERVICE_MAX_FHIRPATH_LENGTH  1000    characters of a FHIRPath Patch path (deep nests of
                                              where() cost CPU-seconds)
    FHIR_SERVICE_MAX_PATCH_COPY_BYTES 1 MiB   JSON of what a JSON Patch's `copy` operations duplicate
                                              (copying /a into /a/- doubles it each time)
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, fields
from functools import lru_cache

from fhir_service import jsontext
from fhir_service.outcome import FhirError

PREFIX = "FHIR_SERVICE_MAX_"


@dataclass(frozen=True)
class Limits:
    json_depth: int = 64
    bundle_entries: int = 10_000
    search_params: int = 30
    search_values: int = 400
    search_value_length: int = 1000
    count: int = 1000
    includes: int = 20
    sort_keys: int = 8
    chain_depth: int = 3
    patch_operations: int = 1000
    fhirpath_length: int = 1000
    patch_copy_bytes: int = 1024 * 1024


def from_env(environ=os.environ) -> Limits:
    """Limits from FHIR_SERVICE_MAX_<FIELD> variables; a missing variable keeps the default."""
    values = {}
    for f in fields(Limits):
        name = PREFIX + f.name.upper()
        raw = environ.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            values[f.name] = int(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be an integer, got {raw!r}") from exc
        if values[f.name] < 1:
            raise ValueError(f"{name} must be at least 1, got {raw!r}")
    return Limits(**values)


@lru_cache(maxsize=1)
def current() -> Limits:
    """This process's limits (tests that change the environment call `current.cache_clear()`)."""
    return from_env()


class LimitExceeded(FhirError):
    """A request beyond one of the limits: 400 (413 for sizes), issue code too-costly."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(status, message, "too-costly")


# --- search --------------------------------------------------------------------------------------

# Parameters that are no search criteria (includes have a limit of their own).
_NOT_CRITERIA = {"_format", "_pretty", "_cursor", "_count", "_total", "_summary", "_elements"}


def check_search(params: list[tuple[str, str]], limits: Limits | None = None) -> list[tuple[str, str]]:
    """The search parameters if they are within the limits, with `_count` lowered to the maximum;
    LimitExceeded (or a 400 for a NUL, which no FHIR string holds and PostgreSQL cannot compare)
    otherwise. Runs before the search engine parses anything."""
    limits = limits or current()
    criteria = values = includes = sort_keys = 0
    out = []
    for name, value in params:
        if "\x00" in name or "\x00" in value:
            raise FhirError(400, f"Search parameter '{name.replace(chr(0), '?')}' contains a NUL character")
        depth = name.count(".") + name.count("_has:")
        if depth > limits.chain_depth:
            raise LimitExceeded(
                f"Search parameter '{name[:200]}' chains {depth} levels; at most {limits.chain_depth} are allowed"
            )
        if name.startswith(("_include", "_revinclude")):
            includes += 1
        elif name not in _NOT_CRITERIA:  # a chained value is a subquery per level: it costs as much
            criteria += 1
            values += (value.count(",") + 1) * (1 + depth)
            longest = max(map(len, value.split(",")))
            if longest > limits.search_value_length:
                raise LimitExceeded(
                    f"A value of '{name[:100]}' has {longest} characters; "
                    f"at most {limits.search_value_length} are allowed"
                )
        if name == "_sort":
            sort_keys += len([key for key in value.split(",") if key])
        if name == "_count":
            value = _lower_count(value, limits.count)
        out.append((name, value))
    if criteria > limits.search_params:
        raise LimitExceeded(
            f"The search has {criteria} parameters; at most {limits.search_params} are allowed"
        )
    if includes > limits.includes:
        raise LimitExceeded(
            f"The search has {includes} _include/_revinclude parameters; at most {limits.includes} are allowed"
        )
    if sort_keys > limits.sort_keys:
        raise LimitExceeded(f"The search sorts on {sort_keys} keys; at most {limits.sort_keys} are allowed")
    if values > limits.search_values:
        raise LimitExceeded(f"The search has {values} values; at most {limits.search_values} are allowed")
    return out


def _lower_count(value: str, maximum: int) -> str:
    text = value.strip()
    if text.isascii() and text.isdigit() and (len(text) > 9 or int(text) > maximum):
        return str(maximum)
    return value  # anything else is the parser's to accept or refuse


# --- bodies --------------------------------------------------------------------------------------


def check_bundle_entries(bundle: dict, limits: Limits | None = None) -> None:
    limits = limits or current()
    entries = bundle.get("entry")
    if isinstance(entries, list) and len(entries) > limits.bundle_entries:
        raise LimitExceeded(
            f"The Bundle has {len(entries)} entries; at most {limits.bundle_entries} are allowed "
            "(FHIR_SERVICE_MAX_BUNDLE_ENTRIES)",
            status=413,
        )


def too_deep(value, budget: int) -> bool:
    """Whether JSON-shaped `value` nests dicts/lists more than `budget` levels (the value itself is
    level 1). Recursion is bounded by the budget, so it never runs away."""
    if budget <= 0:
        return True
    if type(value) is dict:
        children = value.values()
    elif type(value) is list:
        children = value
    else:
        return False
    for child in children:
        if (type(child) is dict or type(child) is list) and too_deep(child, budget - 1):
            return True
    return False


def check_patch(body, kind: str, limits: Limits | None = None) -> None:
    """A JSON Patch (list) or FHIRPath Patch (Parameters) within the operation and path limits."""
    limits = limits or current()
    if kind == "fhirpath":
        operations = body.get("parameter") if isinstance(body, dict) else None
    else:
        operations = body
    if isinstance(operations, list) and len(operations) > limits.patch_operations:
        raise LimitExceeded(
            f"The patch has {len(operations)} operations; at most {limits.patch_operations} are allowed"
        )
    if kind != "fhirpath" or not isinstance(operations, list):
        return
    for operation in operations:
        for part in operation.get("part") or [] if isinstance(operation, dict) else []:
            path = part.get("valueString") if isinstance(part, dict) and part.get("name") == "path" else None
            if isinstance(path, str) and len(path) > limits.fhirpath_length:
                raise LimitExceeded(
                    f"A FHIRPath Patch path of {len(path)} characters; at most {limits.fhirpath_length} are allowed"
                )


def apply_json_patch(document: dict, operations: list, limits: Limits | None = None) -> dict:
    """jsonpatch.apply_patch, one operation at a time, refusing once `copy` operations have
    duplicated more than `patch_copy_bytes` of JSON (the other operations only move what is there
    or add what the body holds). jsonpatch's own exceptions pass through."""
    import jsonpatch

    budget = (limits or current()).patch_copy_bytes
    document = copy.deepcopy(document)
    for operation in operations:
        if isinstance(operation, dict) and operation.get("op") == "copy":
            value = jsonpatch.JsonPointer(operation["from"]).resolve(document)
            budget -= len(jsontext.dumps(value))
            if budget < 0:
                raise LimitExceeded("The JSON Patch copies too much (FHIR_SERVICE_MAX_PATCH_COPY_BYTES)")
        document = jsonpatch.JsonPatch([operation]).apply(document, in_place=True)
    return document
