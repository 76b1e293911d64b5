"""Invariants (ElementDefinition.constraint) of one element instance.

Python rules (rules.py) take precedence; every other constraint is compiled once by
fhir_service.fhirpath (its Python evaluator for the simple shapes, else fhirpathpy, cached per
(expression, typed context)) and evaluated on the node. A
constraint is met only when it evaluates to true: false and empty both fail it, as in HL7's Java
validator and Firely's (an invariant that cannot be shown to hold, e.g. on a reference resolve()
cannot follow, is not met). Expressions fhirpathpy cannot parse or run are recorded in
UNSUPPORTED and skipped rather than guessed at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fhir_service import fhirpath, jsontext
from fhir_service.definitions import Constraint
from fhir_service.validation.issues import Issue
from fhir_service.validation.rules import PYTHON_RULES

if TYPE_CHECKING:
    from fhir_service.validation.context import Context

UNSUPPORTED: dict[str, str] = {}  # constraint key → why it was skipped (parse or runtime error)


def check(node, constraints: tuple[Constraint, ...], base_type: str, location: str, ctx: Context) -> None:
    for constraint in constraints:
        if constraint.key in ctx.options.skip:
            continue
        if constraint.severity != "error" and not ctx.options.warnings:
            continue
        message = _evaluate(constraint, node, base_type, ctx)
        if message is not None:
            ctx.issues.append(
                Issue(
                    "error" if constraint.severity == "error" else "warning",
                    "invariant",
                    location,
                    f"{constraint.key}: {constraint.human} ({message})",
                    constraint.key,
                )
            )


def _evaluate(constraint: Constraint, node, base_type: str, ctx: Context) -> str | None:
    rule = PYTHON_RULES.get(constraint.key)
    if rule is not None:
        return rule(node, ctx)
    if constraint.key in UNSUPPORTED or not constraint.expression:
        return None
    fast = fhirpath.compile_simple(constraint.expression, base_type)
    if fast is not None:
        result = fast(node, ctx.resource)
        if result is not None:
            return _unmet(constraint, node, result) if not result or result == [False] else None
    try:
        compiled = fhirpath.compile(constraint.expression, base_type)
        result = compiled(
            node,
            resource=ctx.resource,
            root_resource=ctx.root,
            resolve=ctx.resolver.fhirpath_resolver(ctx.root),
        )
    except Exception as exc:  # fhirpathpy raises bare Exceptions for what it does not implement
        UNSUPPORTED[constraint.key] = f"{type(exc).__name__}: {exc}"
        return None
    return _unmet(constraint, node, result) if not result or result == [False] else None


def _unmet(constraint: Constraint, node, result: list) -> str:
    # FHIRPath's boolean evaluation of a collection: one false is false, empty is not true.
    if result:
        return _describe(constraint, node, "is false")
    return _describe(constraint, node, "gives no result (so it cannot be shown to hold)")


def _describe(constraint: Constraint, node, outcome: str) -> str:
    """Name the expression and the offending value (resources by type/id, elements by content)."""
    if isinstance(node, dict) and "resourceType" in node:
        shown = f"{node['resourceType']}/{node.get('id', '(no id)')}"
    else:
        text = jsontext.dumps(node)
        shown = text if len(text) <= 120 else text[:117] + "..."
    return f"'{constraint.expression}' {outcome} for {shown}"
