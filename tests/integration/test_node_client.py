"""The service through a Node FHIR client, fhir-kit-client, over real HTTP: transaction, read,
search, next/previous page, update and history, as a JavaScript application would use it.

The client is installed from the npm registry by the test itself (`npm install --no-audit
--no-fund`) into ~/.cache/fhir-service/node/, once: later runs reuse it. Without node (20 or
later), npm or the registry, the test is skipped with the reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

PACKAGE = "fhir-kit-client"
VERSION = "2.0.3"
CACHE = Path.home() / ".cache" / "fhir-service" / "node"
SYSTEM = "urn:example:node-client"

SCRIPT = r"""
const [library, baseUrl] = process.argv.slice(2);
const { Client } = await import(library);
const client = new Client({ baseUrl });
const out = {};
const code = `${process.env.SYSTEM}|paged`;

const entries = [0, 1, 2, 3, 4].map((n) => ({
  resource: { resourceType: 'Basic', id: `node-${n}`, code: { coding: [{ system: process.env.SYSTEM, code: 'paged' }] } },
  request: { method: 'PUT', url: `Basic/node-${n}` },
}));
entries.push({
  fullUrl: 'urn:uuid:9d3b1c3e-5d2f-4f43-9d0a-0e6c1a0f7a11',
  resource: { resourceType: 'Organization', name: 'Node pharmacy' },
  request: { method: 'POST', url: 'Organization' },
});
const answer = await client.transaction({ body: { resourceType: 'Bundle', type: 'transaction', entry: entries } });
out.transaction = { type: answer.type, statuses: answer.entry.map((e) => e.response.status) };

out.read = await client.read({ resourceType: 'Basic', id: 'node-0' });
const versioned = new Client({ baseUrl, customHeaders: { accept: 'application/fhir+json; fhirVersion=5.0' } });
out.readWithVersion = (await versioned.read({ resourceType: 'Basic', id: 'node-1' })).id;

const pages = [];
let page = await client.search({ resourceType: 'Basic', searchParams: { code, _count: 2, _sort: '_id' } });
out.total = (await client.search({ resourceType: 'Basic', searchParams: { code, _count: 0 } })).total;
while (page) {
  pages.push(page.entry.map((e) => e.resource.id));
  const next = await client.nextPage({ bundle: page });
  if (!next) {
    out.previous = (await client.prevPage({ bundle: page })).entry.map((e) => e.resource.id);
  }
  page = next;
}
out.pages = pages;

const read = out.read;
await client.update({ resourceType: 'Basic', id: 'node-0', body: { ...read, code: { text: 'renamed' } } });
const history = await client.history({ resourceType: 'Basic', id: 'node-0' });
out.history = history.entry.map((e) => [e.request.method, e.response.status]);
out.typeHistory = (await client.typeHistory({ resourceType: 'Basic' })).total;
process.stdout.write(JSON.stringify(out));
"""


def _node_major() -> int:
    try:
        done = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30)
        return int(done.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0


@pytest.fixture(scope="module")
def library() -> Path:
    """fhir-kit-client's entry module, installed once into the cache."""
    target = CACHE / f"{PACKAGE}-{VERSION}"
    entry = target / "node_modules" / PACKAGE / "dist" / "index.js"
    if shutil.which("node") is None or _node_major() < 20:
        pytest.skip(f"node 20 or later is needed for {PACKAGE} {VERSION}")
    if entry.exists():
        return entry
    if shutil.which("npm") is None:
        pytest.skip(f"npm is not installed: cannot install {PACKAGE}@{VERSION} into {CACHE}")
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=CACHE, prefix=".install-"))  # renamed into place when complete
    (staging / "package.json").write_text('{"private": true}\n')
    try:
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", f"{PACKAGE}@{VERSION}"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.skip(f"`npm install {PACKAGE}@{VERSION}` did not finish in 300 s (offline?)")
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.skip(f"`npm install {PACKAGE}@{VERSION}` failed (offline?): {done.stderr.strip()[:300]}")
    try:
        staging.rename(target)
    except OSError:  # another run installed it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return entry


def test_fhir_kit_client(library, base_url, tmp_path):
    script = tmp_path / "client.mjs"
    script.write_text(SCRIPT)
    done = subprocess.run(
        ["node", str(script), library.as_uri(), base_url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEM": SYSTEM},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["transaction"]["type"] == "transaction-response"
    assert out["transaction"]["statuses"] == ["201 Created"] * 6
    assert out["read"]["id"] == "node-0" and out["read"]["meta"]["versionId"] == "1"
    assert out["readWithVersion"] == "node-1"
    assert out["total"] == 5
    assert out["pages"] == [["node-0", "node-1"], ["node-2", "node-3"], ["node-4"]]
    assert out["previous"] == ["node-2", "node-3"]
    assert out["history"] == [["PUT", "200 OK"], ["PUT", "201 Created"]]
    assert out["typeHistory"] >= 6
