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
    line: int | None = None  # in the XML document the resource was read from


LINE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line"


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
        "issue": [_issue(i) for i in issues],
    }


def _issue(i: Issue) -> dict:
    issue = {}
    if i.line is not None:
        issue["extension"] = [{"url": LINE_EXTENSION, "valueInteger": i.line}]
    issue["severity"] = i.severity
    issue["code"] = i.code
    if i.rule:
        issue["details"] = {"text": i.rule}
    issue["diagnostics"] = i.message
    issue["expression"] = [i.expression]
    return issue
