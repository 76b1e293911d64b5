"""`python -m bench.soak` (`make soak`): a bounded mixed load on loopback, then consistency checks.

A fresh database (SQLite file or a new PostgreSQL database) is seeded with `fhir-service ingest`,
`fhir-service serve` runs (granian) on 127.0.0.1, and N client threads mix reads/vreads (~50 %),
searches (~25 %: token, chained, _include), updates with If-Match (~15 %, some 412 expected) and
small transactions (~10 %: two creates linked by a urn:uuid reference plus one update) until the
deadline. Every write carries a unique marker (an identifier with MARKER_SYSTEM) and the clients record
what the server acknowledged: (type, id, versionId) from ETag / Location / the transaction-response.

Afterwards (violations make the exit status 1):
- statuses: anything but 2xx, or 412/409 on a write, is a violation, as is a transport error/timeout;
- history: the system `_history` since the start holds every acknowledged write exactly once, with
  its own marker at its acknowledged version; each resource's versions are contiguous; a version
  whose write was refused (412/409) is a violation; one whose write timed out is tolerated;
- reads: a client never reads an older version than one it wrote (no stale reads), and a vread of
  a version it wrote returns its marker;
- `fhir-service check` on the database (history rows, references, search index);
- memory: each server worker's VmRSS at the end vs. the first sample after the warm-up
  (default 10 % of the duration): growth above --max-rss-growth is a violation, so is a worker that
  died or was replaced.

With --interop (default seed: the shared corpus, ../shared/monographs), about a third of each client's
requests are what interoperability testing sends: XML reads (Accept: application/fhir+xml) and large
search pages (_count at the server's maximum, with _include/_revinclude, in JSON or XML, following
`next` for a page or two), and one more client runs Bulk exports end to end ($export kick-off,
status polls, every file downloaded and its lines counted against the manifest, then DELETE) until
the deadline; at least one export must complete. Every worker's RSS must also stay within
--max-rss-mib after the warm-up (default 300 MiB, the interop target).

With --terminate-backends S (PostgreSQL), every S seconds of the load every backend of the soak's
database is terminated (pg_terminate_backend), as a restart or an administrator would: 503 (with
Retry-After) is then an allowed answer to any request, and any other non-2xx still a violation; a
write answered 503 "nothing was stored" counts as refused (it must not be in the history), one
whose commit was cut (the outcome unknown) as uncertain. No acknowledged write may be lost or stored
twice, as always.

    python -m bench.soak --duration 600 --clients 16 --db sqlite
    python -m bench.soak --duration 120 --clients 8 --db postgresql --terminate-backends 2
    python -m bench.soak --duration 300 --db sqlite --interop
"""

from __future__ import annotations

import argparse
import contextlib
import html
import ipaddress
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import requests

from bench import databases, ingest, procs
from bench.server import Server, free_port
from fhir_service import limits
from fhir_service.search.query.parse import MAX_COUNT
from fhir_service.store.errors import NOTHING_STORED

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
MARKER_SYSTEM = "https://fhir-service.example/soak/write"
FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"
SHARED_CORPUS = ROOT.parent / "shared" / "monographs"
ORG_POOL = 12  # Organizations the clients fight over (soak-org-00 ...)
CUD_POOL = 8  # seed ClinicalUseDefinitions updated too (their search index rows change)
TIMEOUT = (5, 60)  # connect, read seconds
EXPECTED = {  # everything else: 200 only
    "update": {200, 409, 412},
    "transaction": {200, 409, 412},
    "export-kickoff": {202},
    "export-poll": {200, 202},
    "export-delete": {202},
}
INTEROP_SHARE = 0.35  # of each client's requests with --interop: half XML reads, half large pages
MORE_PAGES = 2  # `next` links a large-page request follows at most
EXPORT_GRACE = 120.0  # seconds an export still in flight at the deadline may take to complete
XML_VERSION = re.compile(rb'<versionId value="(\d+)"/>')
XML_NEXT = re.compile(rb'<relation value="next"/><url value="([^"]+)"/>')
MAX_LISTED = 200  # violations kept verbatim (the rest are counted)
ETAG = re.compile(r'^W/"(\d+)"$')


# --- the ledger: what the clients sent and what the server acknowledged --------------------------


@dataclass
class Write:
    """One write as the client saw it. key is None for a server-id create until it is acknowledged."""

    key: tuple[str, str] | None
    outcome: str = "pending"  # acked | refused | uncertain
    version: int | None = None


@dataclass
class Ledger:
    writes: dict[str, Write] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)  # (kind, status) → requests
    violations: list[str] = field(default_factory=list)
    violation_count: int = 0
    created: list[tuple[str, str]] = field(default_factory=list)  # acknowledged server-id creates
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str, status: int | str) -> None:
        with self.lock:
            self.counts[(kind, status)] += 1

    def violation(self, text: str) -> None:
        with self.lock:
            self.violation_count += 1
            if len(self.violations) < MAX_LISTED:
                self.violations.append(text)

    def sent(self, marker: str, key: tuple[str, str] | None) -> None:
        with self.lock:
            self.writes[marker] = Write(key)

    def settle(self, marker: str, outcome: str, key=None, version: int | None = None) -> None:
        with self.lock:
            write = self.writes[marker]
            write.outcome, write.version = outcome, version
            if key is not None:
                if write.key is None:
                    self.created.append(key)
                write.key = key

    def random_created(self, rng: random.Random) -> tuple[str, str] | None:
        with self.lock:
            return rng.choice(self.created) if self.created else None


