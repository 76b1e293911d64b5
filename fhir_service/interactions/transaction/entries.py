"""The entries of a transaction or batch Bundle: parsing, identities and reference mapping,
running one entry through the interaction handlers; and the transaction itself (all or nothing).
See the package's docstring."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from fhir_service import references
from fhir_service.interactions import create as create_
from fhir_service.interactions import delete as delete_
from fhir_service.interactions import history as history_
from fhir_service.interactions import patch as patch_
from fhir_service.interactions import read as read_
from fhir_service.interactions import search as search_
from fhir_service.interactions import update as update_
from fhir_service.interactions.checks import check_type, etag, etag_version, etag_versions
from fhir_service.interactions.conditional import criteria, matches, single_match, update_match
from fhir_service.interactions.errors import FhirError, as_fhir_error, bad_request, not_found
from fhir_service.interactions.ports import Access, Repository, UnitOfWork
from fhir_service.interactions.result import Result, status_line
from fhir_service.resource_types import RESOURCE_TYPES
from fhir_service.stored import StoredResource, format_instant, new_id

ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
WRITES = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
HISTORY = ("history-instance", "history-type", "history-system")
CLEAR_EVERY = 200


@dataclass
class Entry:
    """One Bundle entry's request, parsed."""

    index: int
    full_url: str | None
    method: str
    url: str  # the request url relative to the base, query included
    resource_type: str | None
    resource_id: str | None
    version: str | None  # GET Type/id/_history/v
    query: str  # conditional criteria / search parameters (raw query string)
    resource: dict | None
    if_match: str | None
    if_none_exist: str | None
    if_none_match: frozenset[str] | None = None  # request.ifNoneMatch of a PUT ("*": must not exist)
    interaction: str = ""  # the R5 interaction code the url names ("read", "history-type", ...)
    assigned_id: str | None = None  # POST / conditional PUT: the id it will be stored under
    existing: StoredResource | None = None  # conditional create matched this: nothing to write

    @property
    def label(self) -> str:
        return f"Bundle.entry[{self.index}]" + (f" ({self.full_url})" if self.full_url else "")

    def identity(self) -> tuple[str, str] | None:
        """The resource this entry writes (conditional ones as resolved while planning); None for
        reads and for a conditional delete or create that matched nothing to act on."""
        if self.method in ("GET", "HEAD") or not self.resource_type:
            return None
        rid = self.resource_id or (self.existing.id if self.existing else self.assigned_id)
        return (self.resource_type, rid) if rid else None


@dataclass
class Outcome:
    """What one entry did; becomes its `response` element."""

    status: int
    stored: StoredResource | None = None
    location: bool = False  # a write entry: response.location names the version it wrote
    outcome: dict | None = None
    resource: dict | None = None  # GET results (search Bundles, read bodies) and return=representation
    bodiless: bool = False  # a HEAD entry: the GET's status and headers, never a resource

    def response_entry(self, base_url: str, representation: bool) -> dict:
        response: dict = {"status": status_line(self.status)}
        entry: dict = {}
        if self.stored is not None:
            s = self.stored
            if self.location:
                response["location"] = f"{s.type}/{s.id}/_history/{s.version_id}"
            response["etag"] = etag(s.version_id)
            response["lastModified"] = format_instant(s.last_updated)
            if s.content is not None and not s.deleted:
                entry["fullUrl"] = f"{base_url}/{s.type}/{s.id}"
                if (representation or self.resource is not None) and not self.bodiless:
                    entry["resource"] = self.resource or s.resource()
        elif self.resource is not None:
            entry["resource"] = self.resource
        if self.outcome is not None:
            response["outcome"] = self.outcome
        entry["response"] = response
        return entry


# --- parsing --------------------------------------------------------------------------------------


def relative_url(url: str, base_url: str) -> str:
    """A request url as 'Type/id?x' whether the client wrote it relative or absolute
    (only the path decides: criteria values may well contain '://')."""
    path, sep, query = url.partition("?")
    base = base_url.rstrip("/") + "/"
    if path.startswith(base):
        path = path[len(base) :]
    elif "://" in path:  # another spelling of the base: keep from the resource type on
        segments = urlsplit(path).path.split("/")
        start = next((i for i, s in enumerate(segments) if s in RESOURCE_TYPES), len(segments))
        path = "/".join(segments[start:])
    return path.lstrip("/") + sep + query


