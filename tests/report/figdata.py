"""Small real runs for the figure tests, as session-scoped fixtures (built once
per worker). A pytest plugin: test modules load it with
``pytest_plugins = ["report.figdata"]``; helpers are in :mod:`report.figtools`.
"""

from __future__ import annotations

import pytest
from conftest import EXAMPLE
from report.figtools import CHEAP, FLAGSHIP

from sim.experiments.ensemble import run_ensemble
from sim.report import figures as plots
from sim.scenario.load import load_scenario

#: Replications of the small runs.
EXAMPLE_N = 6
FLAGSHIP_N = 8


@pytest.fixture
def few(monkeypatch):
    """FIGURES cut to :data:`CHEAP` (processes forked after see it so too)."""
    monkeypatch.setattr(plots, "FIGURES", {name: plots.FIGURES[name] for name in CHEAP})
    return plots.FIGURES


@pytest.fixture(scope="session")
def example_result(example):
    """The example scenario, 6 replications in this process, every series kept."""
    return run_ensemble(example, replications=EXAMPLE_N, workers=1, progress=False, keep_timeseries=True)


@pytest.fixture(scope="session")
def run(example_result):
    """The example run as a run folder holds it: ensemble means, no replication series."""
    data = plots.RunData.from_result(example_result)
    data.per_replication = []
    return data


@pytest.fixture(scope="session")
def run_series(example_result):
    """The same run with every replication's series (``keep_timeseries``)."""
    return plots.RunData.from_result(example_result)


@pytest.fixture(scope="session")
def flagship_result():
    """The flagship scenario, 8 replications (a few seconds), every series kept."""
    sc = load_scenario(FLAGSHIP)
    return run_ensemble(sc, replications=FLAGSHIP_N, workers=1, progress=False, keep_timeseries=True)


@pytest.fixture(scope="session")
def flagship(flagship_result):
    """The flagship run with every replication's series."""
    return plots.RunData.from_result(flagship_result)


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory):
    """A run folder of the example written by ``gridshed run`` (without figures)."""
    from click.testing import CliRunner

    from sim.cli import main

    out = tmp_path_factory.mktemp("runs")
    args = ["run", str(EXAMPLE), "-n", "4", "-w", "1", "--out", str(out), "-q", "--no-figures"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return out / "two_zones"
