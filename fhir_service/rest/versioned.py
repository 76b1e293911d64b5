"""FHIR R4 and R4B through the R5 store (the spec's versioning page, versions.html#mt-version).

A request speaks one FHIR version: the one of its version base (`/fhir/R4`, `/fhir/R4B`), else the
`fhirVersion` parameter of its Accept, else R5. Its URL types are that version's (R4
`MedicinalProductIndication` is the stored `ClinicalUseDefinition` with `type=indication`), its search
parameters are translated to the stored types, and every body leaves converted by
fhir_service.versions (a resource, each entry of a Bundle, an OperationOutcome). Bodies of writes
are read in the version of their Content-Type (`fhirVersion`), else of their base, and converted
back to R5 before they are stored.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, g, request

from fhir_service import versions
from fhir_service.formats import to_json
from fhir_service.interactions.errors import FhirError, not_found
from fhir_service.references import iter_references, split_relative
from fhir_service.resource_types import RESOURCE_TYPES
from fhir_service.search.engine import SplicedSearchset
from fhir_service.stored import StoredResource, format_instant

R5 = "5.0"
PREFIX = "/fhir"  # the blueprints' url_prefix (app.py)
ENVIRON_KEY = "fhir_service.version_base"  # set by VersionBases for /fhir/R4/… and /fhir/R4B/…
INCLUDE_KEYS = ("_include", "_revinclude")


def short(version: str | None) -> str | None:
    """The served short version a `fhirVersion` value names ("4.0", "4.0.1" → "4.0"); None if none."""
    if not version:
        return None
    for name, full in versions.VERSIONS.items():
        if version in (name, full) or version.startswith(name + "."):
            return name
    return None


class VersionBases:
    """WSGI: `/fhir/R4/…` is routed as `/fhir/…` with the base's name kept in the environ, so every
    route, hook and authorization rule of /fhir applies unchanged and only the version differs."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(PREFIX + "/R4"):
            name, _, rest = path[len(PREFIX) + 1 :].partition("/")
            if name in versions.BASES:  # a copy: the access log outside still sees the path sent
                environ = {**environ, ENVIRON_KEY: name, "PATH_INFO": f"{PREFIX}/{rest}" if rest else PREFIX}
        return self.wsgi_app(environ, start_response)


def base_name(environ: dict | None = None) -> str | None:
    """ "R4" for a request to /fhir/R4/…, None for /fhir/…."""
    return (request.environ if environ is None else environ).get(ENVIRON_KEY)


def base_version() -> str | None:
    name = base_name()
    return versions.BASES[name] if name else None


def current() -> str:
    return g.get("fhir_version") or R5


def is_view() -> bool:
    return current() != R5


def full_version(version: str) -> str:
    return versions.VERSIONS[version]


def types_of(version: str) -> frozenset[str]:
    return RESOURCE_TYPES if version == R5 else versions.resource_types(version)


# --- types ----------------------------------------------------------------------------------------


def stored_type(view: str, version: str | None = None) -> tuple[str, dict[str, str]]:
    """(stored R5 type, constraints selecting it) behind a type of the request's version; 404 for a
    type that version does not define or that has no stored home."""
    version = version or current()
    if version == R5:
        return view, {}
    if view not in versions.resource_types(version):
        raise not_found(f"{view} is not a resource type of FHIR {full_version(version)}")
    r5, constraints = _r5_type(view, version)
    if r5 not in RESOURCE_TYPES:
        raise not_found(f"FHIR {full_version(version)} {view} has no home in this server")
    return r5, dict(constraints)


