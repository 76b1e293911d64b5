"""The layering of ARCHITECTURE.md, checked on the code's own imports (function-local ones too).

Every `import` in fhir_service/ and mappings/ is read with `ast`, so an import hidden inside a
function or under TYPE_CHECKING counts like any other. Two rules:

1. no arrow back up: a package imports only packages in the layers below its own (LAYERS);
2. no circle: the module graph has no import cycle, inside a package or across packages.

KNOWN_VIOLATIONS lists today's exceptions edge by edge. It may only shrink: a new violation fails,
and so does an entry that no longer occurs (delete it from the list when you fix it).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Top to bottom: each package may import only the packages of the layers below it; packages that
# share a layer must not import each other. "fhir_service" is the root package's version constants.
LAYERS: list[set[str]] = [
    {"cli"},  # the composition root: commands wire everything below
    {"rest"},  # HTTP: routing, negotiation, headers
    {
        "bulk",
        "integrity",
        "auth",
        "ingest",
        "startup",
    },  # export, store check, access policy, ingest, start-up
    {"interactions"},  # FHIR interactions over a repository
    {"search"},  # index rows at write time, queries at read time
    {"store"},  # versioned resources in SQL
    {"formats"},  # JSON and XML in and out
    {"xml"},
    {"format_errors"},
    {"validation"},
    {"fhirpath"},
    {"limits"},  # how much one request may ask
    {"fixtures_export", "mappings", "stored"},  # monograph → R5 resources; fixture Bundles; stored JSON
    {"versions"},  # R4/R4B views of R5 resources and the way back
    {"definitions", "jsontext", "references", "outcome", "resource_types", "narrative"},
    {"fhir_service"},
]

# Each edge ("importer -> imported", modules under fhir_service/) that breaks a rule today, with the
# reason it is still here. Fixing one means deleting its line.
KNOWN_VIOLATIONS: dict[str, str] = {}


def _modules() -> dict[str, tuple[Path, bool]]:
    modules = {}
    for top in ("fhir_service", "mappings"):
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def import_graph() -> dict[str, set[str]]:
    """module → the project modules it imports (`from a import b` names a.b when b is a module)."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, (path, is_package) in modules.items():
        package = module if is_package else module.rpartition(".")[0]
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    kept = parts[: len(parts) - node.level + 1]
                    base = ".".join(kept + ([node.module] if node.module else []))
                names = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            imported.update(t for t in map(resolve, names) if t and t != module)
        graph[module] = imported
    return graph


def unit(module: str) -> str:
    """The package a module belongs to, as LAYERS names it."""
    parts = module.split(".")
    return parts[0] if parts[0] == "mappings" or len(parts) == 1 else parts[1]


def arrows_back_up(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    rank = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    return {
        (a, b)
        for a, targets in graph.items()
        for b in targets
        if unit(a) != unit(b) and rank[unit(b)] <= rank[unit(a)]
    }


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def _name(module: str) -> str:
    return module.removeprefix("fhir_service.")


def _known(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """The KNOWN_VIOLATIONS edges, as (module, module)."""
    return {
        (a, b)
        for a, targets in graph.items()
        for b in targets
        if f"{_name(a)} -> {_name(b)}" in KNOWN_VIOLATIONS
    }


def test_every_package_has_a_layer():
    graph = import_graph()
    placed = {name for layer in LAYERS for name in layer}
    assert {unit(m) for m in graph} <= placed, "add the new package to LAYERS and ARCHITECTURE.md"


def test_no_new_arrow_back_up():
    graph = import_graph()
    new = arrows_back_up(graph) - _known(graph)
    assert not new, f"imports against the layering (ARCHITECTURE.md): {sorted(new)}"


def test_no_circle():
    graph = import_graph()
    known = _known(graph)
    cut = {a: {b for b in targets if (a, b) not in known} for a, targets in graph.items()}
    assert not circles(cut), f"import circles: {[sorted(c) for c in circles(cut)]}"


def test_known_violations_only_shrink():
    graph = import_graph()
    known = _known(graph)
    gone = KNOWN_VIOLATIONS.keys() - {f"{_name(a)} -> {_name(b)}" for a, b in known}
    assert not gone, f"fixed: delete these from KNOWN_VIOLATIONS: {sorted(gone)}"
    cyclic = {(a, b) for c in circles(graph) for a in c for b in graph[a] & c}
    harmless = known - arrows_back_up(graph) - cyclic
    assert not harmless, f"no longer a violation: delete these from KNOWN_VIOLATIONS: {sorted(harmless)}"
