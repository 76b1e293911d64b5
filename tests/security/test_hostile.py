"""Hostile input: a table of attacks sent over real HTTP to a live server on the configured backend
(SQLite, or PostgreSQL with FHIR_SERVICE_TEST_DATABASE_URL). tests/integration/test_bad_input.py
covers ordinary bad input; this table is about input built to hurt: nesting, numbers and strings no
store can hold, limit-breaking searches, SQL in every search parameter type, path traversal, script
in narratives, parser differentials (duplicate keys), entity tricks; and what a hostile probe found:
`_type` and every other way a search reaches a type (with tokens for one type, against a second
server with token auth), dates at and beyond FHIR's range, transactions whose entries overlap,
unresolved placeholders, Bulk jobs of another client, narrative data: URLs and style, contained ids,
If-None-Match on writes, XML errors. A second table sends raw requests that the serving layer itself
answers (rest/server.py, and granian's parser), and slow-header senders beside ordinary clients.

Requests go through http.client, so paths arrive exactly as written (no dot-segment clean-up). Every
case asserts: the expected status within TIMEOUT (never a 5xx, never a hang); for a 4xx an
OperationOutcome with an error issue carrying a code (the expected one where the table names it); no
resource of a type the case does not allow anywhere in the answer; no library internals in it; no
SQL statement the server ran contains the case's SQL text (values are bound, never spliced); and the
store unchanged (system _history total and a hash of every version's content), or, for a legitimate
create, grown by resources of the allowed types only.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from live_server import LiveServer
from sqlalchemy import event

from fhir_service.auth.config import AuthConfig
from fhir_service.limits import Limits, current, from_env
from fhir_service.narrative import xhtml_problems

ROOT = Path(__file__).resolve().parents[2]
SEED_BUNDLE = ROOT / "fixtures" / "bundles" / "tolperisone.json"
TIMEOUT = 30  # seconds; every case answers far faster
LIMITS = Limits()  # the defaults: the server under test runs with them
MARK = "xyzzy"  # in every SQL payload; must never appear in a statement's text

JSON = {"Content-Type": "application/fhir+json"}
XML = {"Content-Type": "application/fhir+xml"}
PATCH = {"Content-Type": "application/json-patch+json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SQL = f"{MARK}' OR '1'='1'; DROP TABLE resource; --"  # the classic, quoted for a string literal
SQLQ = quote(SQL, safe="")


def j(value) -> bytes:
    return json.dumps(value).encode()


def values(n: int, make=lambda i: f"v{i}") -> str:
    return ",".join(make(i) for i in range(n))


def nested_extension(levels: int) -> dict:
    ext: dict = {"url": "http://example.org/x", "valueString": "leaf"}
    for _ in range(levels):
        ext = {"url": "http://example.org/x", "extension": [ext]}
    return {"resourceType": "Organization", "name": "deep", "extension": [ext]}


def questionnaire(levels: int) -> dict:
    """A valid Questionnaire whose groups nest `levels` deep (JSON depth 2 * levels + 1)."""
    item: dict = {"linkId": f"q{levels}", "text": "leaf", "type": "string"}
    for level in range(levels - 1, 0, -1):
        item = {"linkId": f"q{level}", "text": "group", "type": "group", "item": [item]}
    return {"resourceType": "Questionnaire", "status": "draft", "item": [item]}


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def narrative(div_body: str) -> bytes:
    div = f'<div xmlns="http://www.w3.org/1999/xhtml">{div_body}</div>'
    return j({"resourceType": "Organization", "name": "x", "text": {"status": "generated", "div": div}})


def bundle(kind: str, entries: list[dict]) -> bytes:
    return j({"resourceType": "Bundle", "type": kind, "entry": entries})


ORG = {"resourceType": "Organization", "name": "x"}


def fhirpath_add(count: int, path: str = "Organization") -> list[dict]:
    part = [
        {"name": "type", "valueCode": "add"},
        {"name": "path", "valueString": path},
        {"name": "name", "valueString": "alias"},
        {"name": "value", "valueString": "z"},
    ]
    return [{"name": "operation", "part": part}] * count


XML_ORG = b'<Organization xmlns="http://hl7.org/fhir"><name value="x"/></Organization>'
XXE_HTTP = b"""<?xml version="1.0"?>
<!DOCTYPE Organization [<!ENTITY x SYSTEM "http://127.0.0.1:9/evil">]>
<Organization xmlns="http://hl7.org/fhir"><name value="&x;"/></Organization>"""
XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE Organization [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>
<Organization xmlns="http://hl7.org/fhir"><name value="x"/></Organization>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Organization SYSTEM "file:///etc/passwd">
<Organization xmlns="http://hl7.org/fhir"><name value="x"/></Organization>"""
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE Organization [<!ENTITY a "' + b"x" * 50_000 + b'">]>'
    b'<Organization xmlns="http://hl7.org/fhir"><name value="' + b"&a;" * 5_000 + b'"/></Organization>'
)
LAUGHS_DEEP = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY l0 "lol">'
    + b"".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">'.encode() for i in range(1, 10))
    + b']><Organization xmlns="http://hl7.org/fhir"><name value="&l9;"/></Organization>'
)
XINCLUDE = (
    b'<Organization xmlns="http://hl7.org/fhir" xmlns:xi="http://www.w3.org/2001/XInclude">'
    b'<name value="x"/><xi:include href="file:///etc/passwd" parse="text"/></Organization>'
)


def xml_deep(levels: int) -> bytes:
    open_ = b"<extension url='http://example.org/x'>" * levels
    return (
        b'<Organization xmlns="http://hl7.org/fhir">' + open_ + b"</extension>" * levels + b"</Organization>"
    )


@dataclass
class Case:
    name: str
    method: str
    path: str  # relative to /fhir/, sent as written
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    status: int = 400
    code: str | None = None  # the issue code a 4xx must carry (any code when None)
    expect: str | None = None  # 2xx: "valid" outcome, "empty" searchset, "bundle", "clamped" _count
    token: str | None = None  # sent as a bearer token to the server with token auth (TOKENS)
    only: tuple[str, ...] = ()  # the only resource types the answer may hold (besides Bundle, outcome)
    stores: bool = False  # a legitimate create: the store may gain versions, of the `only` types


MK = "MedicationKnowledge"
CUD = "ClinicalUseDefinition"
MPD = "MedicinalProductDefinition"
TOO_COSTLY = "too-costly"
TOKENS = {
    "admin": "system/*.cruds",
    "s-only": f"system/{CUD}.s",  # searches ClinicalUseDefinition, nothing else
    "cud-w": f"system/{CUD}.cruds",  # reads and writes ClinicalUseDefinition only
}
ADMIN = {"Authorization": "Bearer admin"}
TAG = "http://t|orgonly"
# Beside the seed: resources of other types that share ids, so that a search on the wrong type shows.
SEED_EXTRA = [
    {**ORG, "id": "hostile-target"},
    {**ORG, "id": "shared-1", "meta": {"tag": [{"system": "http://t", "code": "orgonly"}]}},
    {"resourceType": CUD, "id": "shared-1", "type": "warning"},
    {**ORG, "id": "canary-1"},
    {**ORG, "id": "canary-3"},
]


def entry(method: str, url: str, resource: dict | None = None, **request) -> dict:
    found = {"request": {"method": method, "url": url, **request}}
    return {**found, "resource": resource} if resource is not None else found


def cud(**fields) -> dict:
    return {"resourceType": CUD, "type": "warning", **fields}


def cud_referring(reference: str) -> dict:
    """A ClinicalUseDefinition whose contraindication.indication is `reference` (a CUD reference)."""
    return cud(type="contraindication", contraindication={"indication": [{"reference": reference}]})


def patch_json(operations: list[dict]) -> bytes:
    return j(operations)


def fhirpath(kind: str, path: str, **parts) -> bytes:
    """A FHIRPath Patch with one operation."""
    part = [{"name": "type", "valueCode": kind}, {"name": "path", "valueString": path}]
    part += [{"name": name, **value} for name, value in parts.items()]
    return j({"resourceType": "Parameters", "parameter": [{"name": "operation", "part": part}]})


def dates(path: str, value: str) -> str:
    return f"{path}={quote(value, safe='')}"


ASYNC = {"Prefer": "respond-async"}
# Out of FHIR's range (years 0001-9999, offsets within ±14:00): a 400 wherever a date goes
BAD_DATES = {
    "offset +25:00": "gt2020-01-01T00:00:00+25:00",
    "offset +14:01": "2020-01-01T00:00:00+14:01",
    "offset -14:30": "lt2020-01-01T00:00:00-14:30",
    "offset minutes 60": "2020-01-01T00:00:00+10:60",
    "offset -99:99": "ge2020-01-01T00:00:00-99:99",
    "year 0000": "0000",
    "year 0000 with a prefix": "gt0000-01-01",
    "month 13": "2020-13",
    "February 30": "ap2020-02-30",
    "hour 24": "2020-01-01T24:00:00Z",
}
# At the ends of the range: valid, and the upper bound of 9999 is no overflow on either database
EDGE_DATES = {
    "year 9999": "9999",
    "ap 9999-12-31": "ap9999-12-31",
    "sa 9999-12-31": "sa9999-12-31",
    "gt the last second": "gt9999-12-31T23:59:59Z",
    "the last second at -14:00": "9999-12-31T23:59:59-14:00",
    "ge the last microsecond and beyond": "ge9999-12-31T23:59:59.9999999Z",
    "le the first second at +14:00": "le0001-01-01T00:00:00+14:00",
    "eb 0001": "eb0001",
    "ne 9999-12": "ne9999-12",
}


