"""Every failure leaves as an OperationOutcome with the right 4xx/5xx status, never an HTML page."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from fhir_service.formats import to_json, to_xml
from fhir_service.interactions.errors import FhirError, as_fhir_error, outcome
from fhir_service.rest import versioned
from fhir_service.rest.negotiation import CONTENT_TYPES, safe_response_format
from fhir_service.xml import XmlWriteError

logger = logging.getLogger("fhir_service.rest")

HTTP_CODES = {
    404: "not-found",
    405: "not-supported",
    413: "too-costly",
    415: "not-supported",
    406: "not-supported",
}


def error_response(status: int, body: dict, headers: dict | None = None) -> Response:
    kind = "json" if versioned.is_view() else safe_response_format()  # views are JSON only
    body = _in_version(body)
    try:
        data = to_json(body) if kind == "json" else to_xml(body)
    except XmlWriteError:  # an outcome XML cannot carry: fall back to JSON
        kind, data = "json", to_json(body)
    return Response(data, status=status, headers=headers or {}, content_type=CONTENT_TYPES[kind])


def _in_version(body: dict) -> dict:
    """The OperationOutcome in the request's FHIR version; as it is if that cannot be made."""
    if not versioned.is_view():
        return body
    try:
        return versioned.out(body)
    except Exception:  # an error about an error must still answer
        logger.exception("OperationOutcome not converted to FHIR %s", versioned.current())
        return body


def install(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
        code = HTTP_CODES.get(exc.code or 500, "processing")
        message = exc.description or exc.name
        if exc.code == 413:
            message = f"Request body larger than the limit of {request.max_content_length} bytes"
        return error_response(exc.code or 500, outcome(message, code), headers)

    @app.errorhandler(Exception)
    def _any(exc: Exception):
        fhir_error = as_fhir_error(exc)
        if fhir_error is None:
            logger.exception("unhandled error")
            fhir_error = FhirError(500, "Internal server error", "exception")
        return error_response(fhir_error.status, fhir_error.outcome, fhir_error.headers)
