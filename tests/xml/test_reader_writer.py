"""The FHIR XML reader and writer (fhir_service/xml) on the cases the spec's XML rules and the
old model-based path got wrong: comments, id attributes, prefixes, lexical forms, primitives'
extensions in arrays, order and unknown content reported with their place, and linear cost."""

from __future__ import annotations

import sys

import pytest

from fhir_service import jsontext
from fhir_service.formats import FormatError, bundle_to_xml, parse_json, parse_xml, to_json, to_xml
from fhir_service.validation import has_errors, outcome, validate_resource
from fhir_service.xml import XmlFormatError, XmlTooDeep, XmlWriteError
from fhir_service.xml.reader import MAX_ISSUES

NS = 'xmlns="http://hl7.org/fhir"'


def org(body: str, root: str = f"<Organization {NS}>", end: str = "</Organization>") -> bytes:
    return (root + body + end).encode()


def issues_of(resource) -> list[tuple[str, str]]:
    return [(i.expression, i.rule) for i in validate_resource(resource, warnings=False)]


def test_comments_and_processing_instructions_are_ignored():
    data = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- before the root -->\n<?xml-stylesheet href="x"?>\n'
        + org('<!-- before id --><id value="o1"/><!-- between --><name value="Acme"/><?pi x?>')
    )
    resource = parse_xml(data)
    assert resource == {"resourceType": "Organization", "id": "o1", "name": "Acme"}
    assert issues_of(resource) == []


def test_id_attributes_go_to_the_json_form():
    resource = parse_xml(
        org('<identifier id="i1"><value value="9"/></identifier><name id="n1" value="Acme"/>')
    )
    assert resource["identifier"] == [{"id": "i1", "value": "9"}]
    assert resource["name"] == "Acme" and resource["_name"] == {"id": "n1"}
    assert b'<identifier id="i1">' in to_xml(resource) and b'<name id="n1" value="Acme"/>' in to_xml(resource)


def test_prefixed_root_and_prefixed_narrative():
    data = (
        b'<f:Organization xmlns:f="http://hl7.org/fhir"><f:text><f:status value="generated"/>'
        b'<n:div xmlns:n="http://www.w3.org/1999/xhtml"><n:p class="x">A &amp; B<n:br/></n:p></n:div>'
        b'</f:text><f:name value="Acme"/></f:Organization>'
    )
    resource = parse_xml(data)
    assert resource["text"]["div"] == (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p class="x">A &amp; B<br/></p></div>'
    )
    assert resource["name"] == "Acme"
    assert issues_of(resource) == []


def test_the_narrative_is_kept_as_written():
    div = (
        '<div xmlns="http://www.w3.org/1999/xhtml">\n  <p>x&#160;y &lt; <b class="a"  >z</b></p>'
        "<!-- kept -->\n  <br />\n</div>"
    )
    resource = parse_xml(org(f'<text><status value="generated"/>{div}</text><name value="A"/>'))
    assert resource["text"]["div"] == div
    assert to_xml(resource).count(div.encode()) == 1


def test_boolean_1_is_not_a_fhir_boolean():
    resource = parse_xml(org('<active value="1"/><name value="A"/>'))
    assert ("Organization.active", "type:boolean") in issues_of(resource)
    assert parse_xml(org('<active value="true"/>'))["active"] is True


def test_base64_whitespace_is_kept():
    data = org(
        '<photo><contentType value="image/png"/><data value="iVBORw0K&#10;GgoAAAAN"/></photo>',
        f"<Patient {NS}>",
        "</Patient>",
    )
    resource = parse_xml(data)
    assert resource["photo"][0]["data"] == "iVBORw0K\nGgoAAAAN"
    assert b'value="iVBORw0K&#10;GgoAAAAN"' in to_xml(resource)


@pytest.mark.parametrize("text", ["12", "12.0", "1.50", "0.10", "1e2", "-0.000001", "123456789.123456789"])
def test_decimals_keep_their_lexical_form(text: str):
    data = org(
        f'<extension url="http://example.org/d"><valueDecimal value="{text}"/></extension><name value="A"/>'
    )
    resource = parse_xml(data)
    assert f'"valueDecimal":{text}}}' in to_json(resource).decode()
    assert f'<valueDecimal value="{text}"/>'.encode() in to_xml(resource)
    from_json = parse_json(to_json(resource))
    assert f'<valueDecimal value="{text}"/>'.encode() in to_xml(from_json)
    assert issues_of(resource) == []


