"""What one validation pass carries from node to node: where it is, what it found, what it was asked."""

from __future__ import annotations

from dataclasses import dataclass, field

from fhir_service.validation.issues import Issue
from fhir_service.validation.references import Resolver


@dataclass(frozen=True)
class Options:
    warnings: bool = True  # evaluate warning-severity constraints (dom-6, ident-1, ...) too
    skip: frozenset[str] = frozenset()  # constraint keys not to evaluate
    write: bool = False  # a write to the store: refuse what HAPI refuses on write, not only what Java does


@dataclass
class Context:
    """Where we are: the resource that holds the node (for %resource) and the root one."""

    resolver: Resolver
    root: dict  # %rootResource: the resource whose `contained` a '#id' reference means
    resource: dict  # %resource
    issues: list[Issue] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    element_ids: set[str] = field(default_factory=set)  # unique within the resource

    def error(self, code: str, location: str, message: str, rule: str, severity: str = "error") -> None:
        self.issues.append(Issue(severity, code, location, message, rule))
