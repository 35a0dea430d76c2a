"""The layout keeps its promises: imports flow one way (core <- analyses <- report <- web,
cli), module-level imports have no cycle, and no function outside the numba kernels
grows past ~150 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "overland"
#: layers from the bottom up; a module may import only from its own layer or below
LAYERS = {
    "core": 0,
    "assignment": 0,
    "analyses": 1,
    "imports": 1,
    "report": 2,
    "web": 3,
    "cli": 3,
}
KERNEL_MODULES = {"kernels.py", "_kernels.py", "_bush.py"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _layer(module: str) -> str:
    if module == "overland.__main__":  # ``python -m overland``: the command line
        return "cli"
    parts = module.split(".")
    return parts[1] if len(parts) >= 2 and parts[1] in LAYERS else "core"


def _imports(module: str, path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("overland"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("overland"))
    return found


def test_imports_flow_one_way() -> None:
    mods = _modules()
    wrong = []
    for module, path in mods.items():
        here = LAYERS.get(_layer(module), 0)
        for target in _imports(module, path, top_level_only=False):
            if target in mods and LAYERS.get(_layer(target), 0) > here:
                wrong.append(f"{module} -> {target}")
    assert not wrong, wrong


def test_the_network_imports_nothing_above_it() -> None:
    mods = _modules()
    below = {
        "overland.errors",
        "overland.schema",
        "overland.package",
        "overland.validation",
        "overland.timeline",
        "overland.places",
        "overland.geo",
    }
    targets = {
        t
        for t in _imports("overland.network", mods["overland.network"], top_level_only=False)
        if t in mods
    }
    assert targets <= below, targets - below


def test_module_level_imports_have_no_cycle() -> None:
    mods = _modules()
    graph = {
        m: {t for t in _imports(m, p, top_level_only=True) if t in mods and t != m}
        for m, p in mods.items()
    }
    # a package's __init__ re-exporting its children is not a cycle of logic
    for m in graph:
        graph[m] = {t for t in graph[m] if not m.startswith(t + ".")}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, stack: list[str]) -> bool:
        state[m] = 1
        for t in graph[m]:
            if state.get(t) == 1:
                cycle.extend([*stack[stack.index(t) :], t] if t in stack else [m, t])
                return True
            if t not in state and visit(t, [*stack, t]):
                return True
        state[m] = 2
        return False

    for m in sorted(graph):
        if m not in state and visit(m, [m]):
            break
    assert not cycle, " -> ".join(cycle)


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: p.name)
def test_no_function_over_150_lines(path: Path) -> None:
    if path.name in KERNEL_MODULES:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 150
    ]
    assert not long, long