def test_a_json_decimal_is_stored_and_written_as_sent():
    resource = parse_json(
        b'{"resourceType":"Substance","instance":true,"code":{"concept":{"text":"x"}},'
        b'"ingredient":[{"quantity":{"numerator":{"value":1.50},"denominator":{"value":12}},'
        b'"substanceCodeableConcept":{"text":"y"}}]}'
    )
    stored = jsontext.dumps(resource)
    assert '"value":1.50' in stored and '"value":12}' in stored
    xml = to_xml(resource)
    assert b'<value value="1.50"/>' in xml and b'<value value="12"/>' in xml
    assert jsontext.dumps(parse_xml(xml)) == stored


def test_instants_and_strings_are_byte_exact():
    data = org(
        '<meta><lastUpdated value="2024-01-02T03:04:05.805+00:00"/></meta><name value=" two  spaces "/>'
    )
    resource = parse_xml(data)
    assert resource["meta"]["lastUpdated"] == "2024-01-02T03:04:05.805+00:00"
    assert resource["name"] == " two  spaces "
    assert b'<lastUpdated value="2024-01-02T03:04:05.805+00:00"/>' in to_xml(resource)


def test_extensions_on_primitives_in_arrays_line_up_with_nulls():
    data = org(
        '<name value="A"/><alias value="a"/>'
        '<alias><extension url="http://example.org/e"><valueString value="x"/></extension></alias>'
        '<alias id="c1" value="c"/>'
    )
    resource = parse_xml(data)
    assert resource["alias"] == ["a", None, "c"]
    assert resource["_alias"] == [
        None,
        {"extension": [{"url": "http://example.org/e", "valueString": "x"}]},
        {"id": "c1"},
    ]
    assert issues_of(resource) == []
    assert parse_xml(to_xml(resource)) == resource


def test_a_repeating_primitive_with_only_extensions_has_no_value_array():
    data = org(
        '<name value="A"/><alias><extension url="http://example.org/e"><valueString value="x"/></extension></alias>'
    )
    resource = parse_xml(data)
    assert "alias" not in resource
    assert resource["_alias"] == [{"extension": [{"url": "http://example.org/e", "valueString": "x"}]}]


def test_one_item_of_a_repeating_element_is_still_an_array():
    resource = parse_xml(
        org('<alias value="a"/><telecom><system value="phone"/><value value="1"/></telecom>')
    )
    assert resource["alias"] == ["a"]


def test_choice_types_contained_resources_and_bundle_entries():
    data = (
        f'<Bundle {NS}><type value="collection"/><entry><fullUrl value="urn:uuid:1"/><resource>'
        '<Observation><contained><Patient><id value="p"/></Patient></contained><status value="final"/>'
        '<code><text value="t"/></code><subject><reference value="#p"/></subject>'
        '<valueQuantity><value value="4.20"/><unit value="mg"/></valueQuantity></Observation>'
        "</resource></entry></Bundle>"
    ).encode()
    bundle = parse_xml(data)
    observation = bundle["entry"][0]["resource"]
    assert observation["contained"] == [{"resourceType": "Patient", "id": "p"}]
    assert jsontext.dumps(observation["valueQuantity"]) == '{"value":4.20,"unit":"mg"}'
    assert parse_xml(to_xml(bundle)) == bundle


def test_wrong_element_order_is_reported_with_its_line():
    data = org('<name value="A"/>\n<id value="o1"/>')
    resource = parse_xml(data)
    issues = [i for i in validate_resource(resource) if i.rule == "element-order"]
    assert [(i.expression, i.line) for i in issues] == [("Organization.id", 2)]
    assert "line 2" in issues[0].message
    issue = outcome(issues)["issue"][0]
    assert issue["extension"][0]["valueInteger"] == 2


def test_order_problems_inside_contained_resources_name_their_place():
    data = org(
        '<contained><Patient><gender value="male"/><active value="true"/></Patient></contained><name value="A"/>'
    )
    assert ("Organization.contained[0].active", "element-order") in issues_of(parse_xml(data))


def test_unknown_attributes_elements_and_text_are_reported():
    data = org('<name value="A" colour="blue"/><nickname value="x"/><alias value="a">text</alias>')
    found = issues_of(parse_xml(data))
    assert ("Organization.name", "unknown-attribute") in found
    assert ("Organization.nickname", "unknown-element") in found
    assert ("Organization.alias[0]", "text") in found


def test_a_primitive_without_value_or_children_is_reported():
    found = issues_of(parse_xml(org('<name value="A"/><alias/>')))
    assert ("Organization.alias[0]", "ele-1") in found


def test_a_second_single_element_and_a_second_choice_type_are_reported():
    data = org('<name value="A"/><name value="B"/>')
    assert ("Organization.name", "cardinality") in issues_of(parse_xml(data))
    data = org(
        '<extension url="http://example.org/x"><valueString value="a"/><valueCode value="b"/></extension>'
    )
    assert ("Organization.extension[0].value", "choice") in issues_of(parse_xml(data))