def parse_entry(index: int, raw: dict, base_url: str) -> Entry:
    if not isinstance(raw, dict):
        raise bad_request(f"Bundle.entry[{index}] is not an object")
    request = raw.get("request")
    full_url = raw.get("fullUrl")
    label = f"Bundle.entry[{index}]" + (f" ({full_url})" if full_url else "")
    if not isinstance(request, dict) or not request.get("method") or not request.get("url"):
        raise bad_request(f"{label}: request.method and request.url are required", "required")
    method = str(request["method"]).upper()
    if method not in ORDER:
        raise bad_request(f"{label}: unsupported request.method '{method}'", "not-supported")
    url = relative_url(str(request["url"]), base_url)
    path, _, query = url.partition("?")
    parts = [p for p in path.split("/") if p]
    rid = parts[1] if len(parts) > 1 and not parts[1].startswith(("_", "$")) else None
    if any(p.startswith("$") for p in parts):  # else "Type/$op" would run as a search of Type
        raise bad_request(
            f"{label}: operations ({path[:200]}) are not supported in a Bundle entry", "not-supported"
        )
    if not _interaction_path(parts, rid):  # "Organization/../../etc"
        raise bad_request(f"{label}: request.url '{path[:200]}' is not a FHIR interaction url")
    rtype = parts[0] if parts and parts != ["_history"] else None
    version = parts[3] if len(parts) == 4 else None
    resource = raw.get("resource")
    if method in ("POST", "PUT") and not isinstance(resource, dict):
        raise bad_request(f"{label}: a {method} entry needs a resource", "required")
    return Entry(
        index=index,
        full_url=full_url,
        method=method,
        url=url,
        resource_type=rtype,
        resource_id=rid,
        version=version,
        query=query,
        resource=resource,
        if_match=etag_version(request.get("ifMatch")),
        if_none_exist=request.get("ifNoneExist"),
        if_none_match=etag_versions(request.get("ifNoneMatch")),
        interaction=WRITES.get(method) or _read_interaction(parts, rid),
    )


def _interaction_path(parts: list[str], rid: str | None) -> bool:
    """Type, Type/id, Type/_history, Type/id/_history, Type/id/_history/vid or _history."""
    if parts[:1] == ["_history"]:
        return len(parts) == 1
    if len(parts) == 2 and rid is None:  # "Type/_search" is POST-only and no write: refused
        return parts[1] == "_history"
    return len(parts) <= 2 or len(parts) <= 4 and parts[2] == "_history" and rid is not None


def _read_interaction(parts: list[str], rid: str | None) -> str:
    """What a GET/HEAD url asks for; R5 allows any read interaction in a Bundle."""
    if parts == ["_history"]:
        return "history-system"
    if len(parts) == 4:
        return "vread"
    if len(parts) == 3:
        return "history-instance"
    if parts[1:] == ["_history"]:
        return "history-type"
    return "read" if rid else "search-type"


def parse_entries(bundle: dict, base_url: str) -> list[Entry]:
    raw_entries = bundle.get("entry") or []
    if not isinstance(raw_entries, list):
        raise bad_request("Bundle.entry must be an array")
    entries = [parse_entry(i, raw, base_url) for i, raw in enumerate(raw_entries)]
    return entries


def processing_order(entries: list[Entry]) -> list[Entry]:
    """DELETE → POST → PUT/PATCH → GET/HEAD; Bundle order within each group (sort is stable)."""
    return sorted(entries, key=lambda e: ORDER[e.method])


def check_unique_full_urls(entries: list[Entry]) -> None:
    """bdl-7: fullUrl values are unique (a transaction could not tell which one a reference means)."""
    seen: dict[str, int] = {}
    for e in entries:
        if e.full_url is None:
            continue
        if e.full_url in seen and not _is_versioned(e):
            raise bad_request(f"{e.label}: fullUrl duplicates Bundle.entry[{seen[e.full_url]}] (bdl-7)")
        seen[e.full_url] = e.index


def _is_versioned(entry: Entry) -> bool:
    return bool(entry.resource and entry.resource.get("meta", {}).get("versionId"))


# --- the repository adapter ---------------------------------------------------------------------


class _EntryUnitOfWork:
    """The Bundle's unit of work, except that `create` stores under the id planned for the entry."""

    def __init__(self, uow, assigned_id: str | None):
        self._uow = uow
        self._assigned_id = assigned_id

    def create(self, resource: dict, id: str | None = None, method: str = "POST"):
        return self._uow.create(resource, id=id or self._assigned_id, method=method)

    def __getattr__(self, name):
        return getattr(self._uow, name)


