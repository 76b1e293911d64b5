"""The Issue record and the OperationOutcome it turns into."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    severity: str  # fatal | error | warning | information
    code: str  # OperationOutcome issue-type: structure | invariant | code-value | required | ...
    expression: str  # FHIRPath location, e.g. "ClinicalUseDefinition.type"
    message: str  # names the rule (invariant key / binding / cardinality) and the offending value
    rule: str | None = None  # "cud-1", "binding:clinical-use-definition-type", "cardinality", ...


def has_errors(issues: list[Issue]) -> bool:
    return any(i.severity in ("fatal", "error") for i in issues)


def outcome(issues: list[Issue]) -> dict:
    if not issues:
        return {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "information", "code": "informational", "diagnostics": "No issues detected"}
            ],
        }
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": i.severity,
                "code": i.code,
                "diagnostics": i.message,
                "expression": [i.expression],
                **({"details": {"text": i.rule}} if i.rule else {}),
            }
            for i in issues
        ],
    }
