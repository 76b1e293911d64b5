"""The request headers the server reads (If-Match, If-None-Match, If-Modified-Since, If-None-Exist,
Accept, Prefer, Content-Type), with valid, malformed and contradictory values, on every kind of URL:
no 5xx, and every 4xx (but HEAD's) carries an OperationOutcome."""

from __future__ import annotations

import json

from fuzz_strategies import FUZZ, examples
from hypothesis import given, settings
from hypothesis import strategies as st

VALUES = ['W/"1"', '"1"', 'W/""', "*", "W/", 'W/"1", W/"2"', 'W/"-1"', "999999999999999999999",
          "Thu, 01 Jan 1970 00:00:00 GMT", "Mon, 32 Foo 99999 99:99:99 GMT", "application/fhir+xml",
          "application/fhir+json;fhirVersion=4.0", "text/html", "*/*;q=x", "application/xml;q=0.5, */*;q=0",
          "return=minimal", "return=OperationOutcome", "handling=strict", "respond-async", "identifier=urn:x|1",
          ""]  # fmt: skip
NAMES = [
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-None-Exist",
    "Accept",
    "Prefer",
    "Content-Type",
]
PATHS = ["Organization/h1", "Organization/h1/_history/1", "Organization", "Organization/h1/_history", "metadata",
         "Organization/$validate", "", "api-docs", "Organization/h1?_format=x", "Organization/h1?_summary=x"]  # fmt: skip
# requests refuses to send a value with leading/trailing whitespace (RFC 9110 OWS is not part of the value)
header_value = st.one_of(
    st.sampled_from(VALUES),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12).map(str.strip),
)


def _body(method: str, path: str) -> bytes | None:
    if method == "PATCH":
        return json.dumps([{"op": "add", "path": "/active", "value": True}]).encode()
    if method == "POST" and path == "":
        return json.dumps({"resourceType": "Bundle", "type": "batch", "entry": []}).encode()
    if method in ("PUT", "POST"):
        return json.dumps({"resourceType": "Organization", "id": "h1", "name": "fuzz"}).encode()
    return None


@settings(max_examples=examples(40), **FUZZ)
@given(
    st.dictionaries(st.sampled_from(NAMES), header_value, max_size=4),
    st.sampled_from(["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]),
    st.sampled_from(PATHS),
)
def test_headers_never_cause_a_server_error(server, headers, method, path):
    server.http.put(
        f"{server.base_url}/Organization/h1",
        json={"resourceType": "Organization", "id": "h1", "name": "fuzz"},
        headers={"Content-Type": "application/fhir+json"},
    )
    url = f"{server.base_url}/{path}".rstrip("/")
    response = server.http.request(method, url, data=_body(method, path), headers=headers)
    assert response.status_code < 500, (response.status_code, method, path, headers, response.text[:300])
    if response.status_code >= 400 and method != "HEAD":
        assert b"OperationOutcome" in response.content, (response.status_code, response.content[:300])
