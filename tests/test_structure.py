"""The package's shape, checked on its source: imports form no cycle, nothing inside reaches up to the
package root, only the engine module imports durable_rules, and the README maps every module.

Imports are read with `ast`, at module level and inside functions alike (a lazy import is still an
edge); those under `if TYPE_CHECKING:` are left out, since they never run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "parity"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported from, names taken) for every import that runs."""
    found: list[tuple[str, list[str]]] = []
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, []) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                found.append((base, [alias.name for alias in child.names]))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _edges() -> dict[str, set[str]]:
    """Module -> the parity modules it imports (`from pkg import sub` counts as importing `pkg.sub`)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for module, names in _imports(path):
            if not module.startswith("parity"):
                continue
            subs = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
            for target in subs or [module]:
                if target in MODULES and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycles(_edges()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_inside_the_package_imports_its_root() -> None:
    """The root re-exports the public API; a module that imported it would import everything."""
    offenders = []
    for name, path in MODULES.items():
        if name == "parity":
            continue
        for module, names in _imports(path):
            taken_from_root = module == "parity" and any(f"parity.{n}" not in MODULES for n in names)
            if taken_from_root or (module == "parity" and not names):
                offenders.append(f"{name}: from {module} import {', '.join(names)}")
    assert offenders == []


def test_only_the_engine_module_imports_durable_rules() -> None:
    users = sorted(
        name
        for name, path in MODULES.items()
        for module, _ in _imports(path)
        if module.split(".")[0] in ("durable", "durable_rules_engine")
    )
    assert users == ["parity.judge.engine"]


def test_the_readme_maps_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How it works", 1)[1].split("\n## ", 1)[0]
    mapped = {_module_name(ROOT / path) for path in re.findall(r"`(parity/[\w/]+\.py)`", section)}
    missing = sorted(name for name in MODULES if name not in mapped and name != "parity.__main__")
    assert missing == [], f"modules missing from README.md's 'How it works': {missing}"