def with_marker(resource: dict, marker: str) -> dict:
    """The resource with its soak identifier set to `marker` (other identifiers kept)."""
    kept = [i for i in resource.get("identifier", []) if i.get("system") != MARKER_SYSTEM]
    return {**resource, "identifier": [*kept, {"system": MARKER_SYSTEM, "value": marker}]}


def marker_of(resource: dict | None) -> str | None:
    for ident in (resource or {}).get("identifier", []):
        if ident.get("system") == MARKER_SYSTEM:
            return ident.get("value")
    return None


def etag_version(value: str | None) -> int | None:
    match = ETAG.match(value or "")
    return int(match.group(1)) if match else None


# --- the workload --------------------------------------------------------------------------------


@dataclass
class Workload:
    """What the clients pick from, read from the seeded database before the server starts."""

    read_keys: list[tuple[str, str]]
    update_keys: list[tuple[str, str]]
    org_keys: list[tuple[str, str]]
    searches: dict[str, list[str]]
    xml_keys: list[tuple[str, str]] = field(default_factory=list)  # --interop: read as XML
    large_pages: list[str] = field(default_factory=list)  # --interop: searches at the maximum _count

    @property
    def interop(self) -> bool:
        return bool(self.xml_keys or self.large_pages)


def large_pages(count: int) -> list[str]:
    """Searches whose pages are as large as the server makes them, with what they include."""
    return [
        f"ClinicalUseDefinition?_count={count}&_include=ClinicalUseDefinition:subject",
        f"ClinicalUseDefinition?_count={count}&_revinclude=MedicationKnowledge:clinical-use-issue",
        f"MedicationKnowledge?_count={count}&_include=MedicationKnowledge:clinical-use-issue"
        "&_include=MedicationKnowledge:monograph&_revinclude=Provenance:target",
        f"MedicinalProductDefinition?_count={count}&_revinclude=ClinicalUseDefinition:subject"
        "&_revinclude=MedicationKnowledge:definition",
        f"DocumentReference?_count={count}&_revinclude=MedicationKnowledge:monograph",
        f"Group?_count={count}",
    ]


def build_workload(url: str, interop: bool = False, max_count: int = MAX_COUNT) -> Workload:
    def load(rtype, limit):
        return [json.loads(c) for c in databases.sample_contents(url, rtype, limit)]

    mks, mpds = load("MedicationKnowledge", 20), load("MedicinalProductDefinition", 20)
    cuds = load("ClinicalUseDefinition", 200)
    others = load(None, 200)
    names = [m["name"][0]["productName"] for m in mpds if m.get("name")]
    types = sorted({c["type"] for c in cuds if c.get("type")})
    texts = sorted({n.split()[0].lower() for n in names})
    searches = {
        "search-token": [f"ClinicalUseDefinition?type={t}&_count=10" for t in types],
        "search-chained": [
            f"ClinicalUseDefinition?subject:MedicinalProductDefinition.name={quote(n)}&_count=10"
            for n in names
        ],
        "search-include": [
            *(
                f"ClinicalUseDefinition?type={t}&_count=10&_include=ClinicalUseDefinition:subject"
                for t in types
            ),
            *(
                f"MedicationKnowledge?code:text={quote(t)}&_include=MedicationKnowledge:clinical-use-issue"
                for t in texts
            ),
        ],
    }
    orgs = [("Organization", f"soak-org-{i:02d}") for i in range(ORG_POOL)]
    seed_keys = [(r["resourceType"], r["id"]) for r in [*mks, *mpds, *others]]
    return Workload(
        read_keys=sorted(set(seed_keys)),
        update_keys=[*orgs, *[("ClinicalUseDefinition", c["id"]) for c in cuds[:CUD_POOL]]],
        org_keys=orgs,
        searches={k: v for k, v in searches.items() if v},
        xml_keys=databases.sample_keys(url) if interop else [],
        large_pages=large_pages(max_count) if interop else [],
    )


def server_max_count(env: dict) -> int:
    """The largest page the server makes: its FHIR_SERVICE_MAX_COUNT, within the engine's own cap."""
    return min(limits.from_env(env).count, MAX_COUNT)