CASES = [
    # --- JSON bodies ----------------------------------------------------------------------------
    Case(
        "JSON 100 levels of extensions",
        "POST",
        "Organization",
        j(nested_extension(100)),
        JSON,
        400,
        TOO_COSTLY,
    ),
    Case(
        "JSON one level over the depth limit",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","x":' + b"[" * LIMITS.json_depth + b"]" * LIMITS.json_depth + b"}",
        JSON,
        400,
        TOO_COSTLY,
    ),
    Case(
        "JSON just under the depth limit",
        "POST",
        "Organization/$validate",
        j(nested_extension(30)),
        JSON,
        200,
        expect="valid",
    ),
    Case(
        "JSON 900 nested arrays",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","x":' + b"[" * 900 + b"]" * 900 + b"}",
        JSON,
        400,
        TOO_COSTLY,
    ),
    Case(
        "JSON 100-deep objects in a transaction entry",
        "POST",
        "",
        bundle(
            "transaction",
            [{"request": {"method": "POST", "url": "Organization"}, "resource": nested_extension(60)}],
        ),
        JSON,
        400,
        TOO_COSTLY,
    ),
    Case(
        "deep but legitimate Questionnaire (30 levels)",
        "POST",
        "Questionnaire/$validate",
        j(questionnaire(30)),
        JSON,
        200,
        expect="valid",
    ),
    Case(
        "duplicate key",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a","name":"b"}',
        JSON,
        400,
        "structure",
    ),
    Case(
        "duplicate resourceType (parser differential)",
        "POST",
        "Organization",
        b'{"resourceType":"Patient","resourceType":"Organization","name":"a"}',
        JSON,
        400,
        "structure",
    ),
    Case(
        "duplicate key deep inside",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a","contact":[{"name":{"text":"a","text":"b"}}]}',
        JSON,
        400,
    ),
    Case(
        "number 1e999",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a","extension":[{"url":"http://x","valueDecimal":1e999}]}',
        JSON,
        400,
    ),
    Case(
        "number -1e999",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a","extension":[{"url":"http://x","valueDecimal":-1e999}]}',
        JSON,
        400,
    ),
    Case(
        "NaN",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a","extension":[{"url":"http://x","valueDecimal":NaN}]}',
        JSON,
        400,
    ),
    Case(
        "Infinity",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a","extension":[{"url":"http://x","valueDecimal":Infinity}]}',
        JSON,
        400,
    ),
    Case(
        "integer of 5000 digits",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a","extension":[{"url":"http://x","valueInteger":'
        + b"9" * 5000
        + b"}]}",
        JSON,
        400,
    ),
    Case(
        "NUL in a string",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a\\u0000b"}',
        JSON,
        400,
    ),
    Case(
        "ESC control character in a string",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a\\u001b[31m"}',
        JSON,
        400,
    ),
    Case(
        "lone UTF-16 surrogate",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a\\ud800"}',
        JSON,
        400,
    ),
    Case(
        "U+FFFE escaped (XML cannot carry it)",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"a\\ufffe"}',
        JSON,
        400,
    ),
    Case(
        "U+FFFF raw",
        "POST",
        "Organization",
        '{"resourceType":"Organization","name":"a\uffff"}'.encode(),
        JSON,
        400,
    ),
    Case(
        "escaped backslash before u0000 is text",
        "POST",
        "Organization/$validate",
        b'{"resourceType":"Organization","name":"a\\\\u0000 and \\ud83d\\ude00"}',
        JSON,
        200,
        expect="valid",
    ),
    Case(
        "overlong UTF-8",
        "POST",
        "Organization",
        b'{"resourceType":"Organization","name":"\xc0\xaf"}',
        JSON,
        400,
    ),
    Case("UTF-16 body", "POST", "Organization", json.dumps(ORG).encode("utf-16"), JSON, 400),
    Case(
        "JSON Patch with NUL",
        "PATCH",
        "Organization/hostile-target",
        b'[{"op":"add","path":"/alias","value":["a\\u0000"]}]',
        PATCH,
        400,
    ),
    Case(
        "JSON Patch with a lone surrogate",
        "PATCH",
        "Organization/hostile-target",
        b'[{"op":"add","path":"/alias","value":["\\udc00"]}]',
        PATCH,
        400,
    ),
    Case(
        "JSON Patch with duplicate keys",
        "PATCH",
        "Organization/hostile-target",
        b'[{"op":"add","path":"/alias","path":"/name","value":"b"}]',
        PATCH,
        400,
    ),
    Case(
        "JSON Patch with 1e999",
        "PATCH",
        "Organization/hostile-target",
        b'[{"op":"add","path":"/alias","value":[1e999]}]',
        PATCH,
        400,
    ),
    Case(
        "JSON Patch 900 deep",
        "PATCH",
        "Organization/hostile-target",
        b'[{"op":"add","path":"/alias","value":' + b"[" * 900 + b"]" * 900 + b"}]",
        PATCH,
        400,
    ),
    Case(
        "JSON Patch copy bomb",
        "PATCH",
        "Organization/hostile-target",
        j(
            [{"op": "add", "path": "/alias", "value": ["x"]}]
            + [{"op": "copy", "from": "/alias", "path": "/alias/-"}] * 40
        ),
        PATCH,
        400,
        TOO_COSTLY,
    ),
    Case(
        "JSON Patch over the operation limit",
        "PATCH",
        "Organization/hostile-target",
        j([{"op": "test", "path": "/id", "value": "hostile-target"}] * (LIMITS.patch_operations + 1)),
        PATCH,
        400,
        TOO_COSTLY,
    ),
    Case(
        "FHIRPath Patch over the operation limit",
        "PATCH",
        "Organization/hostile-target",
        j({"resourceType": "Parameters", "parameter": fhirpath_add(LIMITS.patch_operations + 1)}),
        JSON,
        400,
        TOO_COSTLY,
    ),
    Case(
        "FHIRPath Patch path of 5000 parentheses",
        "PATCH",
        "Organization/hostile-target",
        j(
            {
                "resourceType": "Parameters",
                "parameter": fhirpath_add(1, "(" * 5000 + "Organization" + ")" * 5000),
            }
        ),
        JSON,
        400,
        TOO_COSTLY,
    ),
    # --- XML bodies -----------------------------------------------------------------------------
    Case("XXE to the network", "POST", "Organization", XXE_HTTP, XML, 400, "structure"),
    Case("XXE through a parameter entity", "POST", "Organization", XXE_PARAMETER, XML, 400, "structure"),
    Case("external DTD", "POST", "Organization", EXTERNAL_DTD, XML, 400, "structure"),
    Case("billion laughs, 10^9", "POST", "Organization", LAUGHS_DEEP, XML, 400, "structure"),
    Case("quadratic blowup", "POST", "Organization", QUADRATIC, XML, 400, "structure"),
    # xi:include is an unknown element to FHIR XML: reported (422), never followed
    Case("XInclude of /etc/passwd", "POST", "Organization", XINCLUDE, XML, 422, "structure"),
    Case("XML 100 deep", "POST", "Organization", xml_deep(100), XML, 400, TOO_COSTLY),
    Case("XML 20,000 deep", "POST", "Organization", xml_deep(20_000), XML, 400, TOO_COSTLY),
    Case(
        "XML NUL character reference",
        "POST",
        "Organization",
        b'<Organization xmlns="http://hl7.org/fhir"><name value="a&#0;b"/></Organization>',
        XML,
        400,
    ),
    Case(
        "XML invalid UTF-8",
        "POST",
        "Organization",
        b'<Organization xmlns="http://hl7.org/fhir"><name value="\xff\xfe"/></Organization>',
        XML,
        400,
    ),
    # --- content types ----------------------------------------------------------------------------
    Case("no Content-Type", "POST", "Organization", j(ORG), {}, 415, "not-supported"),
    Case(
        "multipart body",
        "POST",
        "Organization",
        b"--x\r\n\r\n{}\r\n--x--",
        {"Content-Type": "multipart/form-data; boundary=x"},
        415,
    ),
    Case("form body to create", "POST", "Organization", b"resourceType=Organization", FORM, 415),
    Case(
        "text/html body",
        "POST",
        "Organization",
        b"<script>alert(1)</script>",
        {"Content-Type": "text/html"},
        415,
    ),
    Case("XML declared, JSON sent", "POST", "Organization", j(ORG), XML, 400, "structure"),
    Case("JSON declared, XML sent", "POST", "Organization", XML_ORG, JSON, 400, "structure"),
    Case(
        "_search with multipart",
        "POST",
        "Organization/_search",
        b"--x--",
        {"Content-Type": "multipart/form-data; boundary=x"},
        415,
    ),
    # --- Bundles ----------------------------------------------------------------------------------
    Case(
        "batch over the entry limit",
        "POST",
        "",
        bundle("batch", [{"request": {"method": "GET", "url": "metadata"}}] * (LIMITS.bundle_entries + 1)),
        JSON,
        413,
        TOO_COSTLY,
    ),
    Case(
        "transaction over the entry limit",
        "POST",
        "",
        bundle(
            "transaction",
            [{"request": {"method": "DELETE", "url": "Organization/gone"}}] * (LIMITS.bundle_entries + 1),
        ),
        JSON,
        413,
        TOO_COSTLY,
    ),
    Case(
        "transaction GET with 10,000 values",
        "POST",
        "",
        bundle("transaction", [{"request": {"method": "GET", "url": f"Organization?name={values(10_000)}"}}]),
        JSON,
        400,
        TOO_COSTLY,
    ),
    Case(
        "transaction PUT to a traversal url",
        "POST",
        "",
        bundle(
            "transaction",
            [
                {
                    "request": {"method": "PUT", "url": "Organization/../../etc/passwd"},
                    "resource": {**ORG, "id": ".."},
                }
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction entry url with NUL id",
        "POST",
        "",
        bundle(
            "transaction",
            [
                {
                    "request": {"method": "PUT", "url": "Organization/a\u0000b"},
                    "resource": {**ORG, "id": "a\u0000b"},
                }
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "conditional reference with 10,000 values",
        "POST",
        "",
        bundle(
            "transaction",
            [
                {
                    "request": {"method": "POST", "url": "Organization"},
                    "resource": {**ORG, "partOf": {"reference": f"Organization?name={values(10_000)}"}},
                }
            ],
        ),
        JSON,
        400,
        TOO_COSTLY,
    ),
    # --- search limits --------------------------------------------------------------------------
    Case(
        "10,000 comma-separated token values",
        "GET",
        f"{CUD}?type={values(10_000)}",
        status=400,
        code=TOO_COSTLY,
    ),
    Case("10,000 _id values", "GET", f"{CUD}?_id={values(10_000)}", status=400, code=TOO_COSTLY),
    Case(
        "one value over the limit",
        "GET",
        f"{CUD}?type={values(LIMITS.search_values + 1)}",
        status=400,
        code=TOO_COSTLY,
    ),
    Case(
        "values at the limit",
        "GET",
        f"{CUD}?type={values(LIMITS.search_values, lambda i: f'http://x|{i}')}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "chained values at the limit",
        "GET",
        f"{CUD}?subject:{MPD}.name={values(LIMITS.search_values // 2)}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "chained values over the limit",
        "GET",
        f"{CUD}?subject:{MPD}.name={values(LIMITS.search_values // 2 + 1)}",
        status=400,
        code=TOO_COSTLY,
    ),
    Case(
        "too many parameters",
        "GET",
        f"{CUD}?" + "&".join(f"type=t{i}" for i in range(LIMITS.search_params + 1)),
        status=400,
        code=TOO_COSTLY,
    ),
    Case(
        "parameters at the limit",
        "GET",
        f"{CUD}?" + "&".join(f"type=t{i}" for i in range(LIMITS.search_params)) + "&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "10,000 values by POST _search",
        "POST",
        f"{CUD}/_search",
        f"type={values(10_000)}".encode(),
        FORM,
        400,
        TOO_COSTLY,
    ),
    Case(
        "deepest chains, as many as allowed",
        "GET",
        "Provenance?"
        + "&".join(
            "target:Provenance." * LIMITS.chain_depth + f"agent=x{i}" for i in range(LIMITS.search_params)
        )
        + "&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "_text of 300,000 words by POST _search",
        "POST",
        f"{CUD}/_search",
        ("_text=" + "+".join(["a"] * 300_000)).encode(),
        FORM,
        400,
        TOO_COSTLY,
    ),
    Case(
        "a value one character too long",
        "GET",
        f"{MPD}?name={'a' * (LIMITS.search_value_length + 1)}",
        status=400,
        code=TOO_COSTLY,
    ),
    Case(
        "a value at the length limit",
        "GET",
        f"{MPD}?name={'a' * LIMITS.search_value_length}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case("number 1e1000000", "GET", "RiskAssessment?probability=1e1000000", status=400),
    Case("quantity 1e1000000", "GET", "Observation?value-quantity=1e1000000", status=400),
    Case(
        "too many _sort keys",
        "GET",
        f"{CUD}?_sort=" + ",".join(["type", "-_lastUpdated"] * 200),
        status=400,
        code=TOO_COSTLY,
    ),
    Case(
        "_sort keys at the limit",
        "GET",
        f"{CUD}?_sort=" + ",".join(["type", "-_id"] * (LIMITS.sort_keys // 2)) + "&_count=2",
        status=200,
        expect="bundle",
    ),
    Case(
        "too many _include",
        "GET",
        f"{CUD}?" + "&".join(["_include=*"] * (LIMITS.includes + 1)),
        status=400,
        code=TOO_COSTLY,
    ),
    Case(
        "include fan-out at the limit",
        "GET",
        f"{CUD}?" + "&".join(["_include:iterate=*", "_revinclude:iterate=*"] * (LIMITS.includes // 2)),
        status=200,
        expect="bundle",
    ),
    Case(
        "chain one level too deep",
        "GET",
        "Provenance?" + "target:Provenance." * (LIMITS.chain_depth + 1) + "agent=x",
        status=400,
        code=TOO_COSTLY,
    ),
    Case(
        "chain at the depth limit",
        "GET",
        "Provenance?" + "target:Provenance." * LIMITS.chain_depth + "agent=x&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "_has one level too deep",
        "GET",
        f"{MPD}?" + "_has:Provenance:target:" * (LIMITS.chain_depth + 1) + "agent=x",
        status=400,
        code=TOO_COSTLY,
    ),
    Case(
        "_has 20 deep", "GET", f"{MPD}?" + f"_has:{CUD}:subject:" * 20 + "type=x", status=400, code=TOO_COSTLY
    ),
    Case("huge _count is lowered", "GET", f"{CUD}?_count=99999999999999999999", status=200, expect="clamped"),
    Case("_count of 5000 digits", "GET", f"{CUD}?_count={'9' * 5000}", status=200, expect="clamped"),
    Case("_count as a float", "GET", f"{CUD}?_count=1e3", status=400),
    Case("_count superscript two", "GET", f"{CUD}?_count=%C2%B2", status=400),
    Case(
        "history _count of 5000 digits", "GET", f"_history?_count={'9' * 5000}", status=200, expect="bundle"
    ),
    Case("history _count superscript two", "GET", "_history?_count=%C2%B2", status=400),
    Case("NUL in a search value", "GET", f"{CUD}?type=a%00b", status=400),
    Case("NUL in a parameter name", "GET", f"{CUD}?ty%00pe=a", status=400),
    Case(
        "conditional create with 10,000 values",
        "POST",
        "Organization",
        j(ORG),
        {**JSON, "If-None-Exist": f"name={values(10_000)}"},
        400,
        TOO_COSTLY,
    ),
    Case(
        "conditional update with 10,000 values",
        "PUT",
        f"Organization?name={values(10_000)}",
        j(ORG),
        JSON,
        400,
        TOO_COSTLY,
    ),
    Case(
        "conditional delete with 10,000 values",
        "DELETE",
        f"Organization?name={values(10_000)}",
        status=400,
        code=TOO_COSTLY,
    ),
    # --- SQL metacharacters in every search parameter type -----------------------------------------
    Case("SQL in a token", "GET", f"{CUD}?type={SQLQ}&_total=accurate", status=200, expect="empty"),
    Case(
        "SQL in a token system|code",
        "GET",
        f"{CUD}?type={SQLQ}|{SQLQ}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "SQL in a token :text", "GET", f"{CUD}?type:text={SQLQ}&_total=accurate", status=200, expect="empty"
    ),
    Case(
        "SQL in a token :not",
        "GET",
        f"{MK}?code:not={SQLQ}&_id={SQLQ}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case("SQL in a string", "GET", f"{MPD}?name={SQLQ}&_total=accurate", status=200, expect="empty"),
    Case(
        "SQL in a string :exact",
        "GET",
        f"{MPD}?name:exact={SQLQ}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "LIKE wildcard % in :contains",
        "GET",
        f"{MPD}?name:contains=%25&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case("LIKE wildcard _ in a string", "GET", f"{MPD}?name=_&_total=accurate", status=200, expect="empty"),
    Case("SQL in a reference", "GET", f"{CUD}?subject={MPD}/{SQLQ}", status=400),
    Case(
        "SQL in a reference id",
        "GET",
        f"{CUD}?subject={MARK}%27--&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "SQL in a reference :identifier",
        "GET",
        f"{CUD}?subject:identifier={SQLQ}|{SQLQ}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case("SQL in a date", "GET", f"{CUD}?_lastUpdated=ge2020{SQLQ}", status=400),
    Case("SQL in a number", "GET", f"RiskAssessment?probability=1{SQLQ}", status=400),
    Case(
        "SQL in a quantity unit",
        "GET",
        f"Observation?value-quantity=5.4|{SQLQ}|{SQLQ}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case("SQL in a quantity number", "GET", f"Observation?value-quantity=5{SQLQ}", status=400),
    Case("SQL in a uri", "GET", f"ValueSet?url=http://x/{SQLQ}&_total=accurate", status=200, expect="empty"),
    Case(
        "SQL in a uri :below",
        "GET",
        f"ValueSet?url:below=http://x/{SQLQ}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "SQL in a composite",
        "GET",
        f"Observation?code-value-quantity={SQLQ}$5&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "SQL in a composite token part",
        "GET",
        f"Observation?code-value-quantity={SQLQ}$gt5&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case(
        "SQL in a chained value",
        "GET",
        f"{CUD}?subject:{MPD}.name={SQLQ}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case("SQL in a chain's type", "GET", f"{CUD}?subject:{SQLQ}.name=x", status=400),
    Case(
        "SQL in _has",
        "GET",
        f"{MPD}?_has:{CUD}:subject:type={SQLQ}&_total=accurate",
        status=200,
        expect="empty",
    ),
    Case("SQL in _has's type", "GET", f"{MPD}?_has:{SQLQ}:subject:type=x", status=400),
    Case("SQL in _sort", "GET", f"{CUD}?_sort={SQLQ}", status=400),
    Case("SQL in _include", "GET", f"{CUD}?_include={CUD}:{SQLQ}", status=400),
    Case("SQL in _revinclude", "GET", f"{MPD}?_revinclude={SQLQ}:subject", status=400),
    Case("SQL in _type", "GET", f"?_type={SQLQ}&name=x", status=400),
    Case("SQL in _tag", "GET", f"{CUD}?_tag={SQLQ}|{SQLQ}&_total=accurate", status=200, expect="empty"),
    Case("SQL in _cursor", "GET", f"{CUD}?_cursor={SQLQ}", status=400),
    Case(
        "SQL in a parameter name, strict",
        "GET",
        f"{CUD}?{SQLQ}=x",
        headers={"Prefer": "handling=strict"},
        status=400,
    ),
    Case("SQL in _since", "GET", f"_history?_since={SQLQ}", status=400),
    Case("SQL in _text", "GET", f"{CUD}?_text={SQLQ}&_total=accurate", status=200, expect="empty"),
    Case(
        "full-text syntax in _content",
        "GET",
        f"{CUD}?_content=%22NEAR(%22%20*%20{MARK}%27&_total=accurate",
        status=200,
        expect="empty",
    ),
    # --- ids and paths: never a file, never a 5xx -----------------------------------------------------
    Case("traversal with encoded slashes", "GET", "Organization/..%2F..%2Fetc%2Fpasswd", status=404),
    Case("traversal double-encoded", "GET", "Organization/..%252F..%252Fetc%252Fpasswd", status=400),
    Case("traversal in the raw path", "GET", "Organization/../../../etc/passwd", status=404),
    Case(
        "traversal on update",
        "PUT",
        "Organization/..%2F..%2Fetc%2Fpasswd",
        j({**ORG, "id": "../../etc/passwd"}),
        JSON,
        404,
    ),
    Case("id with a slash in the body", "PUT", "Organization/a", j({**ORG, "id": "a/../../b"}), JSON, 400),
    Case("NUL in an id", "GET", "Organization/abc%00def", status=400),
    Case(
        "NUL in an id on update", "PUT", "Organization/abc%00def", j({**ORG, "id": "abc\u0000def"}), JSON, 400
    ),
    Case("id of 20,000 characters", "GET", "Organization/" + "a" * 20_000, status=400),
    Case("traversal in a version id", "GET", "Organization/hostile-target/_history/..%2F..%2F1", status=404),
    Case("traversal in a bulk file name", "GET", "bulkfiles/..%2F..%2F/etc/passwd", status=404),
    Case("traversal in a bulk job id", "GET", "bulkfiles/..%2F..%2Fetc/passwd", status=404),
    Case("NUL in a bulk job id", "GET", "bulkstatus/ab%00c", status=404, code="not-found"),
    Case("NUL in a bulk job id on cancel", "DELETE", "bulkstatus/ab%00c", status=404),
    Case("NUL in a bulk file's job", "GET", "bulkfiles/ab%00c/Organization.ndjson", status=404),
    Case("dot-dot bulk job", "DELETE", "bulkstatus/..", status=404),
    Case("dot-dot bulk job status", "GET", "bulkstatus/%2e%2e", status=404),
    Case("encoded traversal in a bulk job", "DELETE", "bulkstatus/..%2F..%2Ftmp", status=404),
    Case(
        "version beyond 32 bits",
        "GET",
        "Organization/hostile-target/_history/2147483648",
        status=404,
        code="not-found",
    ),
    Case("version of 5000 digits", "GET", "Organization/hostile-target/_history/" + "9" * 5000, status=404),
    Case("version superscript two", "GET", "Organization/hostile-target/_history/%C2%B2", status=400),
    Case(
        "SQL in If-Match",
        "DELETE",
        "Organization/hostile-target",
        headers={"If-Match": f'W/"{MARK}\'--"'},
        status=412,
    ),
    Case(
        "_type repeated 1000 times",
        "GET",
        "?_type=" + ",".join(["Organization"] * 1000) + "&name=x",
        status=400,
        code=TOO_COSTLY,
    ),
    # --- narratives: script never gets in --------------------------------------------------------------
    Case(
        "<script> in a narrative",
        "POST",
        "Organization",
        narrative("<p>x</p><script>alert(1)</script>"),
        JSON,
        422,
        "invariant",
    ),
    Case(
        "javascript: link",
        "POST",
        "Organization",
        narrative('<a href="javascript:alert(1)">x</a>'),
        JSON,
        422,
        "invariant",
    ),
    Case(
        "javascript: link with a tab",
        "POST",
        "Organization",
        narrative('<a href="jav&#x09;ascript:alert(1)">x</a>'),
        JSON,
        422,
        "invariant",
    ),
    Case(
        "javascript: link, mixed case and spaces",
        "POST",
        "Organization",
        narrative('<a href=" &#x0A;JaVaScRiPt:alert(1)">x</a>'),
        JSON,
        422,
        "invariant",
    ),
    Case(
        "javascript: img src",
        "POST",
        "Organization",
        narrative('<p>x<img src="javascript:alert(1)"/></p>'),
        JSON,
        422,
        "invariant",
    ),
    Case(
        "event handler",
        "POST",
        "Organization",
        narrative('<p onclick="alert(1)">x</p>'),
        JSON,
        422,
        "invariant",
    ),
    Case(
        "iframe",
        "POST",
        "Organization",
        narrative('<p>x</p><iframe src="http://evil.example"/>'),
        JSON,
        422,
        "invariant",
    ),
    Case(
        "svg onload",
        "POST",
        "Organization",
        narrative('<p>x</p><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        JSON,
        422,
        "invariant",
    ),
    Case(
        "entity declaration inside a narrative",
        "POST",
        "Organization",
        narrative('<!DOCTYPE div [<!ENTITY x "y">]><p>&x;</p>'),
        JSON,
        422,
        "invariant",
    ),
    Case(
        "script in an XML narrative",
        "POST",
        "Organization",
        b'<Organization xmlns="http://hl7.org/fhir"><text><status value="generated"/>'
        b'<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p><script>alert(1)</script></div></text>'
        b'<name value="x"/></Organization>',
        XML,
        422,
        "invariant",
    ),
    # --- _type and every other way to name a type: a search never reaches a type it does not name ---
    Case(
        "type search, _type of another type",
        "GET",
        f"{CUD}?_type={MK}",
        status=200,
        expect="empty",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "type search, _type of another type, no auth",
        "GET",
        f"{CUD}?_type={MK}",
        status=200,
        expect="empty",
        only=(CUD,),
    ),
    Case(
        "type search, _type of two other types",
        "GET",
        f"{CUD}?_type={MK},{MPD}",
        status=200,
        expect="empty",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "type search, _type including the URL type",
        "GET",
        f"{CUD}?_type={MK},{CUD}&_count=3",
        status=200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "type search, _type of another type with a criterion",
        "GET",
        f"{CUD}?_type={MK}&_id=tolperisone-mk",
        status=200,
        expect="empty",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "type search, _type of another type with _include",
        "GET",
        f"{CUD}?_type={MK}&_include=*",
        status=200,
        expect="empty",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "type search, _type of another type, total",
        "GET",
        f"{CUD}?_type={MK}&_total=accurate",
        status=200,
        expect="empty",
        only=(CUD,),
    ),
    Case(
        "type search, _type of another type, _summary=count",
        "GET",
        f"{CUD}?_type=Organization&_summary=count",
        status=200,
        expect="empty",
    ),
    Case(
        "type search, two _type without a common type",
        "GET",
        f"{CUD}?_type={CUD}&_type={MK}",
        status=200,
        expect="empty",
        token="s-only",
        only=(CUD,),
    ),
    Case("type search, _type empty", "GET", f"{CUD}?_type=", status=400, token="s-only"),
    Case("type search, _type only commas", "GET", f"{CUD}?_type=,,", status=400),
    Case("type search, _type unknown", "GET", f"{CUD}?_type=Nope", status=400, code="not-supported"),
    Case("type search, _type with SQL", "GET", f"{CUD}?_type={SQLQ}", status=400),
    Case(
        "POST _search, _type of another type in the body",
        "POST",
        f"{CUD}/_search",
        f"_type={MK}".encode(),
        FORM,
        200,
        expect="empty",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "POST _search, _type of another type in the query",
        "POST",
        f"{CUD}/_search?_type={MK}",
        b"",
        FORM,
        200,
        expect="empty",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "system search, _type not granted",
        "GET",
        f"?_type={MK}",
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "system search, no _type with a one-type token",
        "GET",
        "?_id=tolperisone-mk",
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "system search, granted and not granted _type",
        "GET",
        f"?_type={CUD},{MK}",
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "system search, two _type without a common type",
        "GET",
        f"?_type={CUD}&_type={MK}",
        status=200,
        expect="empty",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "system search, repeated _type narrowed to the granted type",
        "GET",
        f"?_type={CUD},{MK}&_type={CUD}&_count=2",
        status=200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "batch GET entry, _type of another type",
        "POST",
        "",
        bundle("batch", [entry("GET", f"{CUD}?_type={MK}")]),
        JSON,
        200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "transaction GET entry, _type of another type",
        "POST",
        "",
        bundle("transaction", [entry("GET", f"{CUD}?_type={MK}")]),
        JSON,
        200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "batch GET entry, system search not granted",
        "POST",
        "",
        bundle("batch", [entry("GET", f"?_type={MK}")]),
        JSON,
        403,
        "forbidden",
        token="s-only",
    ),
    Case(
        "If-None-Exist with _type of another type",
        "POST",
        CUD,
        j(cud()),
        {**JSON, "If-None-Exist": f"_type={MK}&_id=tolperisone-mk"},
        201,
        expect="created",
        token="cud-w",
        only=(CUD,),
        stores=True,
    ),
    Case(
        "conditional create in the query with _type of another type",
        "POST",
        f"{CUD}?_type={MK}&_id=tolperisone-mk",
        j(cud()),
        JSON,
        201,
        expect="created",
        token="cud-w",
        only=(CUD,),
        stores=True,
    ),
    Case(
        "transaction ifNoneExist with _type of another type",
        "POST",
        "",
        bundle("transaction", [entry("POST", CUD, cud(), ifNoneExist=f"_type={MK}&_id=tolperisone-mk")]),
        JSON,
        200,
        expect="bundle",
        token="cud-w",
        only=(CUD,),
        stores=True,
    ),
    Case(
        "batch ifNoneExist with _type of another type",
        "POST",
        "",
        bundle("batch", [entry("POST", CUD, cud(), ifNoneExist=f"_type={MK}&_id=tolperisone-mk")]),
        JSON,
        200,
        expect="bundle",
        token="cud-w",
        only=(CUD,),
        stores=True,
    ),
    Case(
        "conditional reference with _type of another type, existing id",
        "POST",
        "",
        bundle("transaction", [entry("POST", CUD, cud_referring(f"{CUD}?_type={MPD}&_id=tolperisone-mpd"))]),
        JSON,
        404,
        "not-found",
        token="cud-w",
    ),
    Case(
        "conditional reference with _type of another type, unknown id",
        "POST",
        "",
        bundle("transaction", [entry("POST", CUD, cud_referring(f"{CUD}?_type={MPD}&_id=no-such-mpd"))]),
        JSON,
        404,
        "not-found",
        token="cud-w",
    ),
    Case(
        "conditional reference with _type of another type, no auth",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry(
                    "POST",
                    MPD,
                    {
                        "resourceType": MPD,
                        "name": [{"productName": "x"}],
                        "packagedMedicinalProduct": [{"reference": f"{MPD}?_type=Organization&_id=canary-3"}],
                    },
                )
            ],
        ),
        JSON,
        404,
        "not-found",
    ),
    Case(
        "conditional reference with _type of another type in a batch",
        "POST",
        "",
        bundle("batch", [entry("POST", CUD, cud_referring(f"{CUD}?_type={MPD}&_id=tolperisone-mpd"))]),
        JSON,
        200,
        expect="bundle",
        token="cud-w",
    ),
    Case(
        "conditional delete, _type of another type matching a shared id",
        "DELETE",
        f"{CUD}?_type=Organization&_tag={quote(TAG)}",
        status=204,
        token="admin",
    ),
    Case(
        "conditional delete, _type of another type, no auth",
        "DELETE",
        f"{CUD}?_type=Organization&_tag={quote(TAG)}",
        status=204,
    ),
    Case(
        "conditional delete, _type of another type matching no shared id",
        "DELETE",
        f"{CUD}?_type=Organization&_id=canary-1",
        status=204,
        token="cud-w",
    ),
    Case(
        "conditional delete in a transaction, _type of another type",
        "POST",
        "",
        bundle("transaction", [entry("DELETE", f"{CUD}?_type=Organization&_id=shared-1")]),
        JSON,
        200,
        expect="bundle",
        token="admin",
    ),
    Case(
        "conditional update, _type of another type, id of an existing resource",
        "PUT",
        f"{CUD}?_type=Organization&_id=shared-1",
        j(cud(id="shared-1", type="indication")),
        JSON,
        409,
        "conflict",
        token="cud-w",
    ),
    Case(
        "conditional update, _type of another type, no auth",
        "PUT",
        f"{CUD}?_type=Organization&_id=shared-1",
        j(cud(id="shared-1", type="indication")),
        JSON,
        409,
        "conflict",
    ),
    Case(
        "conditional update in a transaction, _type of another type",
        "POST",
        "",
        bundle(
            "transaction",
            [entry("PUT", f"{CUD}?_type=Organization&_id=shared-1", cud(id="shared-1", type="indication"))],
        ),
        JSON,
        409,
        "conflict",
        token="cud-w",
    ),
    Case(
        "conditional update, _type of another type, new id",
        "PUT",
        f"{CUD}?_type=Organization&_id=canary-1",
        j(cud(id="canary-1")),
        JSON,
        201,
        expect="created",
        token="cud-w",
        only=(CUD,),
        stores=True,
    ),
    Case(
        "conditional patch, _type of another type",
        "PATCH",
        f"{CUD}?_type=Organization&_id=shared-1",
        patch_json([{"op": "replace", "path": "/type", "value": "indication"}]),
        PATCH,
        404,
        "not-found",
        token="cud-w",
    ),
    Case(
        "conditional patch in a transaction, _type of another type",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry(
                    "PATCH",
                    f"{CUD}?_type=Organization&_id=shared-1",
                    {
                        "resourceType": "Binary",
                        "contentType": "application/json-patch+json",
                        "data": base64.b64encode(
                            patch_json([{"op": "replace", "path": "/type", "value": "indication"}])
                        ).decode(),
                    },
                )
            ],
        ),
        JSON,
        404,
        "not-found",
        token="cud-w",
    ),
    # --- the types a search reaches beyond its own: chains, _has, _list/_in, includes --------------
    Case(
        "untyped chain to types not granted",
        "GET",
        f"{CUD}?subject.name=tolperisone",
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "typed chain to a type not granted",
        "GET",
        f"{CUD}?subject:{MPD}.name=tolperisone",
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "typed chain to a type the parameter cannot refer to",
        "GET",
        f"{CUD}?subject:Organization.name=x",
        status=400,
    ),
    Case(
        "_has on a type not granted",
        "GET",
        f"{CUD}?_has:{MK}:clinical-use-issue:_id=tolperisone-mk",
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "nested _has on a type not granted",
        "GET",
        f"{CUD}?_has:{CUD}:indication:_has:{MK}:clinical-use-issue:_id=x",
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "_in on a Group not granted",
        "GET",
        f"{CUD}?_in=Group/tolperisone-grp-pregnancy",
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "_list on a List not granted",
        "GET",
        f"{CUD}?_list=some-list",
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "_include of a type not readable",
        "GET",
        f"{CUD}?_include={CUD}:subject&_count=3",
        status=200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "_revinclude of a type not readable",
        "GET",
        f"{CUD}?_revinclude={MK}:clinical-use-issue&_count=3",
        status=200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "_include=* with _type of another type",
        "GET",
        f"{CUD}?_type={MK}&_include=*&_revinclude=*",
        status=200,
        expect="empty",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "If-None-Exist with _has on a type not granted",
        "POST",
        CUD,
        j(cud()),
        {**JSON, "If-None-Exist": f"_has:{MK}:clinical-use-issue:_id=tolperisone-mk"},
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "If-None-Exist with an untyped chain",
        "POST",
        CUD,
        j(cud()),
        {**JSON, "If-None-Exist": "subject.name=tolperisone"},
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "If-None-Exist with _in",
        "POST",
        CUD,
        j(cud()),
        {**JSON, "If-None-Exist": "_in=Group/tolperisone-grp-pregnancy"},
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "conditional delete with an untyped chain",
        "DELETE",
        f"{CUD}?subject.name=tolperisone",
        status=403,
        code="forbidden",
        token="cud-w",
    ),
    Case(
        "conditional delete with _list",
        "DELETE",
        f"{CUD}?_list=some-list",
        status=403,
        code="forbidden",
        token="cud-w",
    ),
    Case(
        "conditional update with _has",
        "PUT",
        f"{CUD}?_has:{MK}:clinical-use-issue:_id=tolperisone-mk",
        j(cud()),
        JSON,
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "conditional patch with a typed chain",
        "PATCH",
        f"{CUD}?subject:{MPD}.name=tolperisone",
        patch_json([{"op": "replace", "path": "/type", "value": "indication"}]),
        PATCH,
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "batch GET entry with _has on a type not granted",
        "POST",
        "",
        bundle("batch", [entry("GET", f"{CUD}?_has:{MK}:clinical-use-issue:_id=tolperisone-mk")]),
        JSON,
        403,
        "forbidden",
        token="s-only",
    ),
    Case(
        "batch GET entry with an untyped chain",
        "POST",
        "",
        bundle("batch", [entry("GET", f"{CUD}?subject.name=tolperisone")]),
        JSON,
        200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "transaction GET entry with _in",
        "POST",
        "",
        bundle("transaction", [entry("GET", f"{CUD}?_in=Group/tolperisone-grp-pregnancy")]),
        JSON,
        403,
        "forbidden",
        token="s-only",
    ),
    Case(
        "batch GET instance history of a type not readable",
        "POST",
        "",
        bundle("batch", [entry("GET", f"{CUD}/shared-1/_history")]),
        JSON,
        403,
        "forbidden",
        token="s-only",
    ),
    Case(
        "batch GET vread of a type not readable",
        "POST",
        "",
        bundle("batch", [entry("GET", f"{CUD}/shared-1/_history/1")]),
        JSON,
        403,
        "forbidden",
        token="s-only",
    ),
    Case(
        "transaction GET instance history of another type",
        "POST",
        "",
        bundle("transaction", [entry("GET", f"{MK}/tolperisone-mk/_history")]),
        JSON,
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "batch GET type history of another type",
        "POST",
        "",
        bundle("batch", [entry("GET", f"{CUD}/_history"), entry("GET", f"{MK}/_history?_count=1")]),
        JSON,
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "batch GET system history with a one-type token",
        "POST",
        "",
        bundle("batch", [entry("GET", "_history?_since=2000-01-01")]),
        JSON,
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "batch GET type history of the one type granted",
        "POST",
        "",
        bundle("batch", [entry("GET", f"{CUD}/_history?_count=5")]),
        JSON,
        200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "conditional reference with an untyped chain",
        "POST",
        "",
        bundle("transaction", [entry("POST", CUD, cud_referring(f"{CUD}?subject.name=tolperisone"))]),
        JSON,
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "conditional reference with _has",
        "POST",
        "",
        bundle(
            "transaction",
            [entry("POST", CUD, cud_referring(f"{CUD}?_has:{MK}:clinical-use-issue:_id=tolperisone-mk"))],
        ),
        JSON,
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "transaction conditional update with _list",
        "POST",
        "",
        bundle("transaction", [entry("PUT", f"{CUD}?_list=some-list", cud())]),
        JSON,
        403,
        "forbidden",
        token="cud-w",
    ),
    Case(
        "$export of a type not granted",
        "GET",
        f"$export?_type={MK}",
        headers={"Prefer": "respond-async"},
        status=403,
        code="forbidden",
        token="s-only",
    ),
    Case(
        "$export of every type with a one-type token",
        "GET",
        "$export",
        headers={"Prefer": "respond-async"},
        status=403,
        code="forbidden",
        token="cud-w",
    ),
    Case(
        "$export _type unknown", "GET", "$export?_type=Nope", headers={"Prefer": "respond-async"}, status=400
    ),
    Case(
        "_type inside _has",
        "GET",
        f"{CUD}?_has:{MK}:clinical-use-issue:_type={MK}",
        status=400,
        token="admin",
    ),
    Case("_type as a chained parameter", "GET", f"{CUD}?subject._type={MK}", status=400, token="s-only"),
    Case(
        "_include with a target type not readable",
        "GET",
        f"{CUD}?_include={CUD}:subject:{MPD}&_count=3",
        status=200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "_revinclude=* with a one-type token",
        "GET",
        f"{CUD}?_revinclude=*&_count=3",
        status=200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "_include:iterate=* with a one-type token",
        "GET",
        f"{CUD}?_include:iterate=*&_count=3",
        status=200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    Case(
        "typed reference search to another type",
        "GET",
        f"{CUD}?subject:{MPD}=tolperisone-mpd&_count=3",
        status=200,
        expect="bundle",
        token="s-only",
        only=(CUD,),
    ),
    # --- dates out of FHIR's range: a 400 before any datetime arithmetic, wherever a date goes -------
    *[
        Case(f"_lastUpdated {name}", "GET", dates(f"{CUD}?_lastUpdated", v), status=400)
        for name, v in BAD_DATES.items()
    ],
    *[
        Case(f"date parameter {name}", "GET", dates("Observation?date", v), status=400)
        for name, v in BAD_DATES.items()
    ],
    Case(
        "Period date parameter offset +25:00",
        "GET",
        dates("DocumentReference?period", "2020-01-01T00:00:00+25:00"),
        status=400,
    ),
    Case(
        "system search _lastUpdated offset +25:00",
        "GET",
        dates("?_lastUpdated", "gt2020-01-01T00:00:00+25:00"),
        status=400,
    ),
    Case(
        "composite date offset +25:00",
        "GET",
        dates("Observation?code-value-date", "http://loinc.org|1$2020-01-01T00:00:00+25:00"),
        status=400,
    ),
    Case(
        "chained date offset +25:00",
        "GET",
        dates(f"{CUD}?subject:{MPD}._lastUpdated", "2020-01-01T00:00:00+25:00"),
        status=400,
    ),
    Case("_has date year 0000", "GET", dates(f"{MPD}?_has:{CUD}:subject:_lastUpdated", "0000"), status=400),
    Case(
        "If-None-Exist date offset +25:00",
        "POST",
        "Organization",
        j(ORG),
        {**JSON, "If-None-Exist": "_lastUpdated=gt2020-01-01T00:00:00%2B25:00"},
        400,
    ),
    Case(
        "conditional delete date year 0000",
        "DELETE",
        dates("Organization?_lastUpdated", "lt0000-06-01"),
        status=400,
    ),
    Case(
        "transaction GET entry date offset +25:00",
        "POST",
        "",
        bundle("transaction", [entry("GET", "Organization?_lastUpdated=gt2020-01-01T00:00:00%2B25:00")]),
        JSON,
        400,
    ),
    Case(
        "_history _since offset -14:30",
        "GET",
        dates("_history?_since", "2020-01-01T00:00:00-14:30"),
        status=400,
    ),
    Case(
        "_history _since offset +25:00",
        "GET",
        dates("_history?_since", "2020-01-01T00:00:00+25:00"),
        status=400,
    ),
    Case("_history _since year 0000", "GET", dates("_history?_since", "0000-01-01T00:00:00Z"), status=400),
    Case(
        "type _history _since offset +14:01",
        "GET",
        dates("Organization/_history?_since", "2020-01-01T00:00:00+14:01"),
        status=400,
    ),
    Case(
        "instance _history _since month 13",
        "GET",
        dates("Organization/hostile-target/_history?_since", "2020-13-01T00:00:00Z"),
        status=400,
    ),
    Case("_history _since not a date", "GET", "_history?_since=yesterday", status=400),
    Case(
        "_history cursor past 9999",
        "GET",
        "_history?_cursor=" + base64.urlsafe_b64encode(b'["9999-12-31T23:59:59-14:00", 1, 1]').decode(),
        status=400,
    ),
    Case(
        "_history cursor without a zone",
        "GET",
        "_history?_cursor=" + base64.urlsafe_b64encode(b'["2020-01-01T00:00:00", 1, 1]').decode(),
        status=400,
    ),
    Case(
        "$export _since offset +25:00",
        "GET",
        dates("$export?_since", "2020-01-01T00:00:00+25:00"),
        headers=ASYNC,
        status=400,
    ),
    Case(
        "$export _since year 0000",
        "GET",
        dates("$export?_since", "0000-01-01T00:00:00Z"),
        headers=ASYNC,
        status=400,
    ),
    Case(
        "$export _since without a zone",
        "GET",
        dates("$export?_since", "2020-01-01T00:00:00"),
        headers=ASYNC,
        status=400,
    ),
    *[
        Case(f"_lastUpdated {name}", "GET", dates(f"{CUD}?_lastUpdated", v), status=200, expect="empty")
        for name, v in EDGE_DATES.items()
        if not v.startswith(("ne", "le"))
    ],
    *[
        Case(f"date parameter {name}", "GET", dates("Observation?date", v), status=200, expect="empty")
        for name, v in EDGE_DATES.items()
    ],
    Case(
        "_lastUpdated le the first second at +14:00",
        "GET",
        dates(f"{CUD}?_lastUpdated", "le0001-01-01T00:00:00+14:00"),
        status=200,
        expect="empty",
    ),
    Case(
        "Period date parameter year 9999",
        "GET",
        dates("DocumentReference?period", "sa9999-12-31T23:59:59-14:00"),
        status=200,
        expect="empty",
    ),
    Case(
        "_history _since the last second at -14:00",
        "GET",
        dates("_history?_since", "9999-12-31T23:59:59-14:00"),
        status=200,
        expect="bundle",
    ),
    Case(
        "_history _since the first second at +14:00",
        "GET",
        dates("Organization/_history?_since", "0001-01-01T00:00:00+14:00"),
        status=200,
        expect="bundle",
    ),
    Case(
        "$export _since the last second at -14:00",
        "GET",
        dates("$export?_since", "9999-12-31T23:59:59-14:00"),
        headers=ASYNC,
        status=202,
    ),
    Case(
        "$export _since the first second at +14:00",
        "GET",
        dates("$export?_type=Organization&_since", "0001-01-01T00:00:00+14:00"),
        headers=ASYNC,
        status=202,
    ),
    # --- FHIRPath Patch: the resource itself is no element of itself; malformed parameters ---------
    Case(
        "FHIRPath Patch delete of the root",
        "PATCH",
        "Organization/hostile-target",
        fhirpath("delete", "Organization"),
        JSON,
        400,
    ),
    Case(
        "FHIRPath Patch delete of %resource",
        "PATCH",
        "Organization/hostile-target",
        fhirpath("delete", "%resource"),
        JSON,
        400,
    ),
    Case(
        "FHIRPath Patch replace of the root",
        "PATCH",
        "Organization/hostile-target",
        fhirpath("replace", "Organization", value={"valueString": "x"}),
        JSON,
        400,
    ),
    Case(
        "FHIRPath Patch delete of the root in a transaction",
        "POST",
        "",
        bundle(
            "transaction",
            [entry("PATCH", "Organization/hostile-target", json.loads(fhirpath("delete", "Organization")))],
        ),
        JSON,
        400,
    ),
    Case(
        "FHIRPath Patch parameter not an array",
        "PATCH",
        "Organization/hostile-target",
        j({"resourceType": "Parameters", "parameter": {"name": "operation"}}),
        JSON,
        400,
    ),
    Case(
        "FHIRPath Patch part of strings",
        "PATCH",
        "Organization/hostile-target",
        j({"resourceType": "Parameters", "parameter": [{"name": "operation", "part": ["type"]}]}),
        JSON,
        400,
    ),
    Case(
        "FHIRPath Patch value part without a name",
        "PATCH",
        "Organization/hostile-target",
        fhirpath(
            "add", "Organization", name={"valueString": "contact"}, value={"part": [{"valueString": "x"}]}
        ),
        JSON,
        400,
    ),
    Case(
        "FHIRPath Patch value part without a value",
        "PATCH",
        "Organization/hostile-target",
        fhirpath("add", "Organization", name={"valueString": "contact"}, value={"part": [{"name": "name"}]}),
        JSON,
        400,
    ),
    # --- narratives: data: URLs, style that loads or runs something, processing instructions --------
    *[
        Case(f"narrative {name}", "POST", "Organization", narrative(div), JSON, 422, "invariant")
        for name, div in {
            "data: text/html link": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
            "data: link with a tab and mixed case": '<a href="Da&#x09;Ta:text/html,x">x</a>',
            "data: image link": '<a href="data:image/png;base64,iVBORw0KGgo=">x</a>',
            "data: svg image": '<p>x<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"/></p>',
            "data: html image": '<p>x<img src="data:text/html,x"/></p>',
            "data: url in cite": '<blockquote cite="data:text/html,x">x</blockquote>',
            "javascript: in cite": '<q cite="javascript:alert(1)">x</q>',
            "data: url in an area": '<p>x</p><map name="m"><area href="data:text/html,x" shape="rect" coords="0,0,1,1"/></map>',
            "style url(javascript:)": '<p style="background:url(javascript:alert(1))">x</p>',
            "style url(javascript:) quoted": "<p style=\"background:url('javascript:alert(1)')\">x</p>",
            "style url() to another site": '<p style="background:url(https://evil.example/track.png)">x</p>',
            "style url() to another host without scheme": '<p style="background:url(//evil.example/t.png)">x</p>',
            "style url() of an svg data image": '<p style="background:url(data:image/svg+xml;base64,PHN2Zz4=)">x</p>',
            "style expression()": '<p style="width:expression(alert(1))">x</p>',
            "style expression() with a comment": '<p style="width:expr/**/ession(alert(1))">x</p>',
            "style expression() with an escape": '<p style="width:e\\78pression(alert(1))">x</p>',
            "style url() with an escape": '<p style="background:u\\72l(https://evil.example/x)">x</p>',
            "style @import": "<p style=\"@import 'https://evil.example/x.css'\">x</p>",
            "style behavior": '<p style="behavior:url(x.htc)">x</p>',
            "style -moz-binding": '<p style="-moz-binding:url(x.xml#xss)">x</p>',
            "style javascript: outside url()": '<p style="x:javascript:alert(1)">x</p>',
            "processing instruction": "<p>x<?php system('id'); ?></p>",
            "processing instruction at the top": '<?xml-stylesheet href="https://evil.example/x.xsl"?><p>x</p>',
        }.items()
    ],
    Case(
        "narrative processing instruction in XML",
        "POST",
        "Organization",
        b'<Organization xmlns="http://hl7.org/fhir"><text><status value="generated"/>'
        b'<div xmlns="http://www.w3.org/1999/xhtml"><p>x<?php echo 1 ?></p></div></text>'
        b'<name value="x"/></Organization>',
        XML,
        422,
        "invariant",
    ),
    Case(
        "narrative data: svg image in XML",
        "POST",
        "Organization",
        b'<Organization xmlns="http://hl7.org/fhir"><text><status value="generated"/>'
        b'<div xmlns="http://www.w3.org/1999/xhtml"><p>x<img src="data:image/svg+xml;base64,PHN2Zz4="/></p></div>'
        b'</text><name value="x"/></Organization>',
        XML,
        422,
        "invariant",
    ),
    Case(
        "narrative data: png image is fine",
        "POST",
        "Organization/$validate",
        narrative('<p>x<img src="data:image/png;base64,iVBORw0KGgo="/></p>'),
        JSON,
        200,
        expect="valid",
    ),
    Case(
        "narrative relative style url() is fine",
        "POST",
        "Organization/$validate",
        narrative('<p style="background-image:url(tbl_bck1.png)">x</p>'),
        JSON,
        200,
        expect="valid",
    ),
    # --- transaction integrity: entries acting on one resource fail the transaction; placeholders ----
    Case(
        "transaction with two PUTs of one resource",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry("PUT", "Organization/hostile-target", {**ORG, "id": "hostile-target", "name": n})
                for n in "ab"
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction with PUT and DELETE of one resource",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry("PUT", "Organization/hostile-target", {**ORG, "id": "hostile-target"}),
                entry("DELETE", "Organization/hostile-target"),
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction with two DELETEs of one resource",
        "POST",
        "",
        bundle(
            "transaction",
            [entry("DELETE", "Organization/hostile-target"), entry("DELETE", "Organization/hostile-target")],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction with PATCH and PUT of one resource",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry(
                    "PATCH",
                    "Organization/hostile-target",
                    json.loads(
                        fhirpath(
                            "add", "Organization", name={"valueString": "alias"}, value={"valueString": "z"}
                        )
                    ),
                ),
                entry("PUT", "Organization/hostile-target", {**ORG, "id": "hostile-target"}),
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction with PUT of one resource by a relative and an absolute url",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry("PUT", "Organization/canary-1", {**ORG, "id": "canary-1"}),
                entry(
                    "PUT",
                    "http://elsewhere.example/fhir/Organization/canary-1",
                    {**ORG, "id": "canary-1", "name": "y"},
                ),
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction with a conditional create matching a resource another entry PUTs",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry("POST", "Organization", ORG, ifNoneExist="_id=hostile-target"),
                entry("PUT", "Organization/hostile-target", {**ORG, "id": "hostile-target", "name": "y"}),
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction with a conditional update resolving to a resource another entry PUTs",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry("PUT", "Organization?_id=hostile-target", {**ORG, "name": "y"}),
                entry("PUT", "Organization/hostile-target", {**ORG, "id": "hostile-target", "name": "z"}),
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction with a conditional delete resolving to a resource another entry PUTs",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry("DELETE", "Organization?_id=hostile-target"),
                entry("PUT", "Organization/hostile-target", {**ORG, "id": "hostile-target", "name": "y"}),
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction with a conditional patch matching only a resource another entry deletes",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry(
                    "PATCH",
                    "Organization?_id=hostile-target",
                    json.loads(
                        fhirpath(
                            "add", "Organization", name={"valueString": "alias"}, value={"valueString": "z"}
                        )
                    ),
                ),
                entry("DELETE", "Organization/hostile-target"),
            ],
        ),
        JSON,
        404,
    ),
    Case(
        "transaction with two conditional deletes resolving to one resource",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry("DELETE", "Organization?_id=hostile-target"),
                entry(
                    "DELETE",
                    "Organization?name=x&_id=hostile-target",
                ),
            ],
        ),
        JSON,
        400,
    ),
    Case(
        "transaction with an unresolved urn:uuid reference",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry(
                    "POST",
                    "Organization",
                    {**ORG, "partOf": {"reference": "urn:uuid:7f3c3b7e-0000-4000-8000-000000000001"}},
                )
            ],
        ),
        JSON,
        400,
        "not-found",
    ),
    Case(
        "transaction with an unresolved urn:oid reference",
        "POST",
        "",
        bundle(
            "transaction",
            [entry("POST", "Organization", {**ORG, "partOf": {"reference": "urn:oid:1.2.3.4"}})],
        ),
        JSON,
        400,
        "not-found",
    ),
    Case(
        "transaction with an unresolved urn:uuid reference with a fragment",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry(
                    "PUT",
                    "Organization/canary-1",
                    {
                        **ORG,
                        "id": "canary-1",
                        "partOf": {"reference": "urn:uuid:7f3c3b7e-0000-4000-8000-000000000002#x"},
                    },
                )
            ],
        ),
        JSON,
        400,
        "not-found",
    ),
    Case(
        "transaction with an unresolved urn:uuid reference in a contained resource",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry(
                    "POST",
                    "Organization",
                    {
                        **ORG,
                        "contained": [
                            {
                                **ORG,
                                "id": "c1",
                                "partOf": {"reference": "urn:uuid:7f3c3b7e-0000-4000-8000-000000000003"},
                            }
                        ],
                        "partOf": {"reference": "#c1"},
                    },
                )
            ],
        ),
        JSON,
        400,
        "not-found",
    ),
    Case(
        "transaction with a urn:uuid reference to a DELETE entry",
        "POST",
        "",
        bundle(
            "transaction",
            [
                {
                    **entry("DELETE", "Organization/canary-1"),
                    "fullUrl": "urn:uuid:7f3c3b7e-0000-4000-8000-000000000004",
                },
                entry(
                    "POST",
                    "Organization",
                    {**ORG, "partOf": {"reference": "urn:uuid:7f3c3b7e-0000-4000-8000-000000000004"}},
                ),
            ],
        ),
        JSON,
        400,
        "not-found",
    ),
    Case(
        "transaction with a urn:uuid reference to a GET entry",
        "POST",
        "",
        bundle(
            "transaction",
            [
                {
                    **entry("GET", "Organization/canary-1"),
                    "fullUrl": "urn:uuid:7f3c3b7e-0000-4000-8000-000000000005",
                },
                entry(
                    "POST",
                    "Organization",
                    {**ORG, "partOf": {"reference": "urn:uuid:7f3c3b7e-0000-4000-8000-000000000005"}},
                ),
            ],
        ),
        JSON,
        400,
        "not-found",
    ),
    Case(
        "batch with a urn:uuid reference",
        "POST",
        "",
        bundle(
            "batch",
            [
                entry(
                    "POST",
                    "Organization",
                    {**ORG, "partOf": {"reference": "urn:uuid:7f3c3b7e-0000-4000-8000-000000000006"}},
                )
            ],
        ),
        JSON,
        200,
        expect="bundle",
    ),
    # --- contained ids, If-None-Match on writes, XML errors without the model library's internals ---
    Case(
        "contained resources with one id",
        "POST",
        "Organization",
        j(
            {
                **ORG,
                "contained": [{**ORG, "id": "c"}, {**ORG, "id": "c", "name": "y"}],
                "partOf": {"reference": "#c"},
            }
        ),
        JSON,
        422,
        "duplicate",
    ),
    Case(
        "contained resources with one id in a transaction",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry(
                    "POST",
                    "Organization",
                    {
                        **ORG,
                        "contained": [{**ORG, "id": "c"}, {**ORG, "id": "c"}],
                        "partOf": {"reference": "#c"},
                    },
                )
            ],
        ),
        JSON,
        422,
        "duplicate",
    ),
    Case(
        "contained resources with one id in XML",
        "POST",
        "Organization",
        b'<Organization xmlns="http://hl7.org/fhir"><contained><Organization><id value="c"/><name value="a"/></Organization></contained><contained><Organization><id value="c"/><name value="b"/></Organization></contained><name value="x"/><partOf><reference value="#c"/></partOf></Organization>',
        XML,
        422,
        "duplicate",
    ),
    Case(
        "contained resources with one id on update",
        "PUT",
        "Organization/hostile-target",
        j(
            {
                **ORG,
                "id": "hostile-target",
                "contained": [{**ORG, "id": "c"}, {**ORG, "id": "c"}],
                "partOf": {"reference": "#c"},
            }
        ),
        JSON,
        422,
        "duplicate",
    ),
    Case(
        "If-None-Match * on a PUT of an existing resource",
        "PUT",
        "Organization/hostile-target",
        j({**ORG, "id": "hostile-target", "name": "y"}),
        {**JSON, "If-None-Match": "*"},
        412,
    ),
    Case(
        "If-None-Match of the current version on a PUT",
        "PUT",
        "Organization/hostile-target",
        j({**ORG, "id": "hostile-target", "name": "y"}),
        {**JSON, "If-None-Match": 'W/"9", W/"1"'},
        412,
    ),
    Case(
        "If-None-Match * on a conditional PUT matching a resource",
        "PUT",
        "Organization?_id=hostile-target",
        j({**ORG, "name": "y"}),
        {**JSON, "If-None-Match": "*"},
        412,
    ),
    Case(
        "ifNoneMatch * on a transaction PUT of an existing resource",
        "POST",
        "",
        bundle(
            "transaction",
            [
                entry(
                    "PUT",
                    "Organization/hostile-target",
                    {**ORG, "id": "hostile-target", "name": "y"},
                    ifNoneMatch="*",
                )
            ],
        ),
        JSON,
        412,
    ),
    # XML the reader can read: what is wrong in it is a validation error with its location (422), as in JSON
    Case(
        "XML with a value of the wrong type",
        "POST",
        "Organization",
        b'<Organization xmlns="http://hl7.org/fhir"><name value="x"/><active value="maybe"/></Organization>',
        XML,
        422,
        "structure",
    ),
    Case(
        "XML with an invalid date",
        "POST",
        "Patient",
        b'<Patient xmlns="http://hl7.org/fhir"><birthDate value="2020-13-45"/></Patient>',
        XML,
        422,
        "value",
    ),
    Case(
        "XML missing a required element",
        "POST",
        "Observation",
        b'<Observation xmlns="http://hl7.org/fhir"><status value="final"/></Observation>',
        XML,
        422,
        "required",
    ),
    Case(
        "XML with an unknown element",
        "POST",
        "Organization",
        b'<Organization xmlns="http://hl7.org/fhir"><bogus value="x"/></Organization>',
        XML,
        422,
        "structure",
    ),
    Case(
        "XML with many errors",
        "POST",
        "Observation",
        b'<Observation xmlns="http://hl7.org/fhir"><status value="x"/><valueQuantity><value value="abc"/></valueQuantity><issued value="x"/></Observation>',
        XML,
        422,
        "value",
    ),
    # --- Bulk export jobs belong to the client that started them (the job: cud-w's) ------------------
    Case(
        "export status polled by another client",
        "GET",
        "bulkstatus/<job>",
        status=404,
        code="not-found",
        token="admin",
    ),
    Case(
        "export status polled by another client with the same scopes",
        "GET",
        "bulkstatus/<job>",
        status=404,
        code="not-found",
        token="s-only",
    ),
    Case(
        "export cancelled by another client",
        "DELETE",
        "bulkstatus/<job>",
        status=404,
        code="not-found",
        token="admin",
    ),
    Case(
        "export file read by another client",
        "GET",
        f"bulkfiles/<job>/{CUD}.ndjson",
        status=404,
        code="not-found",
        token="admin",
    ),
]


