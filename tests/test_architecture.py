"""The package's shape: one-way layers, no import cycles, small modules.

Layers, lowest first; a module may import its own sub-package and lower layers
only (see docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
LAYERS = (
    ("sim.errors", "sim.vocab"),
    ("sim.scenario",),
    ("sim.dispatch",),
    ("sim.model",),
    ("sim.results",),
    ("sim.experiments",),
    ("sim.report",),
    ("sim.cli", "sim.__main__", "sim"),
)
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules of ``sim`` imported anywhere in the file (also inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "sim"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != "sim":
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.add(
                    sub
                    if (SIM.parent / Path(*sub.split("."))).exists()
                    or (SIM.parent / Path(*sub.split("."))).with_suffix(".py").exists()
                    else base
                )
    return out


MODULES = {_module_name(p): p for p in sorted(SIM.rglob("*.py"))}
GRAPH = {m: {i for i in _imports(p) if i != m} for m, p in MODULES.items()}


def layer(module: str) -> int:
    """Index of the layer of ``module`` (the longest matching prefix)."""
    best, depth = -1, -1
    for k, names in enumerate(LAYERS):
        for n in names:
            if (module == n or module.startswith(n + ".")) and len(n) > depth:
                best, depth = k, len(n)
    return best


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if layer(m) < 0] == []


def test_imports_go_down_the_layers_only() -> None:
    bad = [
        f"{m} (layer {layer(m)}) imports {i} (layer {layer(i)})"
        for m, deps in GRAPH.items()
        for i in sorted(deps)
        if layer(i) > layer(m)
    ]
    assert bad == []


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(GRAPH.get(m, ())):
            if d not in MODULES:
                continue
            if state.get(d) == 1:
                cycles.append([*stack[stack.index(d) :], d] if d in stack else [m, d])
            elif d not in state:
                visit(d, [*stack, d])
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m, [m])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_small(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module}: {lines} lines"


def test_the_checks_see_a_violation() -> None:
    """The layer check is not vacuous: a report module importing the CLI is caught."""
    assert layer("sim.report.tables") < layer("sim.cli.run")
    assert layer("sim.scenario.schema") < layer("sim.model.clock")
    assert any(GRAPH.values())