class Client(threading.Thread):
    def __init__(
        self, number: int, base: str, workload: Workload, ledger: Ledger, deadline: float, unavailable=False
    ):
        super().__init__(name=f"soak-client-{number}", daemon=True)
        self.base, self.workload, self.ledger, self.deadline = base, workload, ledger, deadline
        self.also_expected = {503} if unavailable else set()  # backends are being terminated
        self.rng = random.Random(number)
        self.http = requests.Session()
        self.http.headers.update({"Accept": FHIR_JSON})
        self.cache: dict[tuple[str, str], dict] = {}  # last version this client saw, for If-Match
        self.written: dict[tuple[str, str], tuple[int, str]] = {}  # key → (highest version, marker) acked

    def run(self):
        while time.monotonic() < self.deadline:
            r = self.rng.random()
            try:
                if self.workload.interop and self.rng.random() < INTEROP_SHARE:
                    self.xml_read() if self.rng.random() < 0.5 else self.large_page()
                elif r < 0.35:
                    self.read()
                elif r < 0.50:
                    self.vread()
                elif r < 0.75:
                    self.search()
                elif r < 0.90:
                    self.update()
                else:
                    self.transaction()
            except Exception as exc:  # noqa: BLE001 - a client bug must not end the soak silently
                self.ledger.violation(f"client {self.name}: {exc.__class__.__name__}: {exc}")
        self.http.close()

    # each request goes through here: counts, unexpected statuses, transport errors
    def send(self, kind: str, method: str, path: str, **kwargs) -> requests.Response | None:
        url = path if path.startswith(("http://", "https://")) else f"{self.base}/fhir/{path}"
        try:
            resp = self.http.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            self.ledger.count(kind, exc.__class__.__name__)
            self.ledger.violation(f"{kind} {method} {path}: {exc.__class__.__name__}: {exc}")
            return None
        self.ledger.count(kind, resp.status_code)
        if resp.status_code == 503 and "Retry-After" not in resp.headers:
            self.ledger.violation(f"{kind} {method} {path}: 503 without Retry-After")
        if resp.status_code not in EXPECTED.get(kind, {200}) | self.also_expected:
            self.ledger.violation(f"{kind} {method} {path}: HTTP {resp.status_code} {resp.text[:300]}")
        return resp

    def pick_read_key(self) -> tuple[str, str]:
        r = self.rng.random()
        if r < 0.2:
            return self.rng.choice(self.workload.update_keys)
        if r < 0.4:
            return self.ledger.random_created(self.rng) or self.rng.choice(self.workload.read_keys)
        return self.rng.choice(self.workload.read_keys)

    def read(self, key: tuple[str, str] | None = None, kind: str = "read") -> dict | None:
        key = key or self.pick_read_key()
        resp = self.send(kind, "GET", f"{key[0]}/{key[1]}")
        if resp is None or resp.status_code != 200:
            return None
        resource = resp.json()
        version = int(resource["meta"]["versionId"])
        if etag_version(resp.headers.get("ETag")) != version:
            self.ledger.violation(f"read {key}: ETag {resp.headers.get('ETag')} but versionId {version}")
        mine = self.written.get(key)
        if mine and version < mine[0]:
            self.ledger.violation(f"stale read {key}: version {version} after this client wrote {mine[0]}")
        if key in self.workload.update_keys:
            self.cache[key] = resource
        return resource

    def xml_read(self):
        key = self.rng.choice(self.workload.xml_keys)
        resp = self.send("read-xml", "GET", f"{key[0]}/{key[1]}", headers={"Accept": FHIR_XML})
        if resp is None or resp.status_code != 200:
            return
        body = resp.content
        found = XML_VERSION.search(body)
        if not resp.headers.get("Content-Type", "").startswith(FHIR_XML) or found is None:
            self.ledger.violation(f"read-xml {key}: not FHIR XML: {body[:200]!r}")
            return
        if f'<id value="{key[1]}"/>'.encode() not in body:
            self.ledger.violation(f"read-xml {key}: the XML is not of {key[1]}")
        version = int(found.group(1))
        if etag_version(resp.headers.get("ETag")) != version:
            self.ledger.violation(f"read-xml {key}: ETag {resp.headers.get('ETag')} but versionId {version}")
        mine = self.written.get(key)
        if mine and version < mine[0]:
            self.ledger.violation(f"stale read {key}: version {version} after this client wrote {mine[0]}")

    def large_page(self):
        """A search at the maximum _count, in JSON or XML, and a page or two more through `next`."""
        xml = self.rng.random() < 0.5
        kind = "page-xml" if xml else "page-json"
        url = self.rng.choice(self.workload.large_pages)
        for _ in range(1 + self.rng.randint(0, MORE_PAGES)):
            resp = self.send(kind, "GET", url, headers={"Accept": FHIR_XML if xml else FHIR_JSON})
            if resp is None or resp.status_code != 200:
                return
            url = self._next_xml(resp, url) if xml else self._next_json(resp, url)
            if url is None:
                return

    def _next_json(self, resp: requests.Response, url: str) -> str | None:
        bundle = resp.json()
        if bundle.get("type") != "searchset" or not bundle.get("entry"):
            self.ledger.violation(f"page-json {url}: not a searchset Bundle with entries")
            return None
        return next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)

    def _next_xml(self, resp: requests.Response, url: str) -> str | None:
        body = resp.content
        if b'<type value="searchset"/>' not in body[:2000] or b"<entry>" not in body:
            self.ledger.violation(f"page-xml {url}: not a searchset Bundle with entries: {body[:200]!r}")
            return None
        found = XML_NEXT.search(body)
        return html.unescape(found.group(1).decode()) if found else None

    def vread(self):
        if self.written and self.rng.random() < 0.5:
            key = self.rng.choice(list(self.written))
            version, marker = self.written[key]
        else:
            key, version, marker = self.rng.choice(self.workload.read_keys), 1, None
        resp = self.send("vread", "GET", f"{key[0]}/{key[1]}/_history/{version}")
        if resp is not None and resp.status_code == 200 and marker and marker_of(resp.json()) != marker:
            self.ledger.violation(f"vread {key} v{version}: marker {marker_of(resp.json())}, wrote {marker}")

    def search(self):
        kind = self.rng.choice(sorted(self.workload.searches))
        path = self.rng.choice(self.workload.searches[kind])
        resp = self.send(kind, "GET", path)
        if resp is None or resp.status_code != 200:
            return
        bundle = resp.json()
        matches = [e for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == "match"]
        if bundle.get("type") != "searchset":
            self.ledger.violation(f"{kind} {path}: not a searchset Bundle")
        elif kind == "search-token" and not matches:  # its codes come from the seed, which stays
            self.ledger.violation(f"{kind} {path}: no match while updates rewrite the index rows")

    def update(self):
        key = self.rng.choice(self.workload.update_keys)
        current = self.cache.get(key) or self.read(key, kind="read")
        if current is None:
            return
        marker = uuid.uuid4().hex
        body = with_marker(current, marker)
        if key[0] == "Organization":
            body["name"] = f"Soak organization {key[1]} {marker[:8]}"
        headers = {"Content-Type": FHIR_JSON, "If-Match": f'W/"{current["meta"]["versionId"]}"'}
        self.ledger.sent(marker, key)
        resp = self.send("update", "PUT", f"{key[0]}/{key[1]}", data=json.dumps(body), headers=headers)
        if resp is None or resp.status_code >= 500:
            self.ledger.settle(marker, "refused" if nothing_stored(resp) else "uncertain")
            self.cache.pop(key, None)
        elif resp.status_code == 200:
            version = etag_version(resp.headers.get("ETag"))
            stored = resp.json()
            if version is None or str(version) != stored.get("meta", {}).get("versionId"):
                self.ledger.violation(f"update {key}: ETag {resp.headers.get('ETag')} vs body meta")
            self.acked(marker, key, version or 0)
            self.cache[key] = stored
        else:
            self.ledger.settle(marker, "refused")
            self.cache.pop(key, None)

    def transaction(self):
        org_url = f"urn:uuid:{uuid.uuid4()}"
        markers = [uuid.uuid4().hex for _ in range(3)]
        target = self.rng.choice(self.workload.org_keys)
        put = {"resourceType": "Organization", "id": target[1], "name": f"Soak organization {target[1]}"}
        request = {"method": "PUT", "url": f"{target[0]}/{target[1]}"}
        cached = self.cache.get(target)
        if cached is not None and self.rng.random() < 0.3:
            request["ifMatch"] = f'W/"{cached["meta"]["versionId"]}"'
        org = {"resourceType": "Organization", "name": f"Soak transaction {markers[0][:8]}"}
        location = {
            "resourceType": "Location",
            "name": f"Soak site {markers[1][:8]}",
            "managingOrganization": {"reference": org_url},
        }
        entries = [
            {
                "fullUrl": org_url,
                "resource": with_marker(org, markers[0]),
                "request": {"method": "POST", "url": "Organization"},
            },
            {"resource": with_marker(location, markers[1]), "request": {"method": "POST", "url": "Location"}},
            {"resource": with_marker(put, markers[2]), "request": request},
        ]
        for marker, key in zip(markers, (None, None, target), strict=True):
            self.ledger.sent(marker, key)
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        resp = self.send(
            "transaction", "POST", "", data=json.dumps(bundle), headers={"Content-Type": FHIR_JSON}
        )
        if resp is None or resp.status_code >= 500:
            for marker in markers:
                self.ledger.settle(marker, "refused" if nothing_stored(resp) else "uncertain")
            self.cache.pop(target, None)
            return
        if resp.status_code != 200:
            for marker in markers:
                self.ledger.settle(marker, "refused")
            self.cache.pop(target, None)
            return
        answers = resp.json().get("entry", [])
        if len(answers) != len(entries):
            self.ledger.violation(f"transaction: {len(answers)} response entries for {len(entries)}")
            for marker in markers:
                self.ledger.settle(marker, "uncertain")
            return
        for marker, answer, sent in zip(markers, answers, entries, strict=True):
            location = answer.get("response", {}).get("location", "")
            parts = location.split("/")
            if len(parts) != 4 or parts[2] != "_history" or not parts[3].isdigit():
                self.ledger.violation(f"transaction: entry location {location!r}")
                self.ledger.settle(marker, "uncertain")
                continue
            key, version = (parts[0], parts[1]), int(parts[3])
            if etag_version(answer["response"].get("etag")) != version:
                self.ledger.violation(f"transaction: etag {answer['response'].get('etag')} vs {location}")
            self.acked(marker, key, version)
            if key == target:
                self.cache[key] = {**sent["resource"], "meta": {"versionId": str(version)}}

    def acked(self, marker: str, key: tuple[str, str], version: int) -> None:
        self.ledger.settle(marker, "acked", key, version)
        if version > self.written.get(key, (0, ""))[0]:
            self.written[key] = (version, marker)


