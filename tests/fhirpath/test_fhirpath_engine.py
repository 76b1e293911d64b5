"""engine.py: fhirpathpy behind a cache, with a typed context and the functions it lacks."""

from __future__ import annotations

import ast
from pathlib import Path

from fhir_service import fhirpath

SOURCE = Path(__file__).resolve().parents[2] / "fhir_service"


def test_fhirpath_compile_is_cached_and_typed():
    fn = fhirpath.compile("value.exists()", "Extension")
    assert fn is fhirpath.compile("value.exists()", "Extension")
    assert fn({"url": "x", "valueQuantity": {"value": 1}}) == [True]
    resolve = fhirpath.compile("subject.resolve().status", "ClinicalUseDefinition")
    target = {"resourceType": "MedicinalProductDefinition", "status": {"text": "active"}}
    assert resolve(
        {"resourceType": "ClinicalUseDefinition", "subject": [{"reference": "x"}]},
        resolve=lambda ref: [target],
    ) == [{"text": "active"}]


def test_extra_functions():
    assert fhirpath.evaluate({"url": "x", "valueString": "a"}, "value.hasValue()", "Extension") == [True]
    ext_only = {"url": "x", "_valueString": {"id": "1"}}
    assert fhirpath.evaluate(ext_only, "value.hasValue()", "Extension") == [False]
    good = "<div xmlns='http://www.w3.org/1999/xhtml'>x</div>"
    assert fhirpath.evaluate({"div": good}, "`div`.htmlChecks()") == [True]
    assert fhirpath.evaluate({"div": "<div><script/></div>"}, "`div`.htmlChecks()") == [False]


def test_only_the_fhirpath_package_imports_fhirpathpy():
    importers = []
    for path in SOURCE.rglob("*.py"):
        if path.parent.name == "fhirpath" and path.parent.parent == SOURCE:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(name == "fhirpathpy" or name.startswith("fhirpathpy.") for name in names):
                importers.append(str(path.relative_to(SOURCE.parent)))
    assert importers == []
