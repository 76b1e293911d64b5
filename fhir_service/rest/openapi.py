"""`GET /fhir/api-docs`: an OpenAPI 3.0 description generated from the CapabilityStatement, so it
lists exactly what the server says it supports: per resource type the interactions (read, vread,
update, patch, delete, history, create, search with the type's search parameters, $validate) and
the system interactions. Bodies are described loosely (a resource of the path's type; a Bundle;
an OperationOutcome for every error): the FHIR definitions, not this document, are the schema.

`?_type=A,B` limits the paths to those resource types (the full document is large)."""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, current_app, jsonify, request

from fhir_service import __version__, definitions
from fhir_service.auth.security import security
from fhir_service.interactions.capabilities import capability_statement
from fhir_service.rest.responses import base_url

blueprint = Blueprint("openapi", __name__)

JSON = "application/fhir+json"
EXAMPLE_SYSTEM = "https://fhir-service.example/fhir/api-docs-tag"
ID = {"type": "string", "pattern": r"^[A-Za-z0-9\-\.]{1,64}$"}
VERSION_ID = {"type": "string", "pattern": r"^[A-Za-z0-9\-\.]{1,64}$"}
OUTCOME = {"$ref": "#/components/schemas/OperationOutcome"}
BUNDLE = {"$ref": "#/components/schemas/Bundle"}
PREFER = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "enum": ["return=minimal", "return=representation", "return=OperationOutcome"],
    },
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": r'^W/"[0-9]{1,6}"$'},
}
RESULT_PARAMS = [
    ("_count", {"type": "integer", "minimum": 0, "maximum": 1000}),
    ("_total", {"type": "string", "enum": ["none", "estimate", "accurate"]}),
    ("_summary", {"type": "string", "enum": ["true", "text", "data", "count", "false"]}),
    ("_elements", {"type": "string"}),
    ("_sort", {"type": "string"}),
    ("_include", {"type": "string"}),
    ("_revinclude", {"type": "string"}),
]
# search parameters that are not search criteria, or that the server answers with 400 by design
# (_has takes its name from the chain, so it has no fixed query name to describe)
NOT_CRITERIA = {"_filter", "_has", "_query", "_language"}


@blueprint.get("/api-docs")
def api_docs():
    wanted = request.args.get("_type")
    types = tuple(sorted(t for t in wanted.split(",") if t)) if wanted else None
    return jsonify(document(base_url(), types, current_app.config.get("AUTH")))


@lru_cache(maxsize=16)
def document(base: str, types: tuple[str, ...] | None = None, auth=None) -> dict:
    """The OpenAPI document for the CapabilityStatement served at `base` (built once per base/types/auth)."""
    statement = capability_statement(base, security(auth))
    rest = statement["rest"][0]
    paths: dict[str, dict] = {
        "/metadata": {
            "get": _op(
                "capabilities", "The CapabilityStatement", _ok(_resource_schema("CapabilityStatement"))
            )
        }
    }
    paths.update(_system_paths(rest))
    for entry in rest["resource"]:
        if types is None or entry["type"] in types:
            paths.update(_type_paths(entry))
    doc = {
        "openapi": "3.0.3",
        "info": {
            "title": statement["implementation"]["description"],
            "version": __version__,
            "description": f"Generated from the CapabilityStatement at {base}/metadata (FHIR {statement['fhirVersion']}).",
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"schemas": _schemas()},
    }
    if rest.get("security"):  # FHIR_SERVICE_AUTH=token|smart: a bearer token on everything but metadata
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
        paths["/metadata"]["get"]["security"] = []
    return doc


def _system_paths(rest: dict) -> dict:
    codes = {i["code"] for i in rest.get("interaction", [])}
    paths: dict[str, dict] = {}
    if "search-system" in codes:
        paths["/"] = {
            "get": _op("search-system", "Search all types", _ok(BUNDLE), params=_query(RESULT_PARAMS))
        }
    if codes & {"transaction", "batch"}:
        paths.setdefault("/", {})["post"] = _op(
            "transaction", "A transaction or batch Bundle", _ok(BUNDLE), body=BUNDLE, params=[PREFER]
        )
    if "history-system" in codes:
        paths["/_history"] = {
            "get": _op("history-system", "History of all resources", _ok(BUNDLE), params=_history_params())
        }
    return paths


