"""JSON → XML → JSON over real resources: every resource the shared corpus converts to comes back
byte-identical (as the store serialises it), every official R5 example comes back equal (their
JSON does not follow definition order, so compared with sorted keys), and the XML has the
structure the `fhir` npm package (FHIR.js, loaded with the R5 definitions) writes.

The official examples and the R5 core package are fetched once with `npm pack` into
~/.cache/fhir-service/ (as tests/validation/test_official_examples.py does); without npm or the
registry those parts are skipped with the reason."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fhir_service import jsontext
from fhir_service.formats import parse_json, parse_xml, to_xml
from fhir_service.store.serialized import serialize

CACHE = Path.home() / ".cache" / "fhir-service"
EXAMPLES = "hl7.fhir.r5.examples@5.0.0"
CORE = "hl7.fhir.r5.core@5.0.0"
FHIR_JS = "fhir@4.12.0"
XHTML_DIV = "{http://www.w3.org/1999/xhtml}div"


def _npm_pack(spec: str) -> Path:
    name, version = spec.rsplit("@", 1)
    tarball = CACHE / f"{name}-{version}.tgz"
    if tarball.exists():
        return tarball
    if shutil.which("npm") is None:
        pytest.skip(f"npm is not installed: cannot fetch {spec} into {CACHE}")
    CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "pack", spec, "--silent"], cwd=CACHE, capture_output=True, text=True)
    if done.returncode != 0 or not tarball.exists():
        pytest.skip(f"`npm pack {spec}` failed (offline?): {done.stderr.strip()[:300]}")
    return tarball


@pytest.fixture(scope="module")
def corpus(shared_monographs) -> list[dict]:
    from fhir_service.cli.convert import monograph_files
    from mappings.convert import convert_file

    files = monograph_files((str(shared_monographs),))
    resources = [r for path in files for r in convert_file(path).resources]
    assert len(files) >= 300 and len(resources) > 1000
    return resources


def test_every_corpus_resource_round_trips_byte_identically(corpus):
    for resource in corpus:
        stored = serialize(resource)
        back = parse_xml(to_xml(parse_json(stored)))
        assert back.xml_issues == []
        assert serialize(back) == stored, resource["id"]
    for resource in corpus[::50]:
        stored = serialize(resource)
        assert serialize(parse_xml(to_xml(parse_json(stored), pretty=True))) == stored


def _line_endings(text: str) -> str:
    # an XML parser reads CR LF and CR as LF: a narrative's CRs in JSON do not survive any XML
    return text.replace("\\r\\n", "\\n").replace("\\r", "\\n")


def test_every_official_example_round_trips():
    tarball = _npm_pack(EXAMPLES)
    checked = 0
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            folder, _, name = member.name.rpartition("/")
            if not (member.isfile() and folder == "package" and name.endswith(".json")):
                continue
            if name == "package.json" or name.startswith("."):
                continue
            resource = parse_json(tar.extractfile(member).read())
            back = parse_xml(to_xml(resource))
            assert back.xml_issues == [], name
            expected = _line_endings(jsontext.dumps(resource, sort_keys=True))
            assert _line_endings(jsontext.dumps(back, sort_keys=True)) == expected, name
            checked += 1
    assert checked == 2822


CONVERT_JS = r"""
const fs = require('fs');
const path = require('path');
const {Fhir, Versions} = require(path.join(process.argv[2], 'fhir.js'));
const {ParseConformance} = require(path.join(process.argv[2], 'parseConformance.js'));
const parser = new ParseConformance(false, Versions.R5);
const definitions = fs.readdirSync(process.argv[3])
  .filter(n => n.startsWith('StructureDefinition-') && n.endsWith('.json'))
  .map(n => JSON.parse(fs.readFileSync(path.join(process.argv[3], n))))
  .filter(sd => ['resource', 'complex-type', 'primitive-type'].includes(sd.kind) && sd.derivation !== 'constraint');
for (const sd of definitions.filter(s => s.kind !== 'resource')) parser.parseStructureDefinition(sd);
for (const sd of definitions.filter(s => s.kind === 'resource')) parser.parseStructureDefinition(sd);
const fhir = new Fhir(parser);
const resources = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(resources.map(r => fhir.objToXml(r))));
"""


@pytest.fixture(scope="module")
def fhir_js(tmp_path_factory) -> tuple[Path, Path]:
    """(FHIR.js's folder, the R5 core package's folder), unpacked from the npm registry's tarballs."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: cannot run FHIR.js")
    folder = tmp_path_factory.mktemp("fhirjs")
    for spec in (FHIR_JS, CORE):
        with tarfile.open(_npm_pack(spec)) as tar:
            tar.extractall(folder / spec.split("@")[0], filter="data")
    return (
        folder / "fhir" / "package",
        folder / "hl7.fhir.r5.core" / "package",
    )  # FHIR.js bundles its dependencies


def _structure(element: ET.Element) -> tuple:
    """An element as (name, attributes, children), numbers compared by value (FHIR.js writes
    JavaScript numbers: 12.50 becomes 12.5), the narrative by its XHTML text."""
    if element.tag == XHTML_DIV:
        return (element.tag, "".join(element.itertext()).split())
    attributes = {}
    for name, value in element.attrib.items():
        try:
            attributes[name] = float(value) if name == "value" and value.strip() else value
        except ValueError:
            attributes[name] = value
    return (element.tag, attributes, [_structure(child) for child in element])


def test_the_xml_has_the_structure_fhir_js_writes(corpus, fhir_js):
    library, definitions = fhir_js
    script = library.parent / "convert.js"
    script.write_text(CONVERT_JS)
    done = subprocess.run(
        ["node", str(script), str(library), str(definitions)],
        input=json.dumps(corpus),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = json.loads(done.stdout)
    assert len(theirs) == len(corpus)
    for resource, their_xml in zip(corpus, theirs, strict=True):
        ours = _structure(ET.fromstring(to_xml(resource)))
        assert ours == _structure(ET.fromstring(their_xml.encode())), resource["id"]