def seed(server: LiveServer) -> None:
    """The seed Bundle, and resources of other types sharing ids with it (type-confusion targets)."""
    response = server.post_bundle(json.loads(SEED_BUNDLE.read_text()))
    assert response.status_code == 200, response.text[:500]
    for resource in SEED_EXTRA:
        url = f"{server.base_url}/{resource['resourceType']}/{resource['id']}"
        assert server.http.put(url, json=resource, headers=JSON).ok


@pytest.fixture(scope="module")
def server(database_url_factory, tmp_path_factory):
    server = LiveServer(database_url_factory(), BULK_DIR=str(tmp_path_factory.mktemp("bulk")))
    seed(server)
    statements: list[str] = []
    engine = server.app.extensions["fhir_repository"].engine

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    server.statements = statements
    yield server
    event.remove(engine, "before_cursor_execute", _capture)
    server.stop()


@pytest.fixture(scope="module")
def auth_server(database_url_factory, tmp_path_factory):
    """The same store behind FHIR_SERVICE_AUTH=token (TOKENS), for the cases that send a token."""
    tokens = tmp_path_factory.mktemp("auth") / "tokens.json"
    tokens.write_text(json.dumps(TOKENS))
    config = AuthConfig(mode="token", tokens_file=str(tokens))
    server = LiveServer(database_url_factory(), AUTH=config, BULK_DIR=str(tmp_path_factory.mktemp("bulk")))
    server.http.headers["Authorization"] = "Bearer admin"
    seed(server)
    server.job = finished_export(server, "cud-w")
    yield server
    server.stop()


