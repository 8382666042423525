"""The import graphs of ``participation/`` and ``search/``: no cycles between the modules
of either, and no view importing the application wiring (``participation.web.wiring``).

The graph is read from the source (``ast``), not from ``sys.modules``, so that imports
inside functions count too: a cycle hidden in a function body still ties two modules
together and still breaks when the function runs first during start-up."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "participation"
SOURCE = Path(__file__).resolve().parents[2]


def _module_names(package: str) -> dict[str, Path]:
    modules = {}
    for path in (SOURCE / package).rglob("*.py"):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every dotted name an ``import`` or ``from … import`` anywhere in ``tree`` (function
    bodies included) may load: ``from a.b import c`` yields both ``a.b`` and ``a.b.c``;
    the caller keeps those that are modules of the package."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Relative: resolve against this module's package.
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def import_graph(package: str = PACKAGE) -> dict[str, set[str]]:
    """module → the modules of the package it imports. ``from a.b import c`` is an edge to
    ``a.b.c`` when that is a module, else to ``a.b``."""
    modules = _module_names(package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        targets = set()
        for imported in _imported_names(tree, name, is_package):
            if imported in modules:
                targets.add(imported)
        # ``from a.b import c`` with c a module: the edge is to a.b.c, not also to a.b
        # (a.b is only the package that holds it).
        for target in list(targets):
            parent = target.rpartition(".")[0]
            if parent in targets and _only_submodules_named(tree, name, is_package, parent, modules):
                targets.discard(parent)
        targets.discard(name)
        graph[name] = targets
    return graph


def _only_submodules_named(tree, module, is_package, source, modules) -> bool:
    """True when every ``from source import …`` in ``tree`` names only submodules and no
    plain ``import source`` appears, so ``source`` itself is not really used."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(alias.name == source for alias in node.names):
            return False
        if isinstance(node, ast.ImportFrom):
            names = _imported_names(ast.Module(body=[node], type_ignores=[]), module, is_package)
            if source in names and any(f"{source}.{alias.name}" not in modules for alias in node.names):
                return False
    return True


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components of more than one module are cycles."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = lowlink[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = lowlink[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[node])
                if lowlink[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _a_cycle(graph: dict[str, set[str]], members: list[str]) -> list[str]:
    """One concrete loop through a component, for the failure message."""
    inside = set(members)
    path = [members[0]]
    seen = {members[0]: 0}
    while True:
        following = sorted(graph[path[-1]] & inside)[0]
        if following in seen:
            return path[seen[following]:] + [following]
        seen[following] = len(path)
        path.append(following)


def test_the_graph_sees_imports_inside_functions():
    # The walk must find function-level imports (web/wiring.py imports the blueprints that way).
    graph = import_graph()
    assert "participation.views.public" in graph["participation.web.wiring"]
    assert "participation.cli" in graph["participation.web.wiring"]


@pytest.mark.parametrize("package", ["participation", "search"])
def test_no_import_cycle_between_modules_of_a_package(package):
    graph = import_graph(package)
    cycles = [members for members in strongly_connected_components(graph) if len(members) > 1]
    described = [f"  {' → '.join(_a_cycle(graph, members))}  (modules tied together: {', '.join(members)})"
                 for members in cycles]
    assert not cycles, f"import cycles in {package}/:\n" + "\n".join(described)


def test_the_graph_of_search_sees_its_backend():
    # search/ has packages of its own (backend/whoosh/): the walk must reach into them.
    graph = import_graph("search")
    assert "search.backend.whoosh.codec" in graph["search.backend.whoosh.schema"]


def test_no_view_imports_the_application_wiring():
    graph = import_graph()
    offenders = sorted(
        name for name, targets in graph.items()
        if name.startswith(f"{PACKAGE}.views") and f"{PACKAGE}.web.wiring" in targets
    )
    assert not offenders, f"views importing participation.web.wiring: {offenders}"
