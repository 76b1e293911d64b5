"""A reference whose target is not found but whose URL names a type the element does not allow:
HL7's Java validator warns (without assumeValidRestReferences), so $validate warns; a write refuses
it, as HAPI does ("Resource type ... is not valid for this path"). Over real HTTP."""

from __future__ import annotations

JSON = "application/fhir+json"

WRONG_TYPE = {
    "resourceType": "ClinicalUseDefinition",
    "type": "indication",
    "subject": [{"reference": "MedicationKnowledge/mk-1"}],
}


def send(server, method: str, path: str, body: dict):
    return server.http.request(method, f"{server.base_url}/{path}", json=body, headers={"Content-Type": JSON})


def reference_issues(outcome: dict) -> list[str]:
    return [
        i["severity"]
        for i in outcome["issue"]
        if "ClinicalUseDefinition.subject[0].reference" in i.get("expression", [])
    ]


def test_validate_warns_and_every_write_refuses(live):
    checked = send(live, "POST", "ClinicalUseDefinition/$validate", WRONG_TYPE)
    assert checked.status_code == 200
    assert reference_issues(checked.json()) == ["warning"]

    created = send(live, "POST", "ClinicalUseDefinition", WRONG_TYPE)
    assert created.status_code == 422, created.text
    assert reference_issues(created.json()) == ["error"]

    updated = send(live, "PUT", "ClinicalUseDefinition/cud-wrong", {**WRONG_TYPE, "id": "cud-wrong"})
    assert updated.status_code == 422, updated.text

    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": WRONG_TYPE, "request": {"method": "POST", "url": "ClinicalUseDefinition"}}],
    }
    assert live.post_bundle(bundle).status_code == 422
    assert not live.get("ClinicalUseDefinition").json().get("entry")


def test_an_allowed_type_is_stored(live):
    allowed = {**WRONG_TYPE, "subject": [{"reference": "MedicinalProductDefinition/mpd-1"}]}
    assert send(live, "POST", "ClinicalUseDefinition", allowed).status_code == 201
