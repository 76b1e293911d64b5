"""R5 validation. Public API (stable; the converter, the CLI and the server depend on it):

    validate_resource(resource: dict, *, resolve=None, warnings=True, write=False) -> list[Issue]
    validate_bundle_entries(bundle: dict, **options) -> dict[int | None, list[Issue]]
    outcome(issues) -> dict                 an OperationOutcome
    has_errors(issues) -> bool

Layers (one walk, see walker.py): structure against the R5 snapshots, primitive formats,
cardinality, required bindings against the R5 expansions, reference target types, nested
resources, and every invariant — in Python where fhirpathpy cannot run it or where speed matters
(rules.py), otherwise with fhirpathpy (invariants.py); the spec's prose rules, extensions in HL7's
namespace and LOINC displays (conformance.py), the core package's profiles a resource claims
(profiles.py) and the rules for authoring StructureDefinitions (authoring.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fhir_service.validation.context import Context, Options
from fhir_service.validation.issues import Issue, has_errors, outcome
from fhir_service.validation.references import Resolver
from fhir_service.validation.walker import validate_resource_node

__all__ = ["Issue", "has_errors", "outcome", "validate_resource", "validate_bundle_entries"]

ENTRY = re.compile(r"^Bundle\.entry\[(\d+)\]")


def validate_resource(
    resource: dict,
    *,
    resolve: Callable[[str], dict | None] | None = None,
    warnings: bool = True,
    skip: frozenset[str] | set[str] = frozenset(),
    write: bool = False,
) -> list[Issue]:
    """Validate one resource (a Bundle includes its entries). `resolve` looks up references that
    point outside the document (reference string → resource dict or None), e.g. in the store.
    `write`: the resource is about to be stored, so an unresolved reference whose URL names a type
    the element does not allow is an error (HAPI refuses it), not the Java validator's warning."""
    if not isinstance(resource, dict):
        return [Issue("fatal", "structure", "", "a FHIR resource must be a JSON object", "type")]
    rtype = resource.get("resourceType")
    ctx = Context(
        Resolver(resource, resolve), resource, resource, options=Options(warnings, frozenset(skip), write)
    )
    validate_resource_node(resource, rtype if isinstance(rtype, str) else "", ctx)
    return ctx.issues


def validate_bundle_entries(bundle: dict, **options) -> dict[int | None, list[Issue]]:
    """Issues of a Bundle grouped by entry index (None: the Bundle itself)."""
    grouped: dict[int | None, list[Issue]] = {}
    for issue in validate_resource(bundle, **options):
        match = ENTRY.match(issue.expression)
        grouped.setdefault(int(match.group(1)) if match else None, []).append(issue)
    return grouped