def _type_paths(entry: dict) -> dict:
    rtype = entry["type"]
    codes = {i["code"] for i in entry.get("interaction", [])}
    resource = _resource_schema(rtype)
    body = _body_schema(rtype)
    id_param = [{"name": "id", "in": "path", "required": True, "schema": ID}]
    paths: dict[str, dict] = {}
    type_ops: dict[str, dict] = {}
    if "search-type" in codes:
        type_ops["get"] = _op(f"search-{rtype}", f"Search {rtype}", _ok(BUNDLE), params=_search_params(entry))
    if "create" in codes:
        type_ops["post"] = _op(
            f"create-{rtype}", f"Create a {rtype}", _written(201), body=body, params=[PREFER]
        )
    paths[f"/{rtype}"] = type_ops
    instance: dict[str, dict] = {}
    if "read" in codes:
        instance["get"] = _op(f"read-{rtype}", f"Read a {rtype}", _ok(resource), params=id_param)
    if "update" in codes:
        responses = _written(200, 201)
        instance["put"] = _op(
            f"update-{rtype}", f"Update a {rtype}", responses, body=body, params=[*id_param, IF_MATCH, PREFER]
        )
    if "patch" in codes:
        patch = {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["op", "path"],
                "properties": {
                    "op": {"type": "string", "enum": ["add", "remove", "replace", "move", "copy", "test"]},
                    "path": {"type": "string"},
                    "value": {},
                },
            },
        }
        instance["patch"] = _op(
            f"patch-{rtype}",
            f"JSON Patch a {rtype}",
            _written(200),
            params=[*id_param, IF_MATCH],
            body=patch,
            media="application/json-patch+json",
        )
    if "delete" in codes:
        instance["delete"] = _op(
            f"delete-{rtype}",
            f"Delete a {rtype}",
            _ok(OUTCOME, 200) | {"204": {"description": "Deleted"}},
            params=id_param,
        )
    paths[f"/{rtype}/{{id}}"] = instance
    if "history-instance" in codes:
        paths[f"/{rtype}/{{id}}/_history"] = {
            "get": _op(
                f"history-{rtype}-instance",
                f"History of a {rtype}",
                _ok(BUNDLE),
                params=[*id_param, *_history_params()],
            )
        }
    if "vread" in codes:
        vid = {"name": "vid", "in": "path", "required": True, "schema": VERSION_ID}
        paths[f"/{rtype}/{{id}}/_history/{{vid}}"] = {
            "get": _op(f"vread-{rtype}", f"A version of a {rtype}", _ok(resource), params=[*id_param, vid])
        }
    if "history-type" in codes:
        paths[f"/{rtype}/_history"] = {
            "get": _op(f"history-{rtype}", f"History of every {rtype}", _ok(BUNDLE), params=_history_params())
        }
    if any(op.get("name") == "validate" for op in entry.get("operation", [])):
        paths[f"/{rtype}/$validate"] = {
            "post": _op(f"validate-{rtype}", f"Validate a {rtype}", _ok(OUTCOME), body=body)
        }
    return paths


def _search_params(entry: dict) -> list[dict]:
    criteria = [
        (p["name"], {"type": "string"}, f"{p['type']} search parameter")
        for p in entry.get("searchParam", [])
        if p["name"] not in NOT_CRITERIA
    ]
    return [
        *(
            {"name": n, "in": "query", "required": False, "schema": s, "description": d}
            for n, s, d in criteria
        ),
        *_query(RESULT_PARAMS),
    ]


