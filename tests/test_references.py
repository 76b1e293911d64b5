"""Reference finding/rewriting: deep backbones, contained resources, narrative links, identifiers."""

from fhir_service.references import iter_references, map_references, rewrite, split_relative

U1 = "urn:uuid:11111111-1111-4111-8111-111111111111"
O1 = "urn:oid:1.2.3.4"


def resource():
    return {
        "resourceType": "MedicationKnowledge",
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": U1}],
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><a href="{U1}">x</a><img src=\'{O1}\'/>'
            f'<a href="{U1}-not">y</a></div>',
        },
        "contained": [{"resourceType": "Group", "id": "g", "member": [{"entity": {"reference": O1}}]}],
        "indicationGuideline": [{"indication": [{"reference": {"reference": U1}}]}],
        "monograph": [{"source": {"reference": f"{U1}#part"}}],
        "clinicalUseIssue": [{"reference": "#g"}, {"reference": "ClinicalUseDefinition/x"}],
        "storageGuideline": [{"reference": O1}],
    }


def test_rewrite_covers_backbones_contained_narrative_and_uri_elements():
    mapping = {U1: "ClinicalUseDefinition/cud-1", O1: "Group/g-1"}
    before = resource()
    out = rewrite(before, mapping)
    assert before == resource()  # pure
    assert (
        out["indicationGuideline"][0]["indication"][0]["reference"]["reference"]
        == "ClinicalUseDefinition/cud-1"
    )
    assert out["monograph"][0]["source"]["reference"] == "ClinicalUseDefinition/cud-1#part"
    assert out["contained"][0]["member"][0]["entity"]["reference"] == "Group/g-1"
    assert out["storageGuideline"][0]["reference"] == "Group/g-1"
    assert 'href="ClinicalUseDefinition/cud-1"' in out["text"]["div"]
    assert "src='Group/g-1'" in out["text"]["div"]
    assert f'href="{U1}-not"' in out["text"]["div"]  # only exact links
    assert out["identifier"][0]["value"] == U1  # business identifiers are data, not links
    assert out["clinicalUseIssue"] == before["clinicalUseIssue"]


def test_iter_and_map_references():
    refs = list(iter_references(resource()))
    # storageGuideline.reference is a uri named "reference": indistinguishable without types, and harmless
    assert refs == [O1, U1, f"{U1}#part", "#g", "ClinicalUseDefinition/x", O1]
    out = map_references(resource(), lambda r: "X/1" if r.startswith("Clin") else None)
    assert out["clinicalUseIssue"][1]["reference"] == "X/1"
    assert out["clinicalUseIssue"][0]["reference"] == "#g"


def test_split_relative():
    assert split_relative("Group/g") == ("Group", "g")
    assert split_relative("http://x/fhir/Group/g/_history/2") == ("Group", "g")
    assert split_relative("Group?identifier=a|b") is None
    assert split_relative(U1) is None
