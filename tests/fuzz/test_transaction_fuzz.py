"""Transaction and batch Bundles from a grammar of entries (methods, urls, conditional urls, ifMatch,
ifNoneExist, urn:uuid fullUrls and references between entries, resources of known and unknown types):
the server answers 200 or a 4xx OperationOutcome, never a 5xx, and no batch entry reports a 5xx."""

from __future__ import annotations

import json

from fuzz_strategies import FUZZ, examples
from hypothesis import given, settings
from hypothesis import strategies as st

UUIDS = [f"urn:uuid:{i:08d}-0000-4000-8000-000000000000" for i in range(3)]
IDS = ["a", "b", "tolperisone-mk", "x.y", "-", "", "a/b", "9" * 70]
TYPES = ["Organization", "MedicationKnowledge", "Group", "Bundle", "X", ""]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "get", "X", None]
REFERENCES = [*UUIDS, "Organization/a", "Organization?identifier=urn:x|1", "Organization?", "#x",
              "MedicationKnowledge/tolperisone-mk", "urn:oid:1.2.3", "X/1", ""]  # fmt: skip
# a JSON Patch [{"op":"add","path":"/active","value":true}] as a Binary, the R5 way to PATCH in a Bundle
PATCH = {"resourceType": "Binary", "contentType": "application/json-patch+json",
         "data": "W3sib3AiOiJhZGQiLCJwYXRoIjoiL2FjdGl2ZSIsInZhbHVlIjp0cnVlfV0="}  # fmt: skip


@st.composite
def resource(draw) -> dict:
    rtype = draw(st.sampled_from(TYPES))
    out: dict = {"resourceType": rtype}
    if draw(st.booleans()):
        out["id"] = draw(st.sampled_from(IDS))
    reference = {"reference": draw(st.sampled_from(REFERENCES))}
    if rtype in ("Organization", "X", ""):
        out["identifier"] = [{"system": "urn:x", "value": draw(st.sampled_from(["1", "2"]))}]
        if draw(st.booleans()):
            out["partOf"] = reference
    elif rtype == "Group":
        out.update({"type": "person", "membership": "definitional", "member": [{"entity": reference}]})
    elif rtype == "MedicationKnowledge":
        out["associatedMedication"] = [reference]
    return out


@st.composite
def entry(draw) -> dict:
    out: dict = {}
    if draw(st.integers(0, 4)):
        out["fullUrl"] = draw(
            st.sampled_from([*UUIDS, "http://x/fhir/Organization/a", "Organization/a", "bad"])
        )
    method = draw(st.sampled_from(METHODS))
    if method is not None:
        rtype, rid = draw(st.sampled_from(TYPES)), draw(st.sampled_from(IDS))
        urls = [rtype, f"{rtype}/{rid}", f"{rtype}?identifier=urn:x|1", f"{rtype}?_id=a", f"{rtype}/a/_history/1",
                "", "/", "?", f"{rtype}/$validate", "metadata"]  # fmt: skip
        out["request"] = {"method": method, "url": draw(st.sampled_from(urls))}
        if draw(st.integers(0, 3)) == 0:
            out["request"]["ifMatch"] = draw(st.sampled_from(['W/"1"', 'W/"x"', "1", ""]))
        if draw(st.integers(0, 3)) == 0:
            out["request"]["ifNoneExist"] = draw(st.sampled_from(["identifier=urn:x|1", "", "x=", "_id=a"]))
    if method == "PATCH" and draw(st.booleans()):
        out["resource"] = PATCH
    elif draw(st.integers(0, 5)):
        out["resource"] = draw(resource())
    return out


@settings(max_examples=examples(50), **FUZZ)
@given(
    st.sampled_from(["transaction", "batch"]),
    st.lists(entry(), max_size=4),
    st.sampled_from([None, "return=minimal", "return=OperationOutcome"]),
)
def test_bundles_never_fail_with_a_server_error(server, kind, entries, prefer):
    bundle = {"resourceType": "Bundle", "type": kind, "entry": entries}
    response = server.post_bundle(bundle, **({"Prefer": prefer} if prefer else {}))
    assert response.status_code < 500, (response.status_code, json.dumps(bundle), response.text[:300])
    body = response.json()
    if response.status_code >= 400:
        assert body["resourceType"] == "OperationOutcome" and body["issue"], response.text[:300]
        return
    assert response.status_code == 200 and body["type"] == f"{kind}-response"
    statuses = [e["response"]["status"] for e in body.get("entry", [])]
    assert len(statuses) == len(entries) and not any(s.startswith("5") for s in statuses), statuses
