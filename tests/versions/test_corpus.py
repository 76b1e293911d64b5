"""Every resource of the shared corpus, in its R4 and R4B views: 0 errors against that version's
definitions, parsed by a second implementation (fhirclient's R4 models in strict mode,
fhir.resources.R4B), and converted back to exactly the R5 resource it was derived from."""

from __future__ import annotations

import pytest

from fhir_service import definitions
from fhir_service.validation import validate_resource
from fhir_service.versions import from_version, to_version

pytestmark = pytest.mark.slow


def _fhirclient_parse(view: dict) -> None:
    from fhirclient.models.fhirelementfactory import FHIRElementFactory

    model = FHIRElementFactory.instantiate(view["resourceType"], view)  # strict unless told otherwise
    assert type(model).__name__ == view["resourceType"]


def _r4b_parse(view: dict) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(view["resourceType"]).model_validate(view)


SECOND = {"4.0": _fhirclient_parse, "4.3": _r4b_parse}


@pytest.mark.parametrize("version", ["4.0", "4.3"])
def test_every_corpus_resource_has_a_valid_lossless_view(corpus_conversions, version):
    errors, lost, refused = [], [], []
    count = 0
    for path, conversion in corpus_conversions.items():
        stored = {f"{r['resourceType']}/{r['id']}": r for r in conversion.resources}
        for resource in conversion.resources:
            count += 1
            where = f"{path}: {resource['resourceType']}/{resource['id']}"
            view = to_version(resource, version, resolve=stored.get)
            with definitions.fhir_version(version):
                issues = [i for i in validate_resource(view) if i.severity in ("error", "fatal")]
            errors += [f"{where} {i.expression}: {i.message}" for i in issues]
            if from_version(view, version) != resource:
                lost.append(where)
            try:
                SECOND[version](view)
            except Exception as exc:  # either library's own error type
                refused.append(f"{where}: {str(exc)[:300]}")
    assert count > 10_000  # the whole corpus was seen
    assert errors == []
    assert lost == []
    assert refused == []