def finished_export(server: LiveServer, token: str) -> str:
    """The id of a completed $export of ClinicalUseDefinition started with `token`."""
    headers = {"Authorization": f"Bearer {token}", "Prefer": "respond-async"}
    kickoff = server.http.get(f"{server.base_url}/$export?_type={CUD}", headers=headers)
    assert kickoff.status_code == 202, kickoff.text
    status_url = kickoff.headers["Content-Location"]
    deadline = time.monotonic() + TIMEOUT
    while (status := server.http.get(status_url, headers=headers)).status_code == 202:
        assert time.monotonic() < deadline, "the export did not finish"
        time.sleep(0.1)
    assert status.status_code == 200, status.text
    return status_url.rsplit("/", 1)[1]


def send(server: LiveServer, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body, seconds): the request exactly as written, over a fresh connection."""
    url = urlsplit(server.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    started = time.monotonic()
    try:
        connection.putrequest(method, f"{url.path}/{path}" if path else url.path, skip_accept_encoding=True)
        all_headers = {"Accept": "application/fhir+json", **(headers or {})}
        if body is not None:
            all_headers["Content-Length"] = str(len(body))
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), data, time.monotonic() - started
    finally:
        connection.close()


def snapshot(server: LiveServer) -> tuple[int, str]:
    """(history total, SHA-256 of every version's fullUrl, etag and content)."""
    page = history(server, 1000)
    assert page["total"] <= 1000, "the store outgrew one history page"
    digest = hashlib.sha256()
    for entry in page.get("entry", []):
        digest.update(json.dumps([entry.get("fullUrl"), entry["response"], entry.get("resource")]).encode())
    return page["total"], digest.hexdigest()


def history(server: LiveServer, count: int) -> dict:
    status, _, data, _ = send(server, "GET", f"_history?_count={count}", headers=ADMIN)
    assert status == 200
    return json.loads(data)


def resource_types(value) -> set[str]:
    """Every resourceType anywhere in an answer (nested Bundles and contained resources too)."""
    if isinstance(value, dict):
        found = {value["resourceType"]} if isinstance(value.get("resourceType"), str) else set()
        return found.union(*(resource_types(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(resource_types(v) for v in value))
    return set()


def test_table_is_big_and_distinct():
    assert len(CASES) >= 120
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_is_refused_and_stores_nothing(request, case: Case):
    server = request.getfixturevalue("auth_server" if case.token else "server")
    before = snapshot(server)
    statements = getattr(server, "statements", [])
    statements.clear()
    headers = {**case.headers, **({"Authorization": f"Bearer {case.token}"} if case.token else {})}
    path = case.path.replace("<job>", getattr(server, "job", ""))
    status, answer_headers, data, seconds = send(server, case.method, path, case.body, headers)
    assert status == case.status, data[:600]
    assert seconds < TIMEOUT
    if status in (202, 204) and not data:
        body = {}
    else:
        assert answer_headers["Content-Type"].startswith("application/fhir+json")
        body = json.loads(data)
    if status >= 400:
        assert body["resourceType"] == "OperationOutcome"
        errors = [i for i in body["issue"] if i["severity"] in ("error", "fatal")]
        assert errors and all(i.get("code") and i.get("diagnostics") for i in errors), body
        if case.code:
            assert case.code in {i["code"] for i in errors}, body
    elif status not in (202, 204):
        check_success(case, body)
    if status == 201:
        assert "Location" in answer_headers
    if case.only:  # nothing of another type leaks, however the search named it
        assert resource_types(body) <= {*case.only, "Bundle", "OperationOutcome"}, resource_types(body)
    assert not [s for s in statements if MARK in s], "a search value was spliced into SQL"
    assert b"root:" not in data  # no /etc/passwd line in any answer
    for internal in (b"errors.pydantic.dev", b"input_type=", b"Traceback", b"sqlalchemy", b"psycopg"):
        assert internal not in data  # messages for people, not the libraries' internals
    after = snapshot(server)
    if not case.stores:
        assert after == before
    elif after != before:  # what a legitimate create wrote is of the allowed types only
        added = history(server, after[0] - before[0])
        assert {e["fullUrl"].split("/")[-2] for e in added.get("entry", [])} <= set(case.only), added


def check_success(case: Case, body: dict) -> None:
    if case.expect == "valid":
        assert body["resourceType"] == "OperationOutcome"
        assert not [i for i in body["issue"] if i["severity"] in ("error", "fatal")], body
    elif case.expect == "empty":  # SQL or a wildcard that matched anything would show here
        assert body["resourceType"] == "Bundle" and body.get("total", 0) == 0, body
        assert not [e for e in body.get("entry", []) if e.get("search", {}).get("mode") == "match"]
    elif case.expect == "clamped":  # R5: the server may return fewer than _count asks
        assert body["resourceType"] == "Bundle"
        self_link = next(link["url"] for link in body["link"] if link["relation"] == "self")
        assert f"_count={LIMITS.count}" in self_link, self_link
        assert len(body.get("entry", [])) <= LIMITS.count
    elif case.expect == "created":
        assert body.get("resourceType") in case.only, body
    else:
        assert case.expect == "bundle" and body["resourceType"] == "Bundle", body


# --- the serving layer's own answers (before the app's routes see a request) -------------------------

SERVING_CASES = {  # raw request bytes → (status, issue code): rest/server.py's RequestLimits answers
    "request line too long": (
        b"GET /fhir/metadata?x=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        414,
        "too-long",
    ),
    "header field too large": (
        b"GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
        431,
        "too-long",
    ),
    "too many header fields": (
        b"GET /fhir/metadata HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(80)) + b"\r\n",
        431,
        "too-long",
    ),
}
# What granian (hyper) cannot parse, or what is beyond its own hard limits, it answers itself before
# any Python runs: the status, an empty body and a closed connection (never an HTML page).
PARSER_CASES = {
    "more header fields than the parser takes": (
        b"GET /fhir/metadata HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n",
        431,
    ),
    "request target beyond the parser's limit": (
        b"GET /fhir/metadata?x=" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        414,
    ),
    "malformed request line": (b"GARBAGE\r\n\r\n", 400),
    "unknown HTTP version": (b"GET /fhir/metadata HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    "control character in the method": (b"G\x01T /fhir/metadata HTTP/1.1\r\nHost: x\r\n\r\n", 400),
}


@pytest.fixture(scope="module")
def served(database_url_factory, tmp_path_factory):
    """`fhir-service serve` (granian, one worker of two request threads) on an empty database."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "FHIR_SERVICE_DATABASE_URL": database_url_factory(), "FHIR_SERVICE_ACCESS_LOG": "0"}
    command = [str(Path(sys.executable).parent / "fhir-service"), "serve", "--port", str(port)]
    command += ["--workers", "1", "--threads", "2"]
    log = (folder / "serve.log").open("w+")
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert process.poll() is None, Path(log.name).read_text()[-2000:]
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=60)


def raw_exchange(port: int, request: bytes) -> tuple[str, dict, bytes]:
    """Sends `request` on a new connection and reads until the server closes it: (status line,
    headers with lower-case names, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines[1:])}
    return lines[0], headers, body


@pytest.mark.parametrize("name", list(SERVING_CASES))
def test_the_serving_layer_answers_with_an_operation_outcome(served, name):
    request, status, code = SERVING_CASES[name]
    status_line, headers, body = raw_exchange(served, request)
    assert status_line.split(" ")[1] == str(status), (status_line, body[:300])
    assert headers["content-type"] == "application/fhir+json"
    assert headers.get("connection") == "close"
    outcome = json.loads(body)
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == code, outcome
    assert outcome["issue"][0]["diagnostics"] and b"<html" not in body


@pytest.mark.parametrize("name", list(PARSER_CASES))
def test_what_the_parser_refuses_is_a_bare_status(served, name):
    request, status = PARSER_CASES[name]
    status_line, headers, body = raw_exchange(served, request)  # returns only once the server closed
    assert status_line.split(" ")[1] == str(status), (status_line, body[:300])
    assert body == b"" and headers.get("content-length") == "0"


SLOW_CONNECTIONS = 32  # far more than the server's request threads (1 worker x 2)


def test_slow_header_senders_do_not_starve_other_clients(served):
    """Connections that send their headers one line every 2 s hold no request thread: while
    SLOW_CONNECTIONS of them are open and sending, ordinary requests on other connections are all
    answered. (Under a thread-per-connection server, 2 of them starved every other client.)"""
    stop = threading.Event()
    slow = []
    for _ in range(SLOW_CONNECTIONS):
        connection = socket.create_connection(("127.0.0.1", served), timeout=TIMEOUT)
        connection.sendall(b"GET /fhir/metadata HTTP/1.1\r\nHost: x\r\n")  # the headers never end
        slow.append(connection)

    def dribble():
        line = 0
        while not stop.wait(2):
            line += 1
            for connection in slow:
                with contextlib.suppress(OSError):  # closed by the header read timeout: fine
                    connection.sendall(b"X-Slow-%d: y\r\n" % line)

    sender = threading.Thread(target=dribble, daemon=True)
    sender.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", served, timeout=TIMEOUT)
        statuses = []
        for path in ["/fhir/metadata", "/fhir/Organization?_count=1", "/fhir/Organization/none"] * 4:
            connection.request("GET", path, headers={"Accept": "application/fhir+json"})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()
        fresh = [http.client.HTTPConnection("127.0.0.1", served, timeout=TIMEOUT) for _ in range(4)]
        for client in fresh:  # new connections are accepted and answered too
            client.request("GET", "/fhir/metadata")
            statuses.append(client.getresponse().status)
            client.close()
    finally:
        stop.set()
        sender.join(10)
        for connection in slow:
            connection.close()
    assert statuses == [200, 200, 404] * 4 + [200] * 4


def test_the_sql_capture_sees_search_values(server):
    """The statement check above cannot pass vacuously: a search is captured, and its value is a
    bound parameter, not text."""
    server.statements.clear()
    status, _, _, _ = send(server, "GET", f"{CUD}?type={MARK}")
    assert status == 200
    assert any("search_token" in s or "SELECT" in s for s in server.statements)
    assert not [s for s in server.statements if MARK in s]


# --- Markdown with embedded HTML or script never reaches a narrative unescaped --------------------

PAYLOAD = '<script>alert("xyzzy")</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>'
LITERAL = "`<script>alert('code')</script>` &lt;script&gt;alert('entity')&lt;/script&gt; 5 < 6 & 7 > 3"


def hostile_monograph(folder: Path) -> Path:
    source = (ROOT / "fixtures" / "monographs" / "tolperisone.md").read_text()
    source = source.replace("title: Tolperisone", "title: Tolperisone " + PAYLOAD.replace('"', "'"))
    source = re.sub(
        r"^(\* \*\*[^*]+:\*\*)", lambda m: f"{m.group(1)} {PAYLOAD} {LITERAL}", source, flags=re.M
    )
    source = source.replace("### Usage\n", f"### Usage\n{PAYLOAD}\n\n{LITERAL}\n")
    path = folder / "evil<script>alert(1)<\u002fscript>.md".replace("/", "_")
    path.write_text(source)
    return path


def divs(value) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "div"] + [
            d for k, v in value.items() if k != "div" for d in divs(v)
        ]
    if isinstance(value, list):
        return [d for v in value for d in divs(v)]
    return []


def assert_safe(div: str) -> None:
    assert xhtml_problems(div) == (), div
    lowered = div.lower()
    for bad in ("<script", "<img", "onerror", "javascript:"):
        assert bad not in lowered, (bad, div)


def test_script_in_a_monograph_never_reaches_a_narrative(server, tmp_path):
    from mappings.convert import convert_file

    conversion = convert_file(hostile_monograph(tmp_path))
    narratives = divs(conversion.resources)
    assert len(narratives) == len(conversion.resources)
    for div in narratives:
        assert_safe(div)
    # the payload did reach the narratives (so the checks above had something to catch), escaped
    assert sum(MARK in div for div in narratives) >= 3
    assert any("&lt;script" in div for div in narratives)
    document = next(r for r in conversion.resources if r["resourceType"] == "DocumentReference")
    attachment = document["content"][0]["attachment"]
    assert attachment["contentType"].startswith("text/markdown")  # the source as data, never as HTML
    assert MARK.encode() in base64.b64decode(attachment["data"])

    response = server.post_bundle(conversion.bundle())
    assert response.status_code == 200, response.text[:500]
    for entry in response.json()["entry"]:
        location = entry["response"]["location"].split("/_history")[0]
        for accept in ("application/fhir+json", "application/fhir+xml"):
            status, _, data, _ = send(server, "GET", location, headers={"Accept": accept})
            assert status == 200
            text = data.decode()
            if accept.endswith("json"):  # plain strings (a file name) may hold "<script": only divs are HTML
                for div in divs(json.loads(text)):
                    assert_safe(div)
            else:  # in XML every string is escaped: a raw "<script" could only be an element
                assert "<script" not in text.lower(), location


# --- the limits themselves -------------------------------------------------------------------------


def test_limits_come_from_the_environment():
    assert from_env({}) == Limits()
    assert current() == from_env()
    limits = from_env({"FHIR_SERVICE_MAX_JSON_DEPTH": "10", "FHIR_SERVICE_MAX_CHAIN_DEPTH": " 2 "})
    assert (limits.json_depth, limits.chain_depth, limits.count) == (10, 2, 1000)
    for bad in ("ten", "0", "-3"):
        with pytest.raises(ValueError, match="FHIR_SERVICE_MAX_BUNDLE_ENTRIES"):
            from_env({"FHIR_SERVICE_MAX_BUNDLE_ENTRIES": bad})


def test_the_depth_default_fits_real_resources():
    """The deepest official R5 example nests 24 levels; a Bundle of it 27. The default leaves room,
    and the 30-level Questionnaire the table validates is deeper than any of them."""
    assert depth(questionnaire(30)) == 61 <= LIMITS.json_depth
    assert depth(nested_extension(30)) == LIMITS.json_depth - 1
    assert depth(nested_extension(100)) > LIMITS.json_depth


def test_json_patch_copy_within_the_budget_works(server):
    """The copy budget refuses the bomb above, not ordinary copies."""
    body = j({**ORG, "id": "copy-ok", "name": "n", "alias": ["a"]})
    assert send(server, "PUT", "Organization/copy-ok", body, JSON)[0] in (200, 201)
    operations = j([{"op": "copy", "from": "/name", "path": "/alias/-"}] * 3)
    status, _, data, _ = send(server, "PATCH", "Organization/copy-ok", operations, PATCH)
    assert status == 200, data[:300]
    assert json.loads(data)["alias"] == ["a", "n", "n", "n"]


def test_next_page_with_the_most_sort_keys_is_quick(server):
    """A page link's keyset condition grows with the square of the sort keys (396 keys ran for
    minutes): at the limit the next page's statement stays small. Its size, not a stopwatch, is
    checked, so a loaded machine cannot fail the test."""
    keys = ",".join(["type", "-_lastUpdated", "_id", "-type"] * LIMITS.sort_keys)[:10_000].split(",")
    query = f"{CUD}?_sort={','.join(keys[: LIMITS.sort_keys])}&_count=2"
    status, _, data, _ = send(server, "GET", query)
    assert status == 200
    next_link = next(link["url"] for link in json.loads(data)["link"] if link["relation"] == "next")
    server.statements.clear()
    status, _, data, _ = send(server, "GET", next_link.split("/fhir/", 1)[1])
    assert status == 200
    assert len(json.loads(data)["entry"]) == 2
    longest = max(len(statement) for statement in server.statements)
    assert longest < 10_000, longest  # about 1,900 characters at the limit of 8 keys


def test_big_narratives_are_not_kept_in_the_validator_cache(server):
    """The narrative check's cache keeps its keys alive: 2048 distinct 10 MB narratives would pin
    20 GB. Big ones are checked uncached."""
    from fhir_service import narrative as narrative_module

    cache = narrative_module._xhtml_problems
    cache.cache_clear()  # filled by earlier tests in a full run
    before = cache.cache_info()
    div_body = f"<p>{MARK}{time.time_ns()}{'x' * 100_000}</p>"
    status, _, data, _ = send(server, "POST", "Organization/$validate", narrative(div_body), JSON)
    assert status == 200, data[:300]
    assert cache.cache_info().currsize == before.currsize
    small = f"<p>{time.time_ns()}</p>"
    assert send(server, "POST", "Organization/$validate", narrative(small), JSON)[0] == 200
    assert cache.cache_info().currsize == before.currsize + 1  # small ones still are
