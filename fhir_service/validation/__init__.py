"""R5 validation. Public API (stable; the converter, the CLI and the server depend on it):

    validate_resource(resource: dict) -> list[Issue]
    validate_bundle_entries(...)            (see validator module)
    outcome(issues) -> dict                 an OperationOutcome
    has_errors(issues) -> bool

This first version only runs the fhir.resources model; the full validator replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fhir.resources import get_fhir_model_class
from pydantic import ValidationError


@dataclass(frozen=True)
class Issue:
    severity: str  # fatal | error | warning | information
    code: str  # OperationOutcome issue-type: structure | invariant | code-value | required | ...
    expression: str  # FHIRPath location, e.g. "ClinicalUseDefinition.type"
    message: str  # names the rule (invariant key / binding / cardinality) and the offending value
    rule: str | None = None  # "cud-1", "binding:clinical-use-definition-type", "cardinality", ...


def has_errors(issues: list[Issue]) -> bool:
    return any(i.severity in ("fatal", "error") for i in issues)


def validate_resource(resource: dict) -> list[Issue]:
    rtype = resource.get("resourceType")
    try:
        model = get_fhir_model_class(rtype)
    except (KeyError, ValueError, TypeError):
        return [Issue("error", "structure", str(rtype), f"Unknown resource type '{rtype}'", "type")]
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        return [
            Issue("error", "structure", ".".join([rtype, *map(str, e["loc"])]), e["msg"], "structure")
            for e in exc.errors()
        ]
    return []


def outcome(issues: list[Issue]) -> dict:
    if not issues:
        return {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "information", "code": "informational", "diagnostics": "No issues detected"}],
        }
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": i.severity,
                "code": i.code,
                "diagnostics": i.message,
                "expression": [i.expression],
            }
            for i in issues
        ],
    }