def _history_params() -> list[dict]:
    return _query(
        [
            ("_count", {"type": "integer", "minimum": 0, "maximum": 1000}),
            ("_since", {"type": "string", "format": "date-time"}),
        ]
    )


def _query(params: list[tuple[str, dict]]) -> list[dict]:
    return [{"name": name, "in": "query", "required": False, "schema": schema} for name, schema in params]


def _op(op_id: str, summary: str, responses: dict, *, params=(), body=None, media: str = JSON) -> dict:
    op = {
        "operationId": op_id,
        "summary": summary,
        "parameters": list(params),
        "responses": {
            **responses,
            "default": {
                "description": "An error, as an OperationOutcome",
                "content": {JSON: {"schema": OUTCOME}},
            },
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {media: {"schema": body}}}
    return op


def _ok(schema: dict, status: int = 200) -> dict:
    return {str(status): {"description": "Success", "content": {JSON: {"schema": schema}}}}


def _written(*statuses: int) -> dict:
    """A write's answer: the resource, an OperationOutcome or no body at all, as the Prefer header
    asks (so no content is described); a 201 names the new version in Location."""
    out = {}
    for status in statuses:
        out[str(status)] = {
            "description": "The resource, an OperationOutcome, or no body (Prefer: return=...)"
        }
        if status == 201:
            out["201"]["headers"] = {"Location": {"required": True, "schema": {"type": "string"}}}
    return out


def _resource_schema(rtype: str) -> dict:
    """A resource of `rtype`, or the OperationOutcome that Prefer: return=OperationOutcome asks for."""
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "enum": sorted({rtype, "OperationOutcome"})}},
    }


def _body_schema(rtype: str) -> dict:
    """A resource of the path's type, described only by elements every resource has (id, language,
    meta.tag): the R5 definitions decide the rest, and answer what they reject with a 422."""
    tag = {
        "type": "object",
        "required": ["system", "code"],
        "additionalProperties": False,
        "properties": {
            "system": {"type": "string", "enum": [EXAMPLE_SYSTEM]},
            "code": {"type": "string", "pattern": "^[a-z]{1,10}$"},
        },
    }
    schema = {
        "type": "object",
        "required": ["resourceType"],
        "additionalProperties": False,
        "properties": {
            "resourceType": {"type": "string", "enum": [rtype]},
            "id": ID,
            "language": {"type": "string", "enum": ["en", "de", "fr"]},
            "meta": {
                "type": "object",
                "required": ["tag"],
                "additionalProperties": False,
                "properties": {"tag": {"type": "array", "minItems": 1, "items": tag}},
            },
        },
    }
    element = (definitions.type_def(rtype) or definitions.type_def("Resource")).elements.get(
        f"{rtype}.identifier"
    )
    if (
        element is not None and element.max is None
    ):  # most types: an identifier satisfies their "name or identifier" rules
        identifier = {
            **tag,
            "properties": {
                "system": tag["properties"]["system"],
                "value": {"type": "string", "pattern": "^[a-z0-9]{1,20}$"},
            },
        }
        identifier["required"] = ["system", "value"]
        schema["properties"]["identifier"] = {
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": identifier,
        }
        schema["required"].append("identifier")
    return schema


def _schemas() -> dict:
    return {
        "OperationOutcome": {
            "type": "object",
            "required": ["resourceType", "issue"],
            "properties": {
                "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                "issue": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["severity", "code"],
                        "properties": {
                            "severity": {
                                "type": "string",
                                "enum": ["fatal", "error", "warning", "information"],
                            },
                            "code": {"type": "string"},
                            "diagnostics": {"type": "string"},
                        },
                    },
                },
            },
        },
        "Bundle": {
            "type": "object",
            "required": ["resourceType", "type"],
            "properties": {
                "resourceType": {"type": "string", "enum": ["Bundle"]},
                "type": {"type": "string"},
                "total": {"type": "integer", "minimum": 0},
                "link": {"type": "array", "items": {"type": "object"}},
                "entry": {"type": "array", "items": {"type": "object"}},
            },
        },
    }