def test_xsi_schema_location_is_accepted():
    data = org(
        '<name value="A"/>',
        f'<Organization {NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://hl7.org/fhir ../organization.xsd">',
    )
    assert issues_of(parse_xml(data)) == []


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<Organization xmlns='http://hl7.org/fhir'><name value='A'>", "Malformed XML"),
        (b"<Organization><name value='A'/></Organization>", "not in the FHIR namespace"),
        (b"<Medicine xmlns='http://hl7.org/fhir'/>", "Unknown resource type"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><Organization xmlns="http://hl7.org/fhir"/>', "UTF-8"),
        ('<Organization xmlns="http://hl7.org/fhir"/>'.encode("utf-16"), "UTF-8"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><Organization xmlns="http://hl7.org/fhir"/>', "DOCTYPE"),
        (b'<Organization xmlns="http://hl7.org/fhir"><name value="&a;"/></Organization>', "Malformed XML"),
    ],
)
def test_unreadable_documents_are_refused_with_a_reason(data: bytes, message: str):
    with pytest.raises(XmlFormatError, match=message):
        parse_xml(data)
    assert issubclass(XmlFormatError, FormatError)


def test_nesting_beyond_the_limit_is_refused():
    deep = b"<extension url='http://example.org/x'>" * 200 + b"</extension>" * 200
    with pytest.raises(XmlTooDeep):
        parse_xml(org(deep.decode()))


def test_json_key_order_follows_the_definitions_on_the_way_out():
    resource = {"resourceType": "Organization", "name": "A", "id": "o", "active": True}
    assert to_xml(resource) == (
        b'<?xml version="1.0" encoding="UTF-8"?><Organization xmlns="http://hl7.org/fhir">'
        b'<id value="o"/><active value="true"/><name value="A"/></Organization>'
    )


def test_strings_are_escaped_for_attributes():
    resource = {"resourceType": "Organization", "name": 'a "b" <c> & d\te\nf\rg'}
    xml = to_xml(resource)
    assert b'value="a &quot;b&quot; &lt;c&gt; &amp; d&#9;e&#10;f&#13;g"' in xml
    assert parse_xml(xml) == resource


def test_pretty_output_reads_back_the_same():
    resource = parse_xml(org('<name value="A"/><alias value="a"/><telecom><system value="phone"/></telecom>'))
    pretty = to_xml(resource, pretty=True)
    assert b"\n  <name" in pretty
    assert parse_xml(pretty) == resource


BUNDLE_HEAD = {
    "resourceType": "Bundle",
    "id": "b1",
    "meta": {"lastUpdated": "2026-01-01T00:00:00.000Z"},
    "type": "searchset",
    "total": 2,
    "link": [{"relation": "self", "url": "http://x/fhir/Organization?name=a&_count=2"}],
}
BUNDLE_ENTRIES = [
    {"fullUrl": "http://x/fhir/Organization/o1", "resource": {"resourceType": "Organization", "id": "o1"}},
    {
        "fullUrl": "http://x/fhir/Organization/o2",
        "resource": {"resourceType": "Organization", "id": "o2", "name": "A & B"},
        "search": {"mode": "include"},
    },
]


@pytest.mark.parametrize("pretty", [False, True])
def test_a_bundle_written_entry_by_entry_is_the_bundle_written_whole(pretty: bool):
    whole = to_xml({**BUNDLE_HEAD, "entry": BUNDLE_ENTRIES}, pretty=pretty)
    assert bundle_to_xml(BUNDLE_HEAD, iter(BUNDLE_ENTRIES), pretty=pretty) == whole
    assert bundle_to_xml(BUNDLE_HEAD, iter([]), pretty=pretty) == to_xml(BUNDLE_HEAD, pretty=pretty)
    with pytest.raises(XmlWriteError):
        bundle_to_xml({**BUNDLE_HEAD, "entry": BUNDLE_ENTRIES}, iter([]))