def nothing_stored(resp: requests.Response | None) -> bool:
    """A 503 the server gave because the connection was lost before COMMIT: certainly not stored."""
    if resp is None or resp.status_code != 503:
        return False
    with contextlib.suppress(ValueError):
        return any(i.get("diagnostics") == NOTHING_STORED for i in resp.json().get("issue", []))
    return False


class Exporter(Client):
    """Bulk exports one after another until the deadline (one still in flight may finish within
    EXPORT_GRACE): kick-off, polls as Retry-After says, every file downloaded and its lines counted
    against the manifest, then DELETE. → self.stats"""

    def __init__(self, base: str, workload: Workload, ledger: Ledger, deadline: float, unavailable=False):
        super().__init__(-1, base, workload, ledger, deadline, unavailable)
        self.name = "soak-exporter"
        self.stats = {"completed": 0, "files": 0, "resources": 0, "seconds": []}

    def run(self):
        types = sorted({k[0] for k in self.workload.xml_keys} - {"SearchParameter"})
        while time.monotonic() < self.deadline:
            try:
                # every other export is of two types only: _type is part of what clients send
                chosen = self.rng.sample(types, 2) if types and self.stats["completed"] % 2 else None
                if not self.export(chosen):
                    time.sleep(1)
            except Exception as exc:  # noqa: BLE001 - a client bug must not end the soak silently
                self.ledger.violation(f"client {self.name}: {exc.__class__.__name__}: {exc}")
                time.sleep(1)
        self.http.close()

    def export(self, types: list[str] | None) -> bool:
        started = time.monotonic()
        path = "$export" + (f"?_type={','.join(types)}" if types else "")
        resp = self.send("export-kickoff", "GET", path, headers={"Prefer": "respond-async"})
        status_url = resp.headers.get("Content-Location") if resp is not None else None
        if resp is None or resp.status_code != 202 or not status_url:
            return False
        while True:
            resp = self.send("export-poll", "GET", status_url)
            if resp is None or resp.status_code not in (200, 202):
                return False
            if resp.status_code == 200:
                break
            if time.monotonic() > self.deadline + EXPORT_GRACE:
                self.ledger.violation(
                    f"export {status_url}: not complete {EXPORT_GRACE:.0f} s after the deadline"
                )
                return False
            time.sleep(min(float(resp.headers.get("Retry-After") or 1), 1.0))
        manifest = resp.json()
        for output in manifest.get("output", []):
            if types and output["type"] not in types:
                self.ledger.violation(f"export {path}: a file of {output['type']}")
            self.download(output)
        self.send("export-delete", "DELETE", status_url)
        self.stats["completed"] += 1
        self.stats["seconds"].append(round(time.monotonic() - started, 2))
        return True

    def download(self, output: dict) -> None:
        resp = self.send("export-file", "GET", output["url"], headers={"Accept": "application/fhir+ndjson"})
        if resp is None or resp.status_code != 200:
            return
        lines = resp.content.splitlines()
        first = json.loads(lines[0]) if lines else {}
        if len(lines) != output["count"] or first.get("resourceType") != output["type"]:
            self.ledger.violation(
                f"export file {output['url']}: {len(lines)} lines of {first.get('resourceType')}, "
                f"the manifest says {output['count']} of {output['type']}"
            )
        self.stats["files"] += 1
        self.stats["resources"] += len(lines)


