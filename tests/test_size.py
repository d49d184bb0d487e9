"""The size of a run, estimated before it runs, and the YAML budgets (issue #10).

A run over the limits is refused with the estimate unless --allow-large;
``validate`` prints the estimate. YAML is measured as it would be once its
aliases are expanded, without expanding it.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import EXAMPLE, ROOT

from sim.errors import ScenarioError
from sim.scenario.size import LIMITS, combine, estimate, expected_facilities, expected_unit_events
from sim.scenario.yamlsafe import MAX_DEPTH, measure, parse_yaml

HOSTILE = ROOT / "tests" / "hostile"


def test_the_estimate_counts_steps_zones_units_facilities_and_events(example):
    size = estimate(example, replications=10, workers=3)
    assert (size.steps, size.zones, size.replications, size.units) == (1416, 2, 10, 13)
    assert size.work == 1416 * 2 * 10
    pops = example.mining.populations
    assert size.facilities == pytest.approx(
        sum(p.count if p.count is not None else p.total_mw / p.sizes.median_mw for p in pops)
    )
    units = example.generation.units
    events = sum(f.count * (1 + 2 * example.horizon_h / (f.mttf + f.mttr_h)) for f in units)
    assert expected_unit_events(example) == pytest.approx(events)
    assert size.events == pytest.approx(events + 4 * expected_facilities(example))
    assert size.memory_bytes == pytest.approx(size.main_bytes + 3 * size.worker_bytes)
    assert size.problems() == []


def test_replications_grow_the_work_and_the_memory_of_the_results(example):
    small, big = estimate(example, 100), estimate(example, 10**9)
    assert big.work == small.work * 10**7
    problems = big.problems()
    assert [p.split(" (")[0] for p in problems] == [
        f"{big.work:.3g} steps x zones x replications",
        f"about {big.memory_bytes / 2**30:.3g} GB of memory",
    ]


def test_several_runs_add_their_work_and_keep_the_largest_memory(example):
    a, b = estimate(example, 10), estimate(example, 1000)
    both = combine([a, b])
    assert (both.runs, both.work, both.main_bytes) == (2, a.work + b.work, b.main_bytes)
    too_many = combine([a] * (LIMITS.runs + 1))
    assert too_many.problems() == [f"{LIMITS.runs + 1:,} runs (limit {LIMITS.runs:,})"]


def test_validate_prints_the_estimate_and_refuses_a_run_too_large(cli):
    ok = cli("validate", EXAMPLE, "-n", "10", "-w", "1")
    assert ok.exit_code == 0
    assert ok.stdout.splitlines()[1] == (
        "  size: 1,416 steps x 2 zones x 10 replications, 13 units, about 42 facilities and 220 events "
        f"per replication, about {estimate_gb(EXAMPLE)} GB with 1 worker"
    )
    big = HOSTILE / "horizon_century.yaml"
    assert cli("validate", big, "-w", "1").exit_code == 2
    allowed = cli("validate", big, "-w", "1", "--allow-large")
    assert allowed.exit_code == 0 and "876,600 steps" in allowed.stdout


def estimate_gb(path) -> str:
    from sim.scenario.load import load_scenario

    return f"{estimate(load_scenario(path), 10).memory_bytes / 2**30:.2g}"


# ---------------------------------------------------------------- YAML budgets


def node(text: str) -> yaml.Node:
    return yaml.compose(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize(
    ("text", "values", "depth"),
    [
        ("a: 1", 3, 2),  # the mapping, its key, its value
        ("a: [1, 2]", 5, 3),
        ("a: &x [1, 2]\nb: *x", 9, 3),  # the alias counts as what it names
        ("a: &x [1, 2]\nb: [*x, *x]", 13, 4),
    ],
)
def test_yaml_is_measured_as_if_its_aliases_were_expanded(text, values, depth):
    assert measure(node(text), "f") == (values, depth)


def test_nested_aliases_are_measured_without_being_expanded():
    """The bomb's first levels: a0 holds 10 scalars, a1 ten times a0, and so on."""
    text = "\n".join((HOSTILE / "alias_bomb.yaml").read_text().splitlines()[:5])
    levels = [1 + 10, 1 + 10 * 11, 1 + 10 * 111, 1 + 10 * 1111]
    assert measure(node(text), "f") == (1 + 5 + 1 + sum(levels), 6)


def test_nesting_is_limited_while_composing_not_after():
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert parse_yaml(ok, "f")[1] is not None
    with pytest.raises(ScenarioError, match=rf"^f:1: YAML nested deeper than {MAX_DEPTH} levels$"):
        parse_yaml("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH, "f")


def test_a_value_of_set_is_parsed_within_the_budgets(write, cli, tmp_path):
    bomb = "[" * 100 + "]" * 100
    result = cli("validate", EXAMPLE)
    assert result.exit_code == 0
    out = cli("run", EXAMPLE, "--set", f"outside={bomb}", "--out", tmp_path, "-q")
    assert out.exit_code == 2
    message = f"value is not YAML (YAML nested deeper than {MAX_DEPTH} levels)"
    assert out.stderr == f"error: --set: outside: {message}: {bomb!r}\n"
