"""The comparison figure draws paired differences on a linear axis with their
intervals; the sweep heatmap's default metric grows with enforcement."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import EXAMPLE
from matplotlib.container import ErrorbarContainer
from report.figtools import render

from sim.experiments.compare import compare
from sim.experiments.sweep import sweep
from sim.report.figures.comparison import comparison_figure
from sim.report.figures.heatmap import sweep_heatmap
from sim.scenario.load import load_scenario

pytest_plugins = ["report.figdata"]


@pytest.fixture(scope="module")
def variants(example):
    """The example and a variant with twice the inspection teams."""
    more = load_scenario(EXAMPLE, overrides=["name=more_teams", "enforcement.teams=6"])
    return [more], example


def _errorbars(ax):
    """The error bars of ``ax`` that carry data (not the legend's empty one)."""
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer) and len(c.lines[0].get_xdata())]


def _points(ax):
    """(x, y) of the error-bar markers of ``ax``."""
    return [(c.lines[0].get_xdata()[0], c.lines[0].get_ydata()[0]) for c in _errorbars(ax)]


def test_the_crackdown_effect_is_drawn_as_paired_differences_on_a_linear_axis(variants):
    scenarios, base = variants
    cmp = compare(scenarios, baseline=base, replications=4, workers=1, counterfactual=True)
    fig = render(comparison_figure(cmp))
    ax1, ax2, ax3 = fig.axes
    assert ax3.get_xscale() == "linear"
    assert ax3.get_title() == "EUE the crackdown avoided (paired: without minus with)"
    assert ax3.get_xlabel() == "EUE avoided (MWh; linear), mean and 95 % CI of the paired differences"
    effect = cmp.crackdown_effect.set_index("metric").loc["eue_mwh"]
    ((x, y),) = _points(ax3)
    assert x == pytest.approx(effect["mean"])
    assert y == 1.0  # the scenario's row; the baseline (row 0) has no counterfactual
    (bars,) = _errorbars(ax3)
    (segment,) = bars.lines[2][0].get_segments()
    np.testing.assert_allclose(segment[:, 0], [effect["ci95_low"], effect["ci95_high"]])
    share = 100 * effect["mean"] / effect["mean_a"]
    (text,) = [t.get_text() for t in ax3.texts]
    assert (
        text
        == f"{effect['mean']:,.0f} [{effect['ci95_low']:,.0f}, {effect['ci95_high']:,.0f}] ({share:.0f} %)"
    )
    # The levels: EUE as specified, one bar per scenario and the baseline.
    heights = [p.get_width() for p in ax2.patches]
    means = [r.estimate("eue_mwh").mean for r in (cmp.results["more_teams"], cmp.baseline)]
    assert heights == pytest.approx(means)
    assert [t.get_text() for t in ax1.get_yticklabels()] == ["more_teams", "baseline: two_zones"]


def test_without_counterfactuals_the_difference_is_against_the_baseline_and_without_either_left_out(variants):
    scenarios, base = variants
    cmp = compare(scenarios, baseline=base, replications=3, workers=1)
    fig = render(comparison_figure(cmp))
    ax3 = fig.axes[2]
    assert ax3.get_title() == "EUE against the baseline (paired: scenario minus baseline)"
    diff = cmp.differences.set_index("metric").loc["eue_mwh"]
    ((x, _),) = _points(ax3)
    assert x == pytest.approx(diff["mean"])
    alone = compare(scenarios, replications=3, workers=1)
    assert len(render(comparison_figure(alone)).axes) == 2


def test_the_heatmap_shows_the_probability_of_reaching_the_target_by_default(tmp_path):
    sw = sweep(EXAMPLE, {"enforcement.teams": ["1", "3", "6"]}, replications=6, workers=1)
    fig = render(sweep_heatmap(sw))
    assert fig.get_suptitle().startswith("P(relief at least 60 MW by 25 Feb 2022)")
    heat = fig.axes[0]
    values = heat.images[0].get_array()[0]
    expect = sw.table["probability_reached"].to_numpy()
    np.testing.assert_allclose(values, expect)
    # More teams never make it less likely (common random numbers); the band metric may fall.
    assert np.all(np.diff(expect) >= 0) and expect[-1] > expect[0]
    within = render(sweep_heatmap(sw, "probability_within"))
    assert within.get_suptitle().startswith("P(relief within 80 ± 20 MW by 25 Feb 2022)")
