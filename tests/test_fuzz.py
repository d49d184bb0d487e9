"""Property-based fuzzing of scenario files: whatever a file holds, ``gridshed
validate`` exits 0 or 2 with one message per problem, never a traceback.

Hypothesis mutates the shipped scenarios (their data with ``extends:`` merged):
keys and list items deleted, values swapped for other types, numbers in dates,
infinities and NaN, huge and tiny numbers, wrong shapes, hostile strings, keys
added. ``make test`` runs 200 examples (the ``test`` profile of conftest.py,
derandomized: the same ones every time); ``make fuzz`` runs the ``fuzz`` profile
(2,000 random examples) and also runs one in four of the mutated scenarios that
validate, for one replication.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from conftest import DATA, FUZZ_EXAMPLES, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario.source import load_source

#: The shipped scenarios, merged with what they extend, and a small test scenario.
SCENARIOS = sorted([*(ROOT / "scenarios").rglob("*.yaml"), DATA / "base.yaml"])
RAW = {p.name: load_source(p).data for p in SCENARIOS}
#: Scenarios that load in milliseconds (the others read a plant table).
SMALL = ["base.yaml", "two_zones.yaml"]
#: Whether this is ``make fuzz`` (the fuzz profile): also run what validates.
FUZZING = settings.default.max_examples >= FUZZ_EXAMPLES

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
hostile = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([10**400, -(10**30), 2**63, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.inf, -math.inf, math.nan, 1e308, -1e308, 1e-300, 5e-324, 0.0, -0.0]),
    text,
    st.sampled_from(
        [
            "0",
            "-1e9",
            "1e308",
            ".inf",
            "yes",
            ".",
            "..",
            "/dev/zero",
            "../../etc/passwd",
            "a" * 300,
            "2022-13-45",
            "2022-01-01T00:00:00+06:00",
            "9999-12-31",
            "1e-300",
            "nan",
            "*a",
            "&a",
            "[",
            "{",
        ]
    ),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(text, st.integers(min_value=-5, max_value=5), max_size=2),
)


def nodes(tree: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every value below ``tree``."""
    out = []
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        out.append((*path, key))
        out += nodes(value, (*path, key))
    return out


def parent(tree: Any, path: tuple) -> Any:
    for part in path[:-1]:
        tree = tree[part]
    return tree


FACTORS = st.sampled_from([0, -1, 1e9, 1e-9, 1e300, 2])
Mutation = tuple[tuple, str, Any]
"""A path in the data, what to do there (delete, replace, scale, swap_shape,
add_key) and the value used."""


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, list[Mutation], bool]:
    """A shipped scenario's name, one to three mutations of its data, and whether
    to run it too if it validates (make fuzz only, one in four)."""
    name = draw(st.one_of(st.sampled_from(SMALL), st.sampled_from(sorted(RAW))))  # small ones half the time
    data = copy.deepcopy(RAW[name])
    done: list[Mutation] = []
    for _ in range(draw(st.integers(1, 3))):
        paths = nodes(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        how = draw(st.sampled_from(["delete", "replace", "scale", "swap_shape", "add_key"]))
        value = draw(hostile if how in ("replace", "add_key") else FACTORS)
        key = draw(text) if how == "add_key" else None
        mutate(data, path, how, value, key)
        done.append((path, how, (key, value) if how == "add_key" else value))
    return name, done, FUZZING and draw(st.integers(0, 3)) == 0


def mutate(data: Any, path: tuple, how: str, value: Any, key: str | None = None) -> None:
    up, last = parent(data, path), path[-1]
    old = up[last]
    if how == "delete":
        del up[last]
    elif how == "replace":
        up[last] = value
    elif how == "scale" and isinstance(old, int | float) and not isinstance(old, bool):
        try:
            up[last] = old * value
        except OverflowError:  # a huge integer put there by an earlier mutation
            up[last] = math.inf
    elif how == "swap_shape":
        shapes = {dict: lambda: list(old.values()), list: lambda: {"x": old}}
        up[last] = shapes.get(type(old), lambda: [old])()
    elif how == "add_key" and isinstance(old, dict):
        old[key] = value


def check(runner: CliRunner, args: list[str]) -> Any:
    result = runner.invoke(main, args, catch_exceptions=True)
    crash = result.exception if not isinstance(result.exception, SystemExit | type(None)) else None
    assert crash is None, f"{type(crash).__name__}: {crash}\n{result.output}"
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    return result


@given(mutations())
def test_a_mutated_scenario_validates_or_is_refused_in_lines(case: tuple[str, list[Mutation], bool]) -> None:
    name, done, also_run = case
    data = copy.deepcopy(RAW[name])
    for path, how, value in done:
        key, value = value if how == "add_key" else (None, value)
        mutate(data, path, how, value, key)
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        result = check(runner, ["validate", "-w", "1", str(path)])
        if result.exit_code == 2:
            assert result.stderr.startswith("error: ") and result.stdout == ""
        elif also_run:
            out = Path(tmp) / "out"
            check(runner, ["run", str(path), "-n", "1", "-w", "1", "-q", "--no-figures", "--out", str(out)])
