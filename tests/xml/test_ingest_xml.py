"""`fhir-service ingest` of FHIR XML files: a file whose XML shows a problem the JSON form cannot
carry is refused whole (the entries are copied before they are validated), a clean one is read with
its decimals as written."""

from __future__ import annotations

from fhir_service import jsontext
from fhir_service.ingest.prepare import prepare

BUNDLE = """<Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/>
<entry><resource><Substance><instance value="false"/><code><concept><text value="lactose"/></concept></code>
<ingredient><quantity><numerator><value value="1.50"/></numerator><denominator><value value="12"/></denominator>
</quantity><substanceCodeableConcept><text value="x"/></substanceCodeableConcept></ingredient>{extra}</Substance></resource>
<request><method value="PUT"/><url value="Substance/lactose"/></request></entry></Bundle>"""


def test_a_clean_xml_bundle_is_read_with_its_decimals(tmp_path):
    path = tmp_path / "bundle.xml"
    path.write_text(BUNDLE.format(extra=""))
    prepared = prepare(path)
    assert prepared.error is None and prepared.invalid == []
    (substance,) = prepared.resources
    assert substance["id"] == "lactose"
    assert '"numerator":{"value":1.50}' in jsontext.dumps(substance)


def test_an_xml_problem_in_an_entry_refuses_the_file(tmp_path):
    path = tmp_path / "bundle.xml"
    path.write_text(BUNDLE.format(extra='<colour value="white"/>'))
    prepared = prepare(path)
    assert prepared.resources == []
    assert "Bundle.entry[0].resource.colour" in prepared.error and "line 4" in prepared.error
