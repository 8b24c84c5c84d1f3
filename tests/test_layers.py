"""The package's folders follow the data, and every import points down them.

scenario → model → runs → analysis → report, with stats (plain numbers)
below runs and the three ways in (fit, serve, cli) on top. An import that
points up, or sideways between folders of one level, is a backward arrow:
this test names it. ``__main__`` modules are entry points (nothing imports
them) and may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEVEL = {  # a folder may import only folders of a lower level
    "sim.scenario": 0,
    "sim.model": 1,
    "sim.stats": 1,
    "sim.runs": 2,
    "sim": 3,  # the Python API (sim.run, sim.load_scenario, sim.run_to_folder)
    "sim.analysis": 4,
    "sim.report": 5,
    "sim.fit": 6,
    "sim.serve": 6,
    "sim.cli": 7,
}


def modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "sim").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def folder(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and ".".join(parts[:2]) in LEVEL else "sim"


def imports(path: Path, everywhere: bool = True) -> set[str]:
    """The sim modules ``path`` imports (in functions too, unless ``everywhere`` is False; never under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    nodes = ast.walk(tree) if everywhere else tree.body
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
               for n in ast.walk(node)}
    out = set()
    for node in nodes:
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sim":
            out |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}  # a submodule, else a name
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "sim"}
    known = modules()
    return {m if m in known else m.rsplit(".", 1)[0] for m in out if m in known or m.rsplit(".", 1)[0] in known}


def test_every_import_points_down_the_folders() -> None:
    known = modules()
    backward = []
    for module, path in sorted(known.items()):
        if module.endswith("__main__"):
            continue
        for target in imports(path):
            here, there = folder(module), folder(target)
            if here != there and LEVEL[there] >= LEVEL[here]:
                backward.append(f"{module} -> {target}")
    assert backward == []


def test_no_module_imports_itself_back() -> None:
    """No import loop among module-level imports (a loop makes import order matter)."""
    known = modules()
    graph = {m: imports(p, everywhere=False) - {m} for m, p in known.items()}
    loops = []

    def visit(m: str, stack: list[str], done: set[str]) -> None:
        for t in graph.get(m, ()):
            if t in stack:
                loops.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t not in done and t in graph:
                visit(t, [*stack, t], done)
        done.add(m)

    done: set[str] = set()
    for m in sorted(graph):
        if m not in done:
            visit(m, [m], done)
    assert loops == []