class Terminator(threading.Thread):
    """Every `interval` seconds, pg_terminate_backend on every other client backend of the database."""

    def __init__(self, url: str, interval: float):
        super().__init__(name="soak-terminator", daemon=True)
        self.url, self.interval = url, interval
        self.rounds, self.terminated, self.errors = 0, 0, []
        self._done = threading.Event()

    def run(self):
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        statement = text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        try:
            while not self._done.wait(self.interval):
                try:
                    with engine.connect() as conn:
                        self.terminated += conn.execute(statement).scalar() or 0
                    self.rounds += 1
                except Exception as exc:  # noqa: BLE001 - reported with the results, the soak goes on
                    self.errors.append(f"{exc.__class__.__name__}: {exc}"[:300])
        finally:
            engine.dispose()

    def stop(self) -> dict:
        self._done.set()
        self.join()
        return {"interval_s": self.interval, "rounds": self.rounds, "backends": self.terminated}


# --- the history check (pure: unit-tested on synthetic histories) ---------------------------------


def check_history(
    versions: list[tuple[tuple[str, str], int, str | None]],
    writes: dict[str, Write],
    baselines: dict[tuple[str, str], int],
    current: dict[tuple[str, str], int] | None = None,
) -> tuple[list[str], dict]:
    """Compare the history written during the soak with the ledger.

    versions: (key, versionId, marker) of every version in the history since the soak started;
    baselines: each pre-existing resource's version before the soak (others start at version 1);
    current: the version a read returns now, for the resources that were read back.
    → (violations, statistics)."""
    problems: list[str] = []
    by_key: dict[tuple[str, str], list[int]] = {}
    seen: dict[str, tuple[tuple[str, str], int]] = {}
    tolerated = 0
    for key, version, marker in versions:
        by_key.setdefault(key, []).append(version)
        if marker is None:
            problems.append(f"{key[0]}/{key[1]} v{version}: no soak marker (a write nobody sent)")
            continue
        if marker in seen:
            problems.append(f"{key[0]}/{key[1]} v{version}: marker {marker} also stored as {seen[marker]}")
            continue
        seen[marker] = (key, version)
        write = writes.get(marker)
        if write is None:
            problems.append(f"{key[0]}/{key[1]} v{version}: marker {marker} was never sent")
        elif write.outcome == "acked" and (write.key, write.version) != (key, version):
            problems.append(
                f"{key[0]}/{key[1]} v{version}: write acknowledged as {write.key} v{write.version} is stored here"
            )
        elif write.outcome == "refused":
            problems.append(f"{key[0]}/{key[1]} v{version}: stored although the server refused it (412/409)")
        elif write.outcome != "acked":
            tolerated += 1  # timed out or failed: it may or may not have been stored
    acked = [(m, w) for m, w in writes.items() if w.outcome == "acked"]
    for marker, write in acked:
        if marker not in seen:
            problems.append(f"lost write: {write.key} v{write.version} (marker {marker}) not in the history")
    for key, vs in sorted(by_key.items()):
        start = baselines.get(key, 0) + 1
        expected = list(range(start, start + len(vs)))
        if sorted(vs) != expected:
            problems.append(f"{key[0]}/{key[1]}: versions {sorted(vs)[:20]} are not contiguous from {start}")
        if current and key in current and current[key] != max(vs):
            problems.append(f"{key[0]}/{key[1]}: read returns v{current[key]}, history ends at v{max(vs)}")
    stats = {"versions": len(versions), "resources": len(by_key), "acked": len(acked), "tolerated": tolerated}
    return problems, stats


