"""Shared fixtures: the example scenario, scenario files written on the fly, the CLI.

Tests are specifications (docs/architecture.md): each states one property of the
model in its name, stochastic results are compared with exact values inside
confidence intervals, and every error message is pinned.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from sim.cli import main
from sim.model.replication import prepare
from sim.scenario.load import load_scenario

#: Hypothesis profiles: ``test`` (make test: few examples, the same ones every time)
#: and ``fuzz`` (make fuzz: ``--hypothesis-profile=fuzz``, many random examples).
FUZZ_EXAMPLES = 2000
_HYPOTHESIS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("test", max_examples=200, derandomize=True, **_HYPOTHESIS)
settings.register_profile("fuzz", max_examples=FUZZ_EXAMPLES, **_HYPOTHESIS)
settings.load_profile("test")

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
DATA = TESTS / "data"
BAD = TESTS / "bad"
EXAMPLE = ROOT / "scenarios" / "examples" / "two_zones.yaml"

#: Two-sided normal quantiles.
Z95 = 1.959963984540054
Z99 = 2.5758293035489004

#: A small valid scenario; tests format it or extend it.
MINIMAL = """\
name: minimal
start: 2022-01-01
end: 2022-01-02
zones:
  A:
    demand: {peak_mw: 100}
"""


@pytest.fixture(scope="session")
def example():
    """The example scenario, loaded once."""
    return load_scenario(EXAMPLE)


@pytest.fixture(scope="session")
def example_static(example):
    """What every replication of the example shares."""
    return prepare(example)


@pytest.fixture
def write(tmp_path):
    """``write(name, text)``: write a dedented scenario (or CSV) into tmp_path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def cli():
    """``cli(*args)``: run ``gridshed`` in this process; returns click's Result
    (``.exit_code``, ``.stdout``, ``.stderr``, ``.output``)."""
    runner = CliRunner()

    def _run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=True)

    return _run


def binomial_ok(successes: float, n: int, p: float, z: float = Z99) -> bool:
    """Whether ``successes`` out of ``n`` is inside the normal-approximation
    interval of a Binomial(n, p) count."""
    sd = math.sqrt(n * p * (1 - p))
    return abs(successes - n * p) <= z * sd + 1e-9


def mean_ci(values, z: float | None = None) -> tuple[float, float]:
    """Student-t 95 % interval of the mean of independent values (or ``mean +- z se``)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    q = stats.t.ppf(0.975, v.size - 1) if z is None else z
    half = q * v.std(ddof=1) / math.sqrt(v.size)
    return v.mean() - half, v.mean() + half