def _calls(run) -> int:
    """Function calls (Python and C) made by `run`: a measure of work that load cannot change."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return count


def _aliases(n: int) -> bytes:
    return org('<name value="A"/>' + '<alias value="a"/>' * n)


def test_reading_is_linear_in_the_number_of_elements():
    parse_xml(_aliases(10))  # definitions and plans loaded
    small, large = _calls(lambda: parse_xml(_aliases(5_000))), _calls(lambda: parse_xml(_aliases(50_000)))
    assert large <= 10 * small * 1.01, (small, large)
    assert len(parse_xml(_aliases(50_000))["alias"]) == 50_000  # its CPU time is measured by `make bench`


def test_a_hundred_thousand_attributes_cost_linear_work_and_a_bounded_outcome():
    def many(n: int) -> bytes:
        attributes = " ".join(f'a{i}="x"' for i in range(n))
        return org(f'<name value="A" {attributes}/>')

    small, large = _calls(lambda: parse_xml(many(10_000))), _calls(lambda: parse_xml(many(100_000)))
    assert large <= 10 * small * 1.01, (small, large)
    resource = parse_xml(many(100_000))
    assert len(resource.xml_issues) == MAX_ISSUES
    assert has_errors(validate_resource(resource))


def test_writing_is_linear_in_the_number_of_elements():
    def resource(n: int) -> dict:
        return {"resourceType": "Organization", "name": "A", "alias": ["a"] * n}

    to_xml(resource(10))
    small, large = _calls(lambda: to_xml(resource(5_000))), _calls(lambda: to_xml(resource(50_000)))
    assert large <= 10 * small * 1.01, (small, large)


def test_keys_out_of_definition_order_are_written_in_it_at_every_level():
    resource = {
        "resourceType": "Organization",
        "name": "A",
        "_name": {"extension": [{"valueString": "x", "url": "http://e"}]},
        "contact": [{"telecom": [{"value": "1", "system": "phone"}], "purpose": {"text": "t"}}],
        "id": "o",
    }
    assert to_xml(resource) == (
        b'<?xml version="1.0" encoding="UTF-8"?><Organization xmlns="http://hl7.org/fhir"><id value="o"/>'
        b'<name value="A"><extension url="http://e"><valueString value="x"/></extension></name>'
        b'<contact><purpose><text value="t"/></purpose><telecom><system value="phone"/><value value="1"/>'
        b"</telecom></contact></Organization>"
    )
    assert parse_xml(to_xml(resource)) == {**resource, "_name": resource["_name"]}


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "Organization", "nonsense": 1},
        {"resourceType": "Organization", "_contact": {"id": "x"}},  # `_name` of no primitive
        {"resourceType": "Organization", "contact": ["x"]},
        {"resourceType": "Organization", "name": {"a": 1}},
        {"resourceType": "Nonsense"},
    ],
)
def test_content_xml_cannot_place_is_refused(resource):
    with pytest.raises(XmlWriteError):
        to_xml(resource)


def test_a_stored_resource_is_written_from_its_bytes_and_kept_per_content(monkeypatch):
    from fhir_service.xml import writer

    cache = writer._Rendered(64 * 1024)
    monkeypatch.setattr(writer, "RENDERED", cache)
    first = to_json({"resourceType": "Organization", "id": "o", "name": "A & B"})
    second = to_json({"resourceType": "Organization", "id": "o", "name": "C"})  # same id, other content
    for content in (first, second):
        for pretty in (False, True):
            assert writer.write_stored(content, pretty) == to_xml(parse_json(content), pretty)
    assert len(cache.items) == 4 and cache.size == sum(
        writer._size(c, d) for (c, _), d in cache.items.items()
    )
    assert writer.write_stored(second) is cache.items[(second, False)]  # a hit: the same bytes
    large = to_json({"resourceType": "Organization", "id": "big", "alias": ["a" * 100] * 100})
    assert writer.write_stored(large) == to_xml(parse_json(large))
    assert (large, False) not in cache.items  # over an eighth of the bound: written, not kept
    for i in range(200):  # the least recently used go first, and the total stays bounded
        writer.write_stored(to_json({"resourceType": "Organization", "id": f"o{i}", "alias": ["x" * 500]}))
    assert cache.size <= cache.limit and (first, False) not in cache.items
    monkeypatch.setattr(writer, "RENDERED", writer._Rendered(0))
    assert writer.write_stored(first) == to_xml(parse_json(first)) and not writer.RENDERED.items


@pytest.mark.parametrize(("value", "limit"), [("0", 0), ("1024", 1024), ("", 8 << 20), ("x", 8 << 20)])
def test_the_cache_bound_comes_from_the_environment(value, limit):
    from fhir_service.xml import writer

    assert writer._cache_bytes({"FHIR_SERVICE_XML_CACHE_BYTES": value}) == limit


@pytest.mark.parametrize("pretty", [False, True])
@pytest.mark.parametrize("limit", [0, 1 << 20])
def test_entries_from_stored_bytes_are_the_entries_written_from_dicts(monkeypatch, pretty, limit):
    from fhir_service.xml import writer

    monkeypatch.setattr(writer, "RENDERED", writer._Rendered(limit))
    stored = [{**e, "resource": to_json(e["resource"])} for e in BUNDLE_ENTRIES]
    whole = to_xml({**BUNDLE_HEAD, "entry": BUNDLE_ENTRIES}, pretty=pretty)
    for _ in range(2):  # rendered, then kept (when the cache is on)
        assert bundle_to_xml(BUNDLE_HEAD, iter(stored), pretty=pretty) == whole
    assert len(writer.RENDERED.items) == (2 if limit else 0)
