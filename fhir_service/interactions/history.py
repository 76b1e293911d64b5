"""history at instance, type and system level as `history` Bundles, keyset-paged, with _since/_count."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fhir_service.interactions.checks import check_id, check_type, etag
from fhir_service.interactions.errors import bad_request, not_found
from fhir_service.interactions.ports import Repository
from fhir_service.interactions.result import Result, status_line
from fhir_service.search import dates
from fhir_service.search.errors import SearchError
from fhir_service.stored import StoredResource, format_instant

DEFAULT_COUNT = 50
MAX_COUNT = 1000
STATUS = {"POST": 201, "PUT": 200, "PATCH": 200, "DELETE": 204}
# What history reads (any other parameter is ignored), with the REST layer's representation ones.
USED = {"_since", "_count", "_cursor", "_format", "_pretty"}


def history(
    repo: Repository,
    params: list[tuple[str, str]],
    base_url: str,
    resource_type: str | None = None,
    resource_id: str | None = None,
) -> Result:
    if resource_type is not None:
        check_type(resource_type)
    if resource_id is not None:
        check_id(resource_id)
    query = dict(params)
    since = parse_instant(query["_since"]) if "_since" in query else None
    count = parse_count(query.get("_count"))
    cursor = query.get("_cursor")
    with repo.unit_of_work(write=False) as uow:
        if resource_id is not None and uow.read(resource_type, resource_id) is None:
            raise not_found(f"{resource_type}/{resource_id} is not known")
        try:
            page = uow.history(resource_type, resource_id, since=since, count=count, cursor=cursor)
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
    used = [(k, v) for k, v in params if k in USED]  # the links say what was done
    links = [{"relation": "self", "url": _url(base_url, resource_type, resource_id, used)}]
    if page.next_cursor:
        next_params = [(k, v) for k, v in used if k != "_cursor"] + [("_cursor", page.next_cursor)]
        links.append({"relation": "next", "url": _url(base_url, resource_type, resource_id, next_params)})
    bundle = {
        "resourceType": "Bundle",
        "type": "history",
        "total": page.total,
        "link": links,
        "entry": [entry(base_url, version, page.creates(version)) for version in page.entries],
    }
    if not bundle["entry"]:
        del bundle["entry"]
    return Result(200, bundle)


def entry(base_url: str, version: StoredResource, created: bool = False) -> dict:
    """`created`: the version created its resource, so a PUT was answered 201 (create-on-update)."""
    method = version.method or "PUT"
    item: dict = {"fullUrl": f"{base_url}/{version.type}/{version.id}"}
    if not version.deleted:
        item["resource"] = version.resource()
    item["request"] = {
        "method": method,
        "url": version.type if method == "POST" else f"{version.type}/{version.id}",
    }
    item["response"] = {
        "status": status_line(201 if created and method == "PUT" else STATUS.get(method, 200)),
        "etag": etag(version.version_id),
        "lastModified": format_instant(version.last_updated),
    }
    return item


def parse_instant(value: str) -> datetime:
    """_since: a FHIR instant (a dateTime of any precision is taken from its start; no zone: UTC)."""
    try:
        return dates.parse_instant(value, "_since")
    except SearchError as exc:
        raise bad_request(exc.message) from exc


def parse_count(value: str | None) -> int:
    if value is None:
        return DEFAULT_COUNT
    if not (value.isascii() and value.isdigit()):  # "²".isdigit() is True, int("²") fails
        raise bad_request(f"_count must be a non-negative integer, got '{value}'")
    return min(int(value), MAX_COUNT) if len(value) < 10 else MAX_COUNT  # int() refuses 4300+ digits


def _url(base_url, resource_type, resource_id, params) -> str:
    path = "/".join(p for p in (base_url, resource_type, resource_id, "_history") if p)
    return f"{path}?{urlencode(params)}" if params else path
