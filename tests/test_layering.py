"""The import graph of the package, read from its source (ast), against DESIGN's layering:
no import cycle; matching, files and db import no other wing and not screening (each takes
what it needs from its caller: a hit carries its normalized name, a decision its party's
key); no wing (matching, lists, db, files) imports the screening service.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a
cycle that only a late import keeps from failing is still a cycle of the design. The
root package is left out: its lazy export of ``Screener`` is how a user reaches the
service, not an arrow of the layering.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "screener"
ROOT = "screener"
SERVICE = "screener.screening.service"
WINGS = ("matching", "lists", "db", "files")
NOT_BELOW = {
    "matching": ("db", "screening", "lists", "files"),
    "files": ("db", "screening", "matching", "lists"),
    "db": ("screening", "lists", "matching", "files"),
}

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> Graph:
    """Module -> the package's modules it imports (a ``from X import y`` whose ``y`` is a
    module counts as importing ``X.y``)."""
    files = {module_name(p): p for p in package.rglob("*.py")}
    graph: Graph = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    up = here[: len(here) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in files else base)
        graph[name] = {t for t in targets if t in files and t not in (name, ROOT)}
    graph.pop(ROOT, None)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in (*WINGS, "screening") else None


def layering_violations(graph: Graph) -> list[str]:
    """Arrows against the layering, as 'a -> b'."""
    bad = []
    for a, targets in sorted(graph.items()):
        for b in sorted(targets):
            upward = wing(b) in NOT_BELOW.get(wing(a) or "", ())
            if upward or (wing(a) in WINGS and b == SERVICE):
                bad.append(f"{a} -> {b}")
    return bad


def arrows_in(component: Iterable[str], graph: Graph) -> list[str]:
    members = set(component)
    return [f"{a} -> {b}" for a in sorted(members) for b in sorted(graph[a] & members)]


# --- the checker itself ---------------------------------------------------------------------


def test_the_graph_holds_the_imports_the_code_makes() -> None:
    graph = import_graph()
    assert SERVICE in graph["screener.cli"]  # from screener.screening.service import ...
    assert "screener.matching.matcher" in graph["screener.screening.service"]
    assert "screener.db.store" in graph["screener.cli"]  # a module named in a from-import
    assert ROOT not in graph and all(ROOT not in t for t in graph.values())


def test_the_checks_find_a_cycle_and_an_arrow_against_the_layering() -> None:
    graph: Graph = {
        "screener.matching.a": {"screener.matching.b", "screener.db.store"},
        "screener.matching.b": {"screener.matching.a"},
        "screener.lists.links": {SERVICE},
        SERVICE: {"screener.matching.a"},
        "screener.db.store": set(),
    }
    assert cycles(graph) == [["screener.matching.a", "screener.matching.b"]]
    assert layering_violations(graph) == [
        "screener.lists.links -> screener.screening.service",
        "screener.matching.a -> screener.db.store",
    ]


# --- the package ----------------------------------------------------------------------------


def test_no_import_cycle() -> None:
    graph = import_graph()
    found = [arrows_in(c, graph) for c in cycles(graph)]
    assert not found, "\n".join("cycle: " + "; ".join(arrows) for arrows in found)


def test_matching_and_files_stay_below_and_no_wing_imports_the_service() -> None:
    bad = layering_violations(import_graph())
    assert not bad, "\n".join(bad)
