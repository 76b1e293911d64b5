"""FHIR XML over real HTTP: what a client sends as XML is stored as written (decimals, comments
ignored), and what only XML can get wrong is a 422 OperationOutcome naming the element and line,
with nothing stored; $validate reports the same issues."""

from __future__ import annotations

from fhir_service.formats import parse_xml

XML = {"Content-Type": "application/fhir+xml", "Accept": "application/fhir+json"}
LINE = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line"


def observation(rid: str, values: list[str], extra: str = "") -> bytes:
    components = "".join(
        f'<component><code><text value="c{i}"/></code><valueQuantity><value value="{v}"/></valueQuantity></component>'
        for i, v in enumerate(values)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- sent by a test -->\n'
        '<Observation xmlns="http://hl7.org/fhir">\n'
        f'  <!-- before the id -->\n  <id value="{rid}"/>\n'
        '  <status value="final"/>\n  <code><text value="weight"/></code>\n'
        f"{extra}  {components}\n</Observation>"
    ).encode()


def test_decimals_sent_as_xml_are_stored_and_served_as_written(http):
    put = http.put(
        "Observation/xml-decimals", data=observation("xml-decimals", ["12", "12.0", "1.50"]), headers=XML
    )
    assert put.status_code == 201, put.text
    as_json = http.get("Observation/xml-decimals").text
    assert '"value":12}' in as_json and '"value":12.0}' in as_json and '"value":1.50}' in as_json
    as_xml = http.get("Observation/xml-decimals", params={"_format": "xml"})
    assert as_xml.headers["Content-Type"].startswith("application/fhir+xml")
    for value in (b'"12"', b'"12.0"', b'"1.50"'):
        assert b"<value value=" + value + b"/>" in as_xml.content
    again = http.put(
        "Observation/xml-decimals", data=observation("xml-decimals", ["12", "12.0", "1.50"]), headers=XML
    )
    assert again.status_code == 200 and again.json()["meta"]["versionId"] == "1"  # unchanged: no new version


def test_element_order_is_a_422_with_the_line_and_nothing_is_stored(http):
    body = observation(
        "xml-order",
        ["1"],
        extra='  <issued value="2024-01-01T00:00:00Z"/>\n  <subject><display value="x"/></subject>\n',
    )
    response = http.put("Observation/xml-order", data=body, headers=XML)
    assert response.status_code == 422, response.text
    issues = [i for i in response.json()["issue"] if i.get("details", {}).get("text") == "element-order"]
    assert issues and issues[0]["expression"] == ["Observation.subject"]
    assert issues[0]["extension"] == [{"url": LINE, "valueInteger": 9}]
    assert http.get("Observation/xml-order").status_code == 404


def test_validate_lists_what_only_the_xml_shows(http):
    body = b'<Organization xmlns="http://hl7.org/fhir"><name value="A" colour="blue"/></Organization>'
    response = http.post("Organization/$validate", data=body, headers=XML)
    assert response.status_code == 200, response.text
    found = [(i["expression"][0], i.get("details", {}).get("text")) for i in response.json()["issue"]]
    assert ("Organization.name", "unknown-attribute") in found


def test_a_transaction_with_an_unknown_element_in_an_entry_stores_nothing(http):
    bundle = (
        b'<Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/>'
        b'<entry><resource><Organization><id value="xml-tx-1"/><name value="A"/></Organization></resource>'
        b'<request><method value="PUT"/><url value="Organization/xml-tx-1"/></request></entry>'
        b'<entry><resource><Organization><id value="xml-tx-2"/><name value="B"/><colour value="blue"/></Organization>'
        b'</resource><request><method value="PUT"/><url value="Organization/xml-tx-2"/></request></entry>'
        b"</Bundle>"
    )
    response = http.post("", data=bundle, headers=XML)
    assert response.status_code == 422, response.text
    expressions = [i["expression"] for i in response.json()["issue"]]
    assert ["Bundle.entry[1].resource.colour"] in expressions
    assert http.get("Organization/xml-tx-1").status_code == 404


def test_unreadable_xml_is_a_400(http):
    for body in (
        b'<Organization xmlns="http://hl7.org/fhir"><name value="A"></Organization>',
        b'<?xml version="1.0" encoding="ISO-8859-1"?><Organization xmlns="http://hl7.org/fhir"/>',
    ):
        response = http.post("Organization", data=body, headers=XML)
        assert response.status_code == 400, response.text
        assert response.json()["issue"][0]["code"] == "structure"


def test_an_outcome_is_served_as_xml(http):
    response = http.post(
        "Organization",
        data=b'<Organization xmlns="http://hl7.org/fhir"><name value="A"/><id value="x"/></Organization>',
        headers={**XML, "Accept": "application/fhir+xml"},
    )
    assert response.status_code == 422
    outcome = parse_xml(response.content)
    assert outcome["resourceType"] == "OperationOutcome" and outcome.xml_issues == []