class BoundRepository:
    """Repository-like: handlers' `unit_of_work()` reuses the Bundle's open one (no commit of its own)."""

    def __init__(self, uow, assigned_id: str | None = None):
        self._uow = _EntryUnitOfWork(uow, assigned_id)

    @contextmanager
    def unit_of_work(self, write: bool = True) -> Iterator:
        yield self._uow

    def __getattr__(self, name):
        """Repository shortcuts (e.g. `read`) answered by the open unit of work, which sees the
        Bundle's own uncommitted writes."""
        return getattr(self._uow, name)


# --- planning: identities and reference mapping -----------------------------------------------


@dataclass
class Plan:
    mapping: dict[str, str] = field(default_factory=dict)  # fullUrl / conditional ref → Type/id
    resolved: dict[str, str] = field(default_factory=dict)  # cache of conditional references
    access: Access | None = None  # what the caller may search (conditional matches, GET entries)


def plan_identities(
    uow: UnitOfWork, entries: list[Entry], base_url: str, access: Access | None = None
) -> Plan:
    """Decide every POST's and conditional PUT's id before anything is written, and map fullUrls
    (and conditional-create criteria, the way HAPI does) to the final Type/id."""
    plan = Plan(access=access)
    for e in entries:
        try:
            plan_entry(uow, e, plan, base_url)
        except Exception as exc:  # the entry's own failure, reported with its label
            raise entry_error(e, exc) from exc
    return plan


def plan_entry(uow: UnitOfWork, e: Entry, plan: Plan, base_url: str) -> None:
    if e.method in ("DELETE", "PATCH") and e.resource_type and e.resource_id is None and e.query:
        check_type(e.resource_type)  # conditional: the one match is what the entry acts on
        match = single_match(uow, e.resource_type, criteria(e.query), plan.access)
        if match is None and e.method == "PATCH":
            raise not_found(f"No {e.resource_type} matches the criteria; nothing patched")
        e.assigned_id = match.id if match else None
        return
    if e.method == "POST" and e.resource_type and e.resource_id is None and not e.query:
        check_type(e.resource_type)
        if e.if_none_exist:
            e.existing = single_match(uow, e.resource_type, criteria(e.if_none_exist), plan.access)
        e.assigned_id = e.existing.id if e.existing else new_id()
        if e.if_none_exist:
            plan.mapping[f"{e.resource_type}?{e.if_none_exist}"] = _target(e)
    elif e.method == "PUT" and e.resource_type and e.resource_id is None and e.query:
        check_type(e.resource_type)
        body_id = (e.resource or {}).get("id")
        match = update_match(
            uow,
            e.resource_type,
            criteria(e.query),
            body_id if isinstance(body_id, str) else None,
            plan.access,
        )
        e.assigned_id = match.id if match else body_id or new_id()
        plan.mapping[e.url] = _target(e)
    elif e.method == "PUT" and e.resource_type and e.resource_id:
        e.assigned_id = e.resource_id
    else:
        return
    if e.full_url:
        plan.mapping[e.full_url] = _target(e)
        old = _relative_of(e.full_url, base_url)
        if old and old != _target(e) and e.method == "POST":
            plan.mapping[old] = _target(e)


def _target(e: Entry) -> str:
    return f"{e.resource_type}/{e.existing.id if e.existing else e.assigned_id}"


def _relative_of(full_url: str, base_url: str) -> str | None:
    """An absolute fullUrl on this server's base → the 'Type/id' references may use for it."""
    if full_url.startswith(base_url.rstrip("/") + "/"):
        return full_url[len(base_url.rstrip("/")) + 1 :]
    return None


def resolve_conditional(uow: UnitOfWork, plan: Plan, reference: str) -> str | None:
    """'Type?criteria' → 'Type/id' (one match), 404 none, 412 several; None leaves non-conditional
    references alone."""
    if "?" not in reference or "/" in reference.split("?", 1)[0] or reference.startswith("#"):
        return None
    if reference in plan.resolved:
        return plan.resolved[reference]
    rtype, query = reference.split("?", 1)
    check_type(rtype, 400)  # a reference in a body, not a URL
    found = matches(uow, rtype, criteria(query), access=plan.access)
    if len(found) > 1:
        raise FhirError(
            412, f"Conditional reference '{reference}' matches several resources", "multiple-matches"
        )
    if not found:
        raise not_found(f"Conditional reference '{reference}' matches no resource")
    plan.resolved[reference] = f"{rtype}/{found[0].id}"
    return plan.resolved[reference]


def prepare_resource(uow: UnitOfWork, plan: Plan, resource: dict | None) -> dict | None:
    """The entry's resource with fullUrl links and conditional references rewritten."""
    if resource is None:
        return None
    resource = references.rewrite(resource, plan.mapping)
    return references.map_references(resource, lambda r: resolve_conditional(uow, plan, r))


