"""The import structure of the package: which modules import which, wherever the import stands
(module level, inside a function, under ``TYPE_CHECKING``)."""

from __future__ import annotations

import ast
from pathlib import Path

import logprov

PACKAGE = Path(logprov.__file__).parent

#: The one circle left: Jupyter shows matches and lineages (`query.model`) through the display
#: helpers (`query.display`), which draw them with the export's graph code, which knows the
#: model's relations. Its imports of the model are lazy or for type hints only.
KNOWN_CIRCLES = [{
    "logprov.export.documentlineage", "logprov.export.graphcut", "logprov.export.graphdrawing",
    "logprov.export.notebook", "logprov.query.display", "logprov.query.model", "logprov.query.render",
    "logprov.query.select",
}]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Return the modules of the package that the file at ``path`` imports."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in modules and target != name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Return, for each module of the package, the modules of the package it imports."""
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: _imports(path, modules) for name, path in paths.items()}


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Return the strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_relative_lazy_and_type_only_imports():
    graph = import_graph()
    assert "logprov.reading.results" in graph["logprov.reading.reader"]
    assert "logprov.ctapipe.joins" in graph["logprov.reading.reader"]
    assert "logprov.query.display" in graph["logprov.query.model"]
    assert "logprov.query.model" in graph["logprov.export.notebook"]


def test_circles_are_found():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_modules_import_each_other_in_no_circle_but_the_known_one():
    assert sorted(map(sorted, circles(import_graph()))) == sorted(map(sorted, KNOWN_CIRCLES))


def test_kinds_of_sources_import_what_a_kind_is_not_the_registry():
    graph = import_graph()
    for module in ("logprov.products.kinds", "logprov.ctapipe.sources", "logprov.ctapipe.joins"):
        assert not {"logprov.reading.kinds", "logprov.reading.reader"} & graph[module], module