@cache
def _r5_type(view: str, version: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    r5, constraints = versions.r5_type(view, version)
    return r5, tuple(constraints.items())


def view_of(r5: str, resource: dict | None = None, version: str | None = None) -> str:
    version = version or current()
    return r5 if version == R5 else versions.view_type(r5, version, resource)


def check_selected(view: str, resource: dict | None) -> None:
    """404 when the stored resource is served as another view type (an indication is no
    MedicinalProductContraindication)."""
    if resource is not None and view_of(resource["resourceType"], resource) != view:
        raise not_found(f"{view}/{resource.get('id')} is not known")


# --- bodies out -----------------------------------------------------------------------------------


def out(body, version: str | None = None, links=None, conversion: Conversion | None = None) -> dict:
    """A response body in `version` (the request's): a resource, or a Bundle entry by entry.
    References to a type R4 splits are named by their targets (read when a view is made)."""
    version = version or current()
    if isinstance(body, StoredResource | SplicedSearchset):
        body = body.resource()
    if conversion is None:
        conversion = Conversion(current_app.extensions["fhir_repository"], version)
    if body.get("resourceType") == "Bundle":
        return out_bundle(body, version, links, conversion)
    return converted(body, version, conversion.resolve, conversion.generation)


# --- converted views, kept ------------------------------------------------------------------------
# A view is a function of the stored version and, through its references to a split type, of the
# `type` of their targets: kept per stored version and per generation of the split types (the latest
# version written of any of them), a kept view is dropped by the next write of such a target.
# Converting is the expensive part of a versioned read; the generation is one indexed max().
VIEWS_MAX_BYTES = 64 * 1024 * 1024
_views: OrderedDict[tuple, tuple[dict, bytes | None]] = OrderedDict()
_views_bytes = 0
_views_lock = threading.Lock()
_refs: dict[tuple, bool] = {}  # (type, id, versionId, lastUpdated, version) → refers to a split type


def refers_to_split(resource: dict, version: str) -> bool:
    """Does the resource (a stored version: its answer is kept) refer to a type `version` splits?"""
    meta = resource.get("meta") or {}
    stored_version = meta.get("versionId")
    key = (
        resource.get("resourceType"),
        resource.get("id"),
        str(stored_version),
        meta.get("lastUpdated"),
        version,
    )
    if stored_version is not None and key in _refs:
        return _refs[key]
    split = split_types(version)
    found = False
    for ref in iter_references(resource):
        target = split_relative(ref)
        if target and target[0] in split:
            found = True
            break
    if stored_version is not None:
        if len(_refs) >= 65536:
            _refs.clear()
        _refs[key] = found
    return found


def _view_key(resource: dict, version: str, generation) -> tuple | None:
    meta = resource.get("meta") or {}
    stored_version = meta.get("versionId")
    if not stored_version or not resource.get("id"):
        return None  # not a stored version (an outcome, a body being written)
    if any(tag.get("code") == "SUBSETTED" for tag in meta.get("tag") or ()):
        return None  # _summary/_elements: not the whole stored version
    pinned = generation() if refers_to_split(resource, version) else None
    # lastUpdated too: a versionId alone names a version only within one database
    return (
        resource["resourceType"],
        resource["id"],
        str(stored_version),
        meta.get("lastUpdated"),
        version,
        pinned,
    )


def converted(resource: dict, version: str, resolve, generation, *, as_bytes: bool = False):
    """to_version, kept (the comment above); with `as_bytes` its JSON bytes. The dict is shared:
    callers must not modify it."""
    key = _view_key(resource, version, generation)
    kept = _views.get(key) if key is not None else None
    if kept is None:
        resolve.prefetch(resource)
        view = versions.to_version(resource, version, resolve=resolve)
        kept = (view, to_json(view) if as_bytes else None)
        if key is not None:
            _keep(key, kept)
    elif as_bytes and kept[1] is None:
        kept = (kept[0], to_json(kept[0]))
        _keep(key, kept)
    return kept[1] if as_bytes else kept[0]


def _keep(key: tuple, kept: tuple) -> None:
    global _views_bytes
    size = len(kept[1] or b"") + 1024
    with _views_lock:
        old = _views.pop(key, None)
        if old is not None:
            _views_bytes -= len(old[1] or b"") + 1024
        _views[key] = kept
        _views_bytes += size
        while _views_bytes > VIEWS_MAX_BYTES and _views:
            _, dropped = _views.popitem(last=False)
            _views_bytes -= len(dropped[1] or b"") + 1024


def stored_view(stored: StoredResource, version: str, repository=None, generation=None) -> bytes:
    """The view's JSON of a stored version. A kept one is found from the row (and the generation)
    without parsing it."""
    repository = repository or current_app.extensions["fhir_repository"]
    generation = generation or Generation(repository, version)
    identity = (stored.type, stored.id, str(stored.version_id), format_instant(stored.last_updated))
    refers = _refs.get((*identity, version))
    if refers is not None:
        pinned = generation() if refers else None
        kept = _views.get((*identity, version, pinned))
        if kept is not None and kept[1] is not None:
            return kept[1]
    resource = stored.resource()
    return converted(resource, version, Resolver(repository, version), generation, as_bytes=True)


@cache
def split_types(version: str) -> frozenset[str]:
    """The stored types served as one of several view types, chosen by content."""
    return frozenset(t for t in RESOURCE_TYPES if len(versions.view_types(t, version)) > 1)


class Generation:
    """The latest version written of any split type (asked once, when a key needs it:
    Repository.latest_write)."""

    def __init__(self, repository, version: str):
        self.repository, self.version, self.value = repository, version, None

    def __call__(self):
        if self.value is None:
            latest = self.repository.latest_write
            self.value = tuple(str(latest(t)) for t in sorted(split_types(self.version)))
        return self.value


def read_view(repository, r5: str, rid: str, version: str) -> tuple[StoredResource, bytes] | None:
    """The current version of r5/rid and its view; None when it is not there or deleted (the route
    answers those)."""
    if len(split_types(version)) > 1:
        return None
    stored = repository.read(r5, rid)
    if stored is None or stored.deleted:
        return None
    return stored, stored_view(stored, version, repository)


class Resolver:
    """`resolve` for to_version: a referenced target as stored (read when asked, once each)."""

    def __init__(self, repository, version: str):
        self.repository, self.split, self.found = repository, split_types(version), {}

    def prefetch(self, body: dict) -> None:
        """Every split-type target the body refers to, in one query."""
        keys = set()
        for ref in iter_references(body):
            target = split_relative(ref)
            if target and target[0] in self.split and f"{target[0]}/{target[1]}" not in self.found:
                keys.add(target)
        if keys:
            with self.repository.unit_of_work(write=False) as uow:
                rows = uow.read_many(sorted(keys))
            self.found.update({f"{t}/{i}": None for t, i in keys})
            self.found.update({f"{t}/{i}": s for (t, i), s in rows.items() if not s.deleted})

    def __call__(self, ref: str) -> dict | None:
        if ref not in self.found:
            self.prefetch({"reference": ref})
        stored = self.found.get(ref)
        return stored.resource() if stored is not None else None


class Conversion:
    """What converting one response body shares: its targets read, the generation asked."""

    def __init__(self, repository, version: str):
        self.resolve = Resolver(repository, version)
        self.generation = Generation(repository, version)


def out_bundle(bundle: dict, version: str, links=None, conversion: Conversion | None = None) -> dict:
    """Each entry's resource (and outcome) converted, its URLs naming the view type; entries whose
    type this version does not define are left out (and then no total is claimed)."""
    known = types_of(version)
    entries, dropped = [], False
    for entry in bundle.get("entry") or []:
        entry = dict(entry)
        resource = entry.get("resource")
        r5 = resource.get("resourceType") if resource else None
        if resource is not None:
            try:
                view_resource = out(resource, version, conversion=conversion)
            except ValueError:  # a type this version does not define has no view
                dropped = True
                continue
            if view_resource.get("resourceType") not in known:
                dropped = True
                continue
            entry["resource"] = view_resource
            view = view_resource["resourceType"]
            if view != r5 and entry.get("fullUrl"):
                entry["fullUrl"] = _renamed(entry["fullUrl"], r5, view)
            if entry.get("request") and view != r5:
                entry["request"] = {**entry["request"], "url": _renamed(entry["request"]["url"], r5, view)}
        response = entry.get("response")
        if response:
            response = dict(response)
            if response.get("outcome"):
                response["outcome"] = out(response["outcome"], version, conversion=conversion)
            if response.get("location"):
                response["location"] = _location(response["location"], resource, version)
            entry["response"] = response
        entries.append(entry)
    shell = {k: v for k, v in bundle.items() if k not in ("entry", "issues")}
    if dropped:
        shell.pop("total", None)
    if links is not None and shell.get("link"):
        shell["link"] = [{**link, "url": links(link["url"])} for link in shell["link"]]
    if entries:
        shell["entry"] = entries
    return shell


def _renamed(url: str, r5: str, view: str) -> str:
    """`…/R5Type/id…` → `…/ViewType/id…` (the last occurrence of the type as a path segment)."""
    head, sep, tail = url.rpartition(f"{r5}/")
    if sep and (not head or head.endswith("/")):
        return f"{head}{view}/{tail}"
    if url == r5:
        return view
    return url


def _location(location: str, resource: dict | None, version: str) -> str:
    parts = location.split("/")
    for i, part in enumerate(parts):
        if part in RESOURCE_TYPES and i + 1 < len(parts):
            try:
                view = view_of(
                    part, resource if resource and resource.get("resourceType") == part else None, version
                )
            except Exception:  # a split type needs its resource to be named: leave the R5 name
                return location
            parts[i] = view
            return "/".join(parts)
    return location


# --- bodies in ------------------------------------------------------------------------------------


def body_version() -> str:
    """The version a request body is in: its Content-Type's `fhirVersion`, else the request's (its
    base's, else Accept's): a client that asks for R4 writes R4."""
    declared = short((request.mimetype_params or {}).get("fhirversion"))
    return declared or current()


def into(resource: dict, version: str) -> dict:
    """An R4/R4B body as the R5 resource to store."""
    if version == R5:
        return resource
    return versions.from_version(resource, version)


def into_exactly(resource: dict, version: str) -> dict:
    """An R4/R4B body as the R5 resource to store; 422 when that would lose something the client
    wrote (an element R5 has no home for in the map), rather than store less than was sent."""
    if version == R5:
        return resource
    resolve = Resolver(current_app.extensions["fhir_repository"], version)
    resolve.prefetch(resource)
    try:
        return versions.back_exactly(resource, version, resolve=resolve)
    except ValueError as exc:
        raise FhirError(422, f"{exc}; send it as R5 to /fhir", "processing") from exc


@dataclass
class ViewEntry:
    """How a Bundle entry's GET/HEAD in a view names the stored type, to answer it in the view."""

    view: str
    r5: str
    selected: bool  # a split type: only stored resources served as `view` answer it
    translation: Translation | None = None  # a type-level search


def into_bundle(bundle: dict, version: str) -> tuple[dict, list[ViewEntry | None]]:
    """A transaction/batch Bundle in `version` → R5, and for each read entry how to answer it in the
    view again (`answer_views`): a search is the R5 search with the view type's constraints, as the
    route runs it."""
    if version == R5:
        return bundle, []
    entries, views = [], []
    for raw in bundle.get("entry") or []:
        entry = dict(raw)
        resource = entry.get("resource")
        request_ = dict(entry.get("request") or {})
        url = str(request_.get("url") or "")
        path, _, query = url.partition("?")
        view = path.split("/")[0] or (resource or {}).get("resourceType")
        answer = None
        if view in versions.resource_types(version):
            r5, constraints = stored_type(view, version)
            if str(request_.get("method")).upper() in ("GET", "HEAD"):
                answer = ViewEntry(view, r5, bool(constraints))
            if path == view and answer is not None:
                answer.translation = Translation(parse_qsl(query, keep_blank_values=True), view, version)
                params = answer.translation.params
                request_["url"] = f"{r5}?{urlencode(params)}" if params else r5
            elif r5 != view:
                request_["url"] = r5 + url[len(view) :]
            if r5 != view and entry.get("fullUrl"):
                entry["fullUrl"] = _renamed(entry["fullUrl"], view, r5)
        views.append(answer)
        if request_:
            entry["request"] = request_
        if resource is not None:
            entry["resource"] = into(resource, version)
        entries.append(entry)
    converted = dict(bundle)
    if entries:
        converted["entry"] = entries
    return converted, views


def answer_views(response: dict, views: list[ViewEntry | None]) -> dict:
    """The R5 batch/transaction-response's read entries as the view's routes answer them: page links
    naming the view type, a split type's history holding only its own resources, and a read of a
    resource served as another view type 404."""
    for entry, view in zip(response.get("entry") or [], views, strict=False):
        resource = (entry or {}).get("resource")
        if view is None or resource is None:
            continue
        if resource.get("resourceType") == "Bundle" and resource.get("type") == "searchset":
            entry["resource"] = _relinked(resource, view.translation.link if view.translation else None)
        elif resource.get("resourceType") == "Bundle" and resource.get("type") == "history":
            entry["resource"] = view_history(resource, view.r5, view.view, view.selected)
        elif view.selected:
            try:
                check_selected(view.view, resource)
            except FhirError as error:
                entry.clear()
                entry["response"] = {"status": "404 Not Found", "outcome": error.outcome}
    return response


def view_history(bundle: dict, r5: str | None, view: str | None, selected: bool) -> dict:
    """An R5 history Bundle as the view's route answers it: `selected` (a split type) keeps only the
    resources served as `view` (a deletion's entry stays: what it deleted was), and no total; the
    links name the view type."""
    if selected:
        kept = [
            e
            for e in bundle.get("entry") or []
            if e.get("resource") is None or view_of(r5, e["resource"]) == view
        ]
        bundle = {k: v for k, v in bundle.items() if k not in ("entry", "total")}
        if kept:
            bundle["entry"] = kept
    renamed = r5 and view and r5 != view
    return _relinked(bundle, (lambda url: history_link(url, r5, view)) if renamed else None)


def _relinked(bundle: dict, link) -> dict:
    if link is None or not bundle.get("link"):
        return bundle
    return {**bundle, "link": [{**item, "url": link(item["url"])} for item in bundle["link"]]}


def refuse_patch() -> FhirError:
    return FhirError(
        405,
        f"PATCH through FHIR {full_version(current())} is not supported: a patch addresses the "
        f"elements of the stored R5 resource; send it without a fhirVersion to /fhir, or PUT the "
        f"whole resource in FHIR {full_version(current())}",
        "not-supported",
    )


# --- search parameters ----------------------------------------------------------------------------


class Translation:
    """A search in the request's version as the R5 search the index answers, and back: the page
    links of the R5 search name the view type and the parameters as the client sent them."""

    def __init__(self, params: list[tuple[str, str]], view: str | None, version: str):
        self.version, self.view = version, view
        self.r5, constraints = stored_type(view, version) if view else (None, {})
        self.added = list(constraints.items())
        self.back: dict[tuple[str, str], tuple[str, str]] = {}
        translated = []
        for key, value in params:
            pair = (self._key(key), self._value(key, value))
            if pair != (key, value):
                self.back[pair] = (key, value)
            translated.append(pair)
        self.params = translated + self.added

    def _type(self, name: str) -> str:
        if name in versions.resource_types(self.version):
            return stored_type(name, self.version)[0]
        return name

    def _key(self, key: str) -> str:
        name, sep, modifier = key.partition(":")
        if sep and modifier[:1].isupper():  # a type modifier of a reference parameter, maybe chained
            target, dot, chain = modifier.partition(".")
            return f"{name}:{self._type(target)}{dot}{chain}"
        return key

    def _value(self, key: str, value: str) -> str:
        name = key.split(":", 1)[0]
        if name in INCLUDE_KEYS:
            parts = value.split(":")
            return ":".join([self._type(parts[0]), *parts[1:2], *map(self._type, parts[2:3])])
        if name == "_type":
            return ",".join(self._type(t) for t in value.split(","))
        if "/" in value:
            return ",".join(self._reference(v) for v in value.split(","))
        return value

    def _reference(self, value: str) -> str:
        head, sep, rest = value.partition("/")
        return (
            f"{self._type(head)}/{rest}" if sep and head in versions.resource_types(self.version) else value
        )

    def link(self, url: str) -> str:
        scheme, netloc, path, query, fragment = urlsplit(url)
        if self.r5 and self.view and path.endswith(f"/{self.r5}"):
            path = path[: -len(self.r5)] + self.view
        pairs = parse_qsl(query, keep_blank_values=True)
        for added in self.added:  # the constraints are added again by the next request
            if added in pairs:
                pairs.remove(added)
        pairs = [self.back.get(p, p) for p in pairs]
        return urlunsplit((scheme, netloc, path, urlencode(pairs), fragment))


def history_link(url: str, r5: str, view: str) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    return urlunsplit((scheme, netloc, _renamed(path, r5, view), query, fragment))


# --- what each version defines (CapabilityStatement) ----------------------------------------------

DEFINITIONS = {"4.0": "r4", "4.3": "r4b"}


@cache
def version_search_params(version: str) -> dict[str, list[dict]]:
    """type → the search parameters FHIR `version` defines for it (from the official definitions
    shipped in fhir_service/definitions/data/<r4|r4b>/; empty when they are not installed)."""
    folder = resources.files("fhir_service.definitions") / "data" / DEFINITIONS[version]
    path = folder / "search-parameters.json.gz"
    try:
        with path.open("rb") as fh:
            params = json.loads(gzip.decompress(fh.read()))
    except (FileNotFoundError, OSError):
        return {}
    by_type: dict[str, list[dict]] = {}
    for p in params:
        for base in p.get("base") or []:
            by_type.setdefault(base, []).append(p)
    return by_type