# --- executing one entry ------------------------------------------------------------------------


def execute(uow: UnitOfWork, e: Entry, plan: Plan, base_url: str) -> Outcome:
    """Run one entry through the interaction handlers inside `uow`."""
    repo = BoundRepository(uow, e.assigned_id)
    if e.interaction == "history-system":
        return _history(repo, e, base_url)
    if e.resource_type is None:
        raise bad_request(f"{e.label}: request.url names no resource type")
    resource = prepare_resource(uow, plan, e.resource) if e.method in ("POST", "PUT") else e.resource
    if e.method == "DELETE":
        rid = e.resource_id or e.assigned_id  # a conditional delete's match (plan_entry)
        if rid:
            return _from_result(delete_.delete(repo, e.resource_type, rid, e.if_match))
        if e.query:
            return _from_result(delete_.nothing_matched())
        raise bad_request(f"{e.label}: DELETE needs Type/id or Type?criteria in request.url")
    if e.method == "POST":
        if e.resource_id is not None or e.query:
            raise bad_request(f"{e.label}: POST entries create resources: request.url is just the type")
        if e.existing is not None:
            return Outcome(200, e.existing, True, _info("Conditional create matched an existing resource"))
        return _written(create_.create(repo, e.resource_type, resource, access=plan.access))
    if e.method == "PUT":
        rid = e.resource_id or e.assigned_id
        if e.resource_id is None:  # conditional update, identity settled while planning
            resource = {**resource, "id": rid}
        return _written(update_.update(repo, e.resource_type, rid, resource, e.if_match, e.if_none_match))
    if e.method == "PATCH":
        return _patch(repo, e)
    return _get(repo, e, base_url, plan.access)


def _patch(repo: Repository, e: Entry) -> Outcome:
    body, kind = patch_body(e.resource)
    rid = e.resource_id or e.assigned_id  # a conditional patch's match (plan_entry)
    if not rid:
        raise bad_request(f"{e.label}: PATCH needs Type/id or Type?criteria in request.url")
    return _written(patch_.patch(repo, e.resource_type, rid, body, kind, e.if_match))


def patch_body(resource: dict | None):
    """In a Bundle a patch is a Parameters resource (FHIRPath Patch) or a Binary holding JSON Patch."""
    if isinstance(resource, dict) and resource.get("resourceType") == "Parameters":
        return resource, "fhirpath"
    if isinstance(resource, dict) and resource.get("resourceType") == "Binary":
        if "json-patch" not in str(resource.get("contentType", "")):
            raise FhirError(415, "A Binary patch must have contentType application/json-patch+json")
        try:
            return json.loads(base64.b64decode(resource.get("data", ""))), "json-patch"
        except ValueError as exc:
            raise bad_request(f"Binary patch data is not base64 JSON: {exc}") from exc
    raise bad_request("A PATCH entry carries a Parameters (FHIRPath Patch) or Binary (JSON Patch) resource")


def _get(repo: Repository, e: Entry, base_url: str, access: Access | None) -> Outcome:
    outcome = _read(repo, e, base_url, access)
    if e.method == "HEAD":  # what the GET answers, without its body
        outcome.resource, outcome.bodiless = None, True
    return outcome


def _read(repo: Repository, e: Entry, base_url: str, access: Access | None) -> Outcome:
    if e.interaction in HISTORY:
        return _history(repo, e, base_url)
    if e.resource_id and e.version:
        result = read_.vread(repo, e.resource_type, e.resource_id, e.version)
    elif e.resource_id:
        result = read_.read(repo, e.resource_type, e.resource_id)
    else:
        params = parse_qsl(e.query, keep_blank_values=True)
        result = search_.search(repo, e.resource_type, params, base_url, access=access)
        return Outcome(200, resource=result.body)
    outcome = _from_result(result)
    outcome.resource = result.stored.resource() if result.stored else None
    return outcome


def _history(repo: Repository, e: Entry, base_url: str) -> Outcome:
    """The history Bundle as the entry's resource, its parameters (_since, _count, _cursor) and page
    links those of the top-level interaction, as HAPI answers it."""
    params = parse_qsl(e.query, keep_blank_values=True)
    result = history_.history(repo, params, base_url, e.resource_type, e.resource_id)
    return Outcome(200, resource=result.body)


def _from_result(result: Result) -> Outcome:
    stored = result.stored if isinstance(result.stored, StoredResource) else None
    return Outcome(result.status, stored, result.location, result.outcome)


