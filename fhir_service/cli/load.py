"""`fhir-service load`: push transaction/batch Bundles to any FHIR server.

Works against HAPI, Azure, Google, Medplum, Firely or another copy of this service: it only
POSTs Bundles to the base URL and reads the standard responses. Files are sent as they are
(JSON or XML). An `.ndjson` file (a Bulk Data export) is turned into transaction Bundles of
`PUT Type/id` entries, so a re-load is idempotent.

Throttling servers answer 429/503: the client waits as long as `Retry-After` says (seconds or an
HTTP date), otherwise with exponential backoff, never longer than `--max-wait`, and gives up after
`--retries` attempts. The exit status is non-zero when any Bundle or entry failed, and the report
names the file, the entry and the server's OperationOutcome diagnostics.

`--fhir-version 4.0|4.3` sends the files as FHIR R4 / R4B (`fhir-service export-fixtures
--fhir-version`): Content-Type and Accept carry the `fhirVersion` parameter, which this service (and
any server that serves several versions) reads; a single-version server of that version ignores it.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
import requests

from fhir_service.formats import JSON_MIME, XML_MIME
from fhir_service.references import iter_references, split_relative

RETRY_STATUSES = frozenset({429, 503})
BUNDLE_SUFFIXES = (".json", ".xml")
NDJSON_SUFFIX = ".ndjson"


# --- pure helpers -------------------------------------------------------------------------------


def parse_header(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition(":")
    if not sep or not name.strip():
        raise click.BadParameter(f"expected 'Name: value', got {raw!r}", param_hint="--header")
    return name.strip(), value.strip()


def retry_delay(
    retry_after: str | None, attempt: int, *, base: float, cap: float, now: datetime | None = None
):
    """Seconds to wait before the next attempt: the server's Retry-After when it gives one
    (delta-seconds or an HTTP date), else exponential backoff; never negative, never above `cap`."""
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            return min(float(value), cap)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            now = now or datetime.now(UTC)
            return max(0.0, min((when - now).total_seconds(), cap))
    return min(base * (2**attempt), cap)


def outcome_text(body: object) -> str:
    """The diagnostics (or details text) of an OperationOutcome, one issue per '; '."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    parts = []
    for issue in body.get("issue", []):
        text = issue.get("diagnostics") or issue.get("details", {}).get("text") or issue.get("code", "")
        where = ", ".join(issue.get("expression", []) or [])
        parts.append(f"{issue.get('severity', 'error')}: {text}" + (f" (at {where})" if where else ""))
    return "; ".join(parts)


