"""The import graph of ``neurosim``: models and plasticity never import backends; no cycles.

Every ``import`` / ``from ... import`` statement of every module under ``neurosim/`` is read
with :mod:`ast`, at module level and inside functions, classes and ``if TYPE_CHECKING``
blocks alike (a lazy import is still a dependency). An edge ``a -> b`` is counted when
module ``a`` names module ``b``: ``from neurosim.x import y`` counts ``neurosim.x.y`` when
that is a module, else ``neurosim.x``; relative imports are resolved. The parent packages
that Python initialises on the way (``neurosim``, ``neurosim.neurons`` for
``neurosim.neurons.lif``) are *not* counted: otherwise every module would form a cycle with
the package ``__init__`` that re-exports it. Imports outside ``neurosim`` are ignored.

Checked: (a) no module of ``neurosim/neurons/``, ``neurosim/plasticity/``,
``neurosim/synapses.py`` or ``neurosim/units.py`` reaches ``neurosim.backends`` (directly or
through other neurosim modules); (b) the graph of all these edges has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import neurosim

ROOT = Path(neurosim.__file__).resolve().parent


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """``{module: {neurosim modules it imports}}`` for every module under ``root``."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    mods = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - (node.level - 1)]
                    src = ".".join(base + ([node.module] if node.module else []))
                else:
                    src = node.module or ""
                targets = [f"{src}.{a.name}" if f"{src}.{a.name}" in mods else src
                           for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods:    # "neurosim.x.attr" -> "neurosim.x"
                    t = t.rpartition(".")[0]
                if t and t != name:
                    edges.add(t)
        graph[name] = edges
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> dict[str, str | None]:
    """Modules reachable from ``start``, each with the module it was reached from."""
    seen: dict[str, str | None] = {start: None}
    todo = [start]
    while todo:
        a = todo.pop()
        for b in sorted(graph.get(a, ())):
            if b not in seen:
                seen[b] = a
                todo.append(b)
    return seen


def path_to(seen: dict[str, str | None], end: str) -> list[str]:
    out = [end]
    while seen[out[-1]] is not None:
        out.append(seen[out[-1]])  # type: ignore[arg-type]
    return out[::-1]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of the graph, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(graph, WHITE)
    stack: list[str] = []

    def visit(a: str) -> list[str] | None:
        color[a] = GREY
        stack.append(a)
        for b in sorted(graph[a]):
            if color.get(b, BLACK) == GREY:
                return stack[stack.index(b):] + [b]
            if color.get(b) == WHITE:
                found = visit(b)
                if found:
                    return found
        stack.pop()
        color[a] = BLACK
        return None

    for a in sorted(graph):
        if color[a] == WHITE:
            found = visit(a)
            if found:
                return found
    return None


def model_modules(graph: dict[str, set[str]]) -> list[str]:
    return sorted(m for m in graph if m.startswith(("neurosim.neurons", "neurosim.plasticity"))
                  or m in ("neurosim.synapses", "neurosim.units"))


def backend_paths(graph: dict[str, set[str]]) -> list[str]:
    """For each model/plasticity module that reaches ``neurosim.backends``: the path."""
    out = []
    for m in model_modules(graph):
        seen = reachable(graph, m)
        hits = sorted(b for b in seen if b == "neurosim.backends"
                      or b.startswith("neurosim.backends."))
        if hits:
            out.append(" -> ".join(path_to(seen, hits[0])))
    return out


def test_graph_is_read():
    g = import_graph()
    assert "neurosim.network" in g and "neurosim.neurons.lif" in g
    assert "neurosim.neurons.base" in g["neurosim.neurons.lif"]
    assert "neurosim.backends" in g["neurosim.network"]            # a lazy import counts
    assert len(model_modules(g)) >= 10


def test_models_and_plasticity_never_import_backends():
    paths = backend_paths(import_graph())
    assert not paths, "models/plasticity reach neurosim.backends:\n" + "\n".join(paths)


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_reports_the_path():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(g) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