def _written(result: Result) -> Outcome:
    """A create/update/patch entry names the version it wrote in response.location, whether it
    created (201) or updated (200); a read of a version never does."""
    outcome = _from_result(result)
    outcome.location = outcome.stored is not None
    return outcome


def _info(message: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "informational", "diagnostics": message}],
    }


def entry_error(e: Entry, exc: Exception) -> FhirError:
    """The entry's failure as a FhirError whose diagnostics start with the entry's label."""
    error = as_fhir_error(exc)
    if error is None:
        error = FhirError(500, f"{type(exc).__name__}: {exc}", "exception")
    issues = []
    for issue in error.outcome.get("issue", []):
        text = issue.get("diagnostics", "")
        prefix = e.label
        issues.append({**issue, "diagnostics": f"{prefix}: {text}" if not text.startswith(prefix) else text})
    issues = issues or [{"severity": "error", "code": "exception", "diagnostics": e.label}]
    for issue in issues:
        issue["expression"] = entry_expressions(e, issue.get("expression"))
    failed = FhirError(
        error.status, {"resourceType": "OperationOutcome", "issue": issues}, headers=error.headers
    )
    failed.entry = e
    return failed


def entry_expressions(e: Entry, expressions: list[str] | None) -> list[str]:
    """Validator paths ('ClinicalUseDefinition.type') re-rooted at the entry
    ('Bundle.entry[2].resource.type'); the entry itself when there is none."""
    root = f"Bundle.entry[{e.index}]"
    rtype = (e.resource or {}).get("resourceType")
    out = []
    for expression in expressions or []:
        head, dot, rest = expression.partition(".")
        if rtype and head == rtype:
            out.append(f"{root}.resource" + (f".{rest}" if dot else ""))
        else:
            out.append(expression)
    return out or [root]


# --- transaction ----------------------------------------------------------------------------------


def run_transaction(
    repo: Repository, bundle: dict, base_url: str, representation: bool = False, *, access: Access | None
) -> dict:
    entries = parse_entries(bundle, base_url)
    check_unique_full_urls(entries)
    results: list[dict | None] = [None] * len(entries)
    with repo.unit_of_work() as uow:
        deletes = [e for e in entries if e.method == "DELETE"]
        plan_identities(uow, deletes, base_url, access)  # conditional deletes: their matches
        check_no_overlap(deletes)
        for e in deletes:  # first, so a conditional create/update later does not match a deleted one
            results[e.index] = _run(uow, e, Plan(access=access), base_url, representation)
        plan = plan_identities(uow, [e for e in entries if e.method != "DELETE"], base_url, access)
        check_no_overlap(entries)
        check_placeholders(entries, plan)
        for count, e in enumerate(processing_order(entries)):
            if e.method != "DELETE":
                results[e.index] = _run(uow, e, plan, base_url, representation)
            if count % CLEAR_EVERY == CLEAR_EVERY - 1:
                uow.release_memory()
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "transaction-response",
        "entry": results,
    }


def check_no_overlap(entries: list[Entry]) -> None:
    """R5 http.html#trules: a transaction whose DELETE, POST, PUT and PATCH entries act on the same
    resource (conditional ones as resolved) SHALL fail: its outcome would depend on an order the
    client did not choose."""
    seen: dict[tuple[str, str], Entry] = {}
    for e in entries:
        identity = e.identity()
        if identity is None:
            continue
        if identity in seen:
            first = seen[identity]
            raise bad_request(
                f"{e.label} and {first.label} both act on {identity[0]}/{identity[1]}: the entries of a "
                "transaction must not overlap (R5 http.html, transaction integrity)"
            )
        seen[identity] = e


def check_placeholders(entries: list[Entry], plan: Plan) -> None:
    """A urn:uuid:/urn:oid: reference names an entry's fullUrl, or the transaction fails: stored as
    it is, it would be a reference to nothing."""
    for e in entries:
        if e.method not in ("POST", "PUT") or e.resource is None:
            continue
        for reference in references.placeholder_references(e.resource):
            if reference.partition("#")[0] not in plan.mapping:
                raise entry_error(
                    e,
                    bad_request(
                        f"reference '{reference[:200]}' is not the fullUrl of any entry", "not-found"
                    ),
                )


def _run(uow: UnitOfWork, e: Entry, plan: Plan, base_url: str, representation: bool) -> dict:
    try:
        return execute(uow, e, plan, base_url).response_entry(base_url, representation)
    except Exception as exc:
        raise entry_error(e, exc) from exc