def fetch_history(base: str, since: str) -> list[tuple[tuple[str, str], int, str | None]]:
    """Every version in the system history since `since`, following `next` links."""
    out = []
    url = f"{base}/fhir/_history?_since={quote(since)}&_count=1000"
    with requests.Session() as http:
        while url:
            resp = http.get(url, headers={"Accept": FHIR_JSON}, timeout=(5, 300))
            resp.raise_for_status()
            bundle = resp.json()
            for entry in bundle.get("entry", []):
                rtype, rid = entry["fullUrl"].rstrip("/").split("/")[-2:]
                version = etag_version(entry["response"]["etag"])
                out.append(((rtype, rid), version, marker_of(entry.get("resource"))))
            url = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)
    return out


def history_after_seed(base: str) -> str:
    """A `_since` that excludes the seed: 1 ms after the newest stored version (`_since` is inclusive).
    "Now minus a second" took in the seed whenever the server started within a second of the ingest."""
    resp = requests.get(f"{base}/fhir/_history?_count=1", headers={"Accept": FHIR_JSON}, timeout=(5, 60))
    resp.raise_for_status()
    entries = resp.json().get("entry", [])
    newest = (
        datetime.fromisoformat(entries[0]["resource"]["meta"]["lastUpdated"])
        if entries
        else datetime.now(UTC)
    )
    return (newest + timedelta(milliseconds=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def current_versions(base: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    with requests.Session() as http:
        found = {}
        for rtype, rid in keys:
            resp = http.get(f"{base}/fhir/{rtype}/{rid}", headers={"Accept": FHIR_JSON}, timeout=TIMEOUT)
            if resp.status_code == 200:
                found[(rtype, rid)] = etag_version(resp.headers.get("ETag"))
    return found


# --- memory --------------------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """VmRSS (KiB) of each server worker every `interval` seconds: [(seconds since start, {pid: kib})]."""

    def __init__(self, server_pid: int, interval: float):
        super().__init__(name="soak-rss", daemon=True)
        self.server_pid, self.interval = server_pid, interval
        self.samples: list[tuple[float, dict[int, int]]] = []
        self._done = threading.Event()
        self._t0 = time.monotonic()

    def run(self):
        while True:
            self.sample()
            if self._done.wait(self.interval):
                return

    def sample(self):
        rss = {pid: procs.rss_kib(pid) for pid in procs.worker_pids(self.server_pid)}
        self.samples.append((time.monotonic() - self._t0, {p: k for p, k in rss.items() if k}))

    def stop(self):
        self._done.set()
        self.join()
        self.sample()  # the end sample, after the last request


# SQLAlchemy's pool reports the failed rollback of a connection whose backend was terminated under this
# heading; the connection is discarded and the request already answered 503
POOL_RESET = "Exception during reset or similar"


def tracebacks(log_text: str, expected_pool_resets: bool = False) -> list[str]:
    """The server log's tracebacks, less the pool's reports of resetting a terminated connection."""
    found, in_pool_report = [], False
    for line in log_text.splitlines():
        if line.startswith(POOL_RESET):
            in_pool_report = expected_pool_resets
        elif line.startswith("{"):  # an access-log line ends any report before it
            in_pool_report = False
        elif "Traceback" in line and not in_pool_report:
            found.append(line)
    return found


def rss_report(
    samples, warmup: float, limit: float, max_mib: float | None = None
) -> tuple[list[dict], list[str]]:
    """Per worker: RSS at the first sample after the warm-up, at the end and its peak after the
    warm-up; growth above `limit` and (when given) a peak above `max_mib` are violations.
    → (rows, violations)."""
    after = [s for s in samples if s[0] >= warmup]
    if len(after) < 2:
        return [], [f"memory: fewer than two RSS samples after the {warmup:.0f} s warm-up"]
    (t_warm, warm), (t_end, end) = after[0], after[-1]
    rows, problems = [], []
    for pid in sorted(set(warm) | set(end)):
        a, b = warm.get(pid), end.get(pid)
        growth = (b - a) / a if a and b else None
        peak_t, peak = max(((t, s.get(pid, 0)) for t, s in after), key=lambda ts: ts[1])
        rows.append(
            {
                "pid": pid,
                "warm_mib": a and a / 1024,
                "end_mib": b and b / 1024,
                "peak_mib": peak / 1024,
                "growth": growth,
            }
        )
        if max_mib is not None and peak / 1024 > max_mib:
            problems.append(
                f"memory: worker {pid} reached {peak / 1024:.1f} MiB at {peak_t:.0f} s (limit {max_mib:.0f} MiB)"
            )
        if a is None:
            problems.append(f"memory: worker {pid} appeared after the warm-up (a worker was replaced)")
        elif b is None:
            problems.append(f"memory: worker {pid} is gone at the end (it died or was killed)")
        elif growth is not None and growth > limit:
            problems.append(
                f"memory: worker {pid} grew {growth:.1%} ({a / 1024:.1f} → {b / 1024:.1f} MiB) "
                f"between {t_warm:.0f} s and {t_end:.0f} s (limit {limit:.0%})"
            )
    return rows, problems


# --- the run -------------------------------------------------------------------------------------


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=600.0, help="seconds of load (at most 600)")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--database-url", help="use this empty database instead of creating one (tests)")
    p.add_argument(
        "--seed",
        type=Path,
        help="what to ingest first (default: fixtures/monographs; with --interop the shared corpus)",
    )
    p.add_argument(
        "--interop",
        action="store_true",
        help="add XML reads, large pages (_include/_revinclude) and Bulk exports to the mix",
    )
    p.add_argument("--host", default="127.0.0.1", help="loopback only")
    p.add_argument("--port", type=int, default=0, help="default: a free port")
    p.add_argument("--workers", type=int, default=None, help="server workers (default: serve's own)")
    p.add_argument("--warmup", type=float, default=0.1, help="fraction of the duration before RSS counts")
    p.add_argument("--max-rss-growth", type=float, default=0.10, help="per worker, after the warm-up")
    p.add_argument(
        "--max-rss-mib", type=float, default=300.0, help="per worker, any sample after the warm-up (0: none)"
    )
    p.add_argument("--out", type=Path, help="JSON results (default bench/results/soak-<db>-<time>.json)")
    p.add_argument("--workdir", type=Path, help="keep logs and the SQLite file here (default: a temp dir)")
    p.add_argument(
        "--terminate-backends",
        type=float,
        default=0.0,
        metavar="S",
        help="PostgreSQL: terminate the database's backends every S seconds of the load (0: never)",
    )
    args = p.parse_args(argv)
    if not loopback(args.host):
        p.error(f"--host {args.host} is not a loopback address: the soak only runs on this machine")
    if not 0 < args.duration <= 600:
        p.error("--duration must be in (0, 600] seconds")
    if args.seed is None:
        args.seed = SHARED_CORPUS if args.interop else ROOT / "fixtures" / "monographs"
    if not args.seed.exists():
        p.error(f"--seed {args.seed} does not exist")
    if args.terminate_backends < 0:
        p.error("--terminate-backends must be a positive number of seconds (or 0)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    db = args.db
    if args.database_url:
        db = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
    if args.terminate_backends and db != "postgresql":
        print("soak: --terminate-backends needs PostgreSQL", file=sys.stderr)
        return 2
    out = args.out or RESULTS / f"soak-{db}-{started:%Y%m%dT%H%M%SZ}.json"
    with contextlib.ExitStack() as stack:
        work = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
        work.mkdir(parents=True, exist_ok=True)
        if args.database_url:
            url = args.database_url
        else:
            if db == "postgresql" and (reason := databases.postgres_available()):
                print(f"soak: {reason}", file=sys.stderr)
                return 2
            url = stack.enter_context(databases.fresh_database(db, work))
        results = run(args, db, url, work)
    results["meta"]["started"] = started.isoformat()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print_summary(results)
    print(f"soak: results in {out}")
    return 1 if results["violations"]["count"] else 0


def run(args, db: str, url: str, work: Path) -> dict:
    t0 = time.monotonic()
    print(f"soak: seeding {db} database from {args.seed} ...", flush=True)
    row = ingest.run(ingest.cli(), url, [args.seed], work / "ingest.log", 900)
    if row["status"] != "ok":
        raise SystemExit(f"soak: ingest failed ({row['status']}); see {work / 'ingest.log'}")
    env = {**os.environ, "FHIR_SERVICE_DATABASE_URL": url, "FHIR_SERVICE_BULK_DIR": str(work / "bulk")}
    workload = build_workload(url, args.interop, server_max_count(env))
    port = args.port or free_port()
    cmd = [*ingest.cli(), "serve", "--host", args.host, "--port", str(port)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    ledger = Ledger()
    log = work / "serve.log"
    with Server(cmd, port, "/fhir/metadata", log, env) as server:
        since = history_after_seed(server.base)
        baselines = current_versions(server.base, workload.update_keys)
        setup_organizations(server.base, workload, ledger)
        print(
            f"soak: [{time.monotonic() - t0:.0f} s] {args.clients} clients for {args.duration:.0f} s "
            f"on {server.base} ...",
            flush=True,
        )
        sampler = RssSampler(server.proc.pid, interval=max(1.0, args.duration / 60))
        sampler.start()
        terminating = bool(args.terminate_backends)
        terminator = Terminator(url, args.terminate_backends) if terminating else None
        deadline = time.monotonic() + args.duration
        clients = [
            Client(i, server.base, workload, ledger, deadline, terminating) for i in range(args.clients)
        ]
        exporter = Exporter(server.base, workload, ledger, deadline, terminating) if args.interop else None
        for c in [*clients, *([exporter] if exporter else []), *([terminator] if terminator else [])]:
            c.start()
        for c in [*clients, *([exporter] if exporter else [])]:
            c.join()
        terminations = terminator.stop() if terminator else None
        sampler.stop()
        print(f"soak: [{time.monotonic() - t0:.0f} s] checking the history ...", flush=True)
        history = fetch_history(server.base, since)
        current = current_versions(server.base, workload.update_keys)
        history_problems, history_stats = check_history(history, ledger.writes, baselines, current)
    server_errors = tracebacks(log.read_text(errors="replace"), expected_pool_resets=terminator is not None)
    print(f"soak: [{time.monotonic() - t0:.0f} s] fhir-service check ...", flush=True)
    check = subprocess.run(
        [*ingest.cli(), "check", "--database-url", url], capture_output=True, text=True, check=False
    )
    rss_rows, rss_problems = rss_report(
        sampler.samples, args.duration * args.warmup, args.max_rss_growth, args.max_rss_mib or None
    )
    problems = list(ledger.violations)
    problems += history_problems + rss_problems
    if server_errors:
        problems.append(f"server log: {len(server_errors)} tracebacks (see {log})")
    if check.returncode != 0:
        problems.append(f"fhir-service check failed: {(check.stderr + check.stdout).strip()[-2000:]}")
    if exporter is not None and not exporter.stats["completed"]:
        problems.append("$export: no export completed")
    if terminator is not None:
        problems += [f"terminating backends: {error}" for error in terminator.errors]
        if not terminations["backends"]:
            problems.append("--terminate-backends: no backend was terminated (nothing was tested)")
    count = ledger.violation_count - len(ledger.violations) + len(problems)
    return {
        "meta": {
            "db": db,
            "duration_s": args.duration,
            "clients": args.clients,
            "seed": str(args.seed),
            "interop": args.interop,
            "workers": len(sampler.samples[-1][1]) if sampler.samples else None,
            "args": {k: str(v) for k, v in vars(args).items()},
        },
        "requests": _nested(ledger.counts),
        "writes": dict(Counter(w.outcome for w in ledger.writes.values())),
        "history": history_stats,
        "check": (check.stdout + check.stderr).strip().splitlines()[-1:]
        if (check.stdout + check.stderr).strip()
        else [],
        "rss": {
            "samples": [[t, {str(p): k for p, k in s.items()}] for t, s in sampler.samples],
            "workers": rss_rows,
            "warmup_s": args.duration * args.warmup,
            "max_growth": args.max_rss_growth,
            "max_mib": args.max_rss_mib or None,
        },
        "terminations": terminations,
        "exports": exporter.stats if exporter is not None else None,
        "violations": {"count": count, "listed": problems},
    }


def setup_organizations(base: str, workload: Workload, ledger: Ledger) -> None:
    """The Organization pool: created before the clients start (their versions count as writes too)."""
    with requests.Session() as http:
        for rtype, rid in workload.org_keys:
            marker = uuid.uuid4().hex
            body = with_marker({"resourceType": rtype, "id": rid, "name": f"Soak organization {rid}"}, marker)
            ledger.sent(marker, (rtype, rid))
            resp = http.put(
                f"{base}/fhir/{rtype}/{rid}",
                data=json.dumps(body),
                headers={"Content-Type": FHIR_JSON},
                timeout=TIMEOUT,
            )
            resp.raise_for_status()
            ledger.settle(marker, "acked", (rtype, rid), etag_version(resp.headers.get("ETag")))


def _nested(counts: Counter) -> dict:
    out: dict[str, dict[str, int]] = {}
    for (kind, status), n in sorted(counts.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        out.setdefault(kind, {})[str(status)] = n
    return out


def print_rss(rss: dict, rows: int = 12) -> None:
    """Each worker's RSS over time (about `rows` samples), then its verdict."""
    samples = rss["samples"]
    pids = [str(w["pid"]) for w in rss["workers"]]
    if samples and pids:
        picked = sorted({round(i * (len(samples) - 1) / max(1, rows - 1)) for i in range(rows)})
        print("worker RSS (MiB) over time\n" + f"{'t (s)':>7}  " + "  ".join(f"{p:>8}" for p in pids))
        for t, by_pid in (samples[i] for i in picked):
            cells = "  ".join(f"{by_pid[p] / 1024:8.1f}" if p in by_pid else f"{'-':>8}" for p in pids)
            print(f"{t:>7.0f}  {cells}")
    for w in rss["workers"]:
        growth = "-" if w["growth"] is None else f"{w['growth']:+.1%}"
        warm = "-" if w["warm_mib"] is None else f"{w['warm_mib']:.1f}"
        end = "-" if w["end_mib"] is None else f"{w['end_mib']:.1f}"
        peak = "-" if w.get("peak_mib") is None else f"{w['peak_mib']:.1f}"
        print(
            f"worker {w['pid']}: RSS {warm} MiB after warm-up → {end} MiB at the end ({growth}), peak {peak} MiB"
        )


def print_summary(results: dict) -> None:
    meta = results["meta"]
    print(
        f"\nsoak: {meta['db']}, {meta['clients']} clients, {meta['duration_s']:.0f} s, {meta['workers']} workers"
    )
    print(f"{'kind':<16}{'requests':>10}  statuses")
    total = Counter()
    for kind, statuses in results["requests"].items():
        n = sum(statuses.values())
        total.update({s: c for s, c in statuses.items()})
        print(f"{kind:<16}{n:>10}  " + ", ".join(f"{s}: {c}" for s, c in statuses.items()))
    print(
        f"{'all':<16}{sum(total.values()):>10}  " + ", ".join(f"{s}: {c}" for s, c in sorted(total.items()))
    )
    print(f"writes: {results['writes']}; history: {results['history']}")
    if results.get("terminations"):
        t = results["terminations"]
        print(f"backends terminated: {t['backends']} in {t['rounds']} rounds, every {t['interval_s']:g} s")
    if results.get("exports"):
        e = results["exports"]
        print(f"exports: {e['completed']} completed, {e['files']} files, {e['resources']} resources")
    print(f"fhir-service check: {' '.join(results['check'])}")
    print_rss(results["rss"])
    v = results["violations"]
    print(f"violations: {v['count']}")
    for line in v["listed"][:30]:
        print(f"  - {line}")


if __name__ == "__main__":
    sys.exit(main())