def collect_files(paths: tuple[str, ...]) -> list[Path]:
    """FILE arguments as given; DIR arguments expanded to their Bundle/ndjson files, sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in (*BUNDLE_SUFFIXES, NDJSON_SUFFIX)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise click.BadParameter(f"{raw}: no such file or directory", param_hint="FILE|DIR")
    return found


def ndjson_load_order(files: list[Path]) -> list[Path]:
    """Bundle files first (as given), then .ndjson files so that a type's references are loaded
    before it (servers that enforce referential integrity, like HAPI, refuse dangling references).
    Types are ordered by the references found in the files (Kahn's algorithm); types in a reference
    cycle keep alphabetical order at the end."""
    bundles = [f for f in files if f.suffix.lower() != NDJSON_SUFFIX]
    ndjson = [f for f in files if f.suffix.lower() == NDJSON_SUFFIX]
    file_types: dict[Path, str] = {}
    needs: dict[str, set[str]] = {}
    for path in ndjson:
        with path.open("rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                resource = json.loads(line)
                rtype = resource.get("resourceType", "")
                file_types.setdefault(path, rtype)
                targets = needs.setdefault(rtype, set())
                for ref in iter_references(resource):
                    target = split_relative(ref)
                    if target and target[0] != rtype:
                        targets.add(target[0])
    present = set(needs)
    pending = {t: {d for d in deps if d in present} for t, deps in needs.items()}
    order: list[str] = []
    while pending:
        ready = sorted(t for t, deps in pending.items() if not deps)
        if not ready:  # a cycle: take the rest alphabetically
            ready = sorted(pending)
        for t in ready:
            order.append(t)
            del pending[t]
        for deps in pending.values():
            deps.difference_update(ready)
    rank = {t: i for i, t in enumerate(order)}
    return bundles + sorted(ndjson, key=lambda p: (rank.get(file_types.get(p, ""), len(rank)), str(p)))


def ndjson_transactions(path: Path, chunk_size: int) -> Iterator[dict]:
    """Bulk export ndjson → transaction Bundles of PUT Type/id entries, `chunk_size` at a time."""
    entries: list[dict] = []
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            resource = json.loads(line)
            rtype, rid = resource["resourceType"], resource["id"]
            entries.append(
                {
                    "fullUrl": f"{rtype}/{rid}",
                    "resource": resource,
                    "request": {"method": "PUT", "url": f"{rtype}/{rid}"},
                }
            )
            if len(entries) >= chunk_size:
                yield {"resourceType": "Bundle", "type": "transaction", "entry": entries}
                entries = []
    if entries:
        yield {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def entry_failures(request_bundle: dict | None, response: dict) -> list[str]:
    """Per-entry failures in a batch-response (or a transaction-response that reports any)."""
    failures = []
    requests_ = (request_bundle or {}).get("entry", [])
    for index, entry in enumerate(response.get("entry", [])):
        status = str(entry.get("response", {}).get("status", ""))
        if status[:1] in ("2", "3"):
            continue
        name = requests_[index].get("fullUrl") if index < len(requests_) else None
        detail = outcome_text(entry.get("response", {}).get("outcome")) or "no OperationOutcome"
        failures.append(f"entry {index}{f' ({name})' if name else ''}: {status} {detail}")
    return failures


# --- the client ---------------------------------------------------------------------------------


@dataclass
class Result:
    source: str
    entries: int = 0
    ok: bool = True
    problems: list[str] = field(default_factory=list)


@dataclass
class Loader:
    base_url: str
    headers: dict[str, str]
    retries: int = 8
    backoff: float = 0.5
    max_wait: float = 60.0
    timeout: float = 600.0
    sleep: object = time.sleep
    fhir_version: str | None = None  # sent as the fhirVersion parameter of Content-Type and Accept
    _local: threading.local = field(default_factory=threading.local)

    @property
    def session(self) -> requests.Session:
        """One connection pool per thread (requests sessions are not thread-safe)."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def versioned(self, mime: str) -> str:
        return f"{mime}; fhirVersion={self.fhir_version}" if self.fhir_version else mime

    def post(self, body: bytes, content_type: str) -> requests.Response:
        headers = {
            "Content-Type": self.versioned(content_type),
            "Accept": self.versioned(JSON_MIME),
            **self.headers,
        }
        attempt = 0
        while True:
            try:
                response = self.session.post(self.base_url, data=body, headers=headers, timeout=self.timeout)
            except requests.ConnectionError:
                if attempt >= self.retries:
                    raise
                self.sleep(retry_delay(None, attempt, base=self.backoff, cap=self.max_wait))
                attempt += 1
                continue
            if response.status_code not in RETRY_STATUSES or attempt >= self.retries:
                return response
            wait = retry_delay(
                response.headers.get("Retry-After"), attempt, base=self.backoff, cap=self.max_wait
            )
            self.sleep(wait)
            attempt += 1

    def send(self, source: str, body: bytes, content_type: str, bundle: dict | None) -> Result:
        entries = len(bundle.get("entry", [])) if bundle else 0
        result = Result(source, entries)
        try:
            response = self.post(body, content_type)
        except requests.RequestException as exc:
            return Result(source, entries, False, [f"request failed: {exc}"])
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not response.ok:
            detail = outcome_text(payload) or response.text[:500].strip() or response.reason
            return Result(source, entries, False, [f"HTTP {response.status_code}: {detail}"])
        if isinstance(payload, dict) and payload.get("resourceType") == "Bundle":
            result.entries = len(payload.get("entry", [])) or entries
            result.problems = entry_failures(bundle, payload)
            result.ok = not result.problems
        return result

    def load_file(self, path: Path, chunk_size: int) -> Iterator[Result]:
        if path.suffix.lower() == NDJSON_SUFFIX:
            for number, bundle in enumerate(ndjson_transactions(path, chunk_size)):
                body = json.dumps(bundle, separators=(",", ":")).encode()
                yield self.send(f"{path} [chunk {number}]", body, JSON_MIME, bundle)
            return
        body = path.read_bytes()
        if path.suffix.lower() == ".xml":
            yield self.send(str(path), body, XML_MIME, None)
            return
        try:
            bundle = json.loads(body)
        except ValueError as exc:
            yield Result(str(path), 0, False, [f"not JSON: {exc}"])
            return
        yield self.send(str(path), body, JSON_MIME, bundle)


@click.command()
@click.option("--base-url", required=True, help="FHIR base URL, e.g. http://127.0.0.1:8080/fhir")
@click.option(
    "--header", "headers", multiple=True, help="Extra request header, e.g. 'Authorization: Bearer …'"
)
@click.option(
    "--retries", default=8, show_default=True, help="Attempts after a 429/503 or a connection error."
)
@click.option("--max-wait", default=60.0, show_default=True, help="Longest single wait between attempts (s).")
@click.option("--chunk-size", default=1000, show_default=True, help="Resources per Bundle for .ndjson input.")
@click.option("--timeout", default=600.0, show_default=True, help="Per-request timeout (s).")
@click.option("--parallel", default=1, show_default=True, help="Bundle files sent at the same time.")
@click.option(
    "--fhir-version",
    type=click.Choice(["4.0", "4.3", "5.0"]),
    default=None,
    help="FHIR version of the files, sent as the fhirVersion media-type parameter (default: none sent).",
)
@click.argument("paths", nargs=-1, required=True, metavar="FILE|DIR...")
def load(base_url, headers, retries, max_wait, chunk_size, timeout, parallel, fhir_version, paths):
    """Push transaction/batch Bundles (JSON, XML, or Bulk Data .ndjson) to a FHIR server."""
    loader = Loader(
        base_url.rstrip("/"),
        dict(parse_header(h) for h in headers),
        retries=retries,
        max_wait=max_wait,
        timeout=timeout,
        fhir_version=fhir_version,
    )
    files = ndjson_load_order(collect_files(paths))
    started = time.monotonic()
    results: list[Result] = []
    # Bundle files are independent of each other: up to --parallel at once. ndjson chunks follow,
    # one at a time, in reference order.
    bundles = [f for f in files if f.suffix.lower() != NDJSON_SUFFIX]
    ndjson = [f for f in files if f.suffix.lower() == NDJSON_SUFFIX]
    with click.progressbar(length=len(files), label="Loading") as bar:
        with ThreadPoolExecutor(max(1, parallel)) as pool:
            futures = [pool.submit(lambda p: list(loader.load_file(p, chunk_size)), f) for f in bundles]
            for future in as_completed(futures):
                results.extend(future.result())
                bar.update(1)
        for path in ndjson:
            results.extend(loader.load_file(path, chunk_size))
            bar.update(1)
    elapsed = time.monotonic() - started
    failed = [r for r in results if not r.ok]
    loaded = sum(r.entries for r in results if r.ok)
    rate = loaded / elapsed if elapsed > 0 else 0.0
    click.echo(
        f"{len(results) - len(failed)}/{len(results)} bundles from {len(files)} files loaded, "
        f"{loaded} entries in {elapsed:.1f}s ({rate:.0f} entries/s)"
    )
    for result in failed:
        for problem in result.problems:
            click.echo(f"FAILED {result.source}: {problem}", err=True)
    if failed:
        raise SystemExit(1)
