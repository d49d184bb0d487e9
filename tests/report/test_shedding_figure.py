"""Loss of load by zone: LOLE and EUE bars are the summary's means, EUE by month
adds up to the mean EUE (with intervals when the replications' series are
kept), and the distribution over replications is each replication's EUE."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer
from report.figtools import render, visible

from sim.report import figures as plots

pytest_plugins = ["report.figdata"]


def _bar_heights(ax):
    return [[b.get_height() for b in c] for c in ax.containers if isinstance(c, BarContainer)]


def test_bars_are_the_summary_means_by_zone_and_in_total(run):
    fig = render(plots.shedding_by_zone(run))
    ax_h, ax_e, _, _ = visible(fig)
    assert (ax_h.get_ylabel(), ax_e.get_ylabel()) == ("LOLE (h)", "EUE (MWh)")
    assert fig.get_suptitle().startswith("two_zones: load shedding by zone, 1 Jan 2022 to 28 Feb 2022")
    for ax, metric in ((ax_h, "lole_h"), (ax_e, "eue_mwh")):
        assert [t.get_text() for t in ax.get_xticklabels()] == ["North", "South", "total"]
        (heights,) = _bar_heights(ax)
        expect = [run.summary["by_zone"][z][metric]["mean"] for z in run.zones] + [
            run.summary[metric]["mean"]
        ]
        assert heights == pytest.approx(expect)


def test_eue_by_month_is_stacked_by_zone_and_adds_up_to_the_mean_eue(run):
    fig = render(plots.shedding_by_zone(run))
    ax_m = visible(fig)[2]
    assert [t.get_text() for t in ax_m.get_xticklabels()] == ["Jan\n2022", "Feb\n2022"]
    assert ax_m.get_ylabel() == "EUE (MWh)"
    assert ax_m.get_title() == (
        "EUE by month, mean over replications\n(no intervals: the replications' series were not kept)"
    )
    north, south = _bar_heights(ax_m)
    months = run.eue_by_month()
    assert north == pytest.approx(months["North"].tolist()) and south == pytest.approx(
        months["South"].tolist()
    )
    assert sum(north) + sum(south) == pytest.approx(run.replications["eue_mwh"].mean())
    assert not [c for c in ax_m.containers if isinstance(c, ErrorbarContainer)]


def test_with_the_replications_series_each_month_has_its_interval(run_series):
    fig = render(plots.shedding_by_zone(run_series))
    ax_m = visible(fig)[2]
    assert ax_m.get_title() == "EUE by month, mean over replications and 95 % CI"
    (bars,) = [c for c in ax_m.containers if isinstance(c, ErrorbarContainer)]
    assert bars.get_label() == "95 % CI of the month's mean"
    per_rep = run_series.eue_by_month_per_replication()
    (caps,) = bars.lines[2]
    segments = caps.get_segments()
    for k, month in enumerate(per_rep):
        lo, hi = segments[k][:, 1]
        values = per_rep[month].to_numpy()
        assert lo <= values.mean() <= hi
        assert values.min() <= lo and hi <= values.max()


def test_the_distribution_is_the_share_of_replications_with_at_least_each_eue(run):
    fig = render(plots.shedding_by_zone(run))
    ax_d = visible(fig)[3]
    assert ax_d.get_xscale() == "log"
    assert ax_d.get_ylabel() == "share of replications with at least this EUE"
    assert ax_d.get_title() == "distribution over 6 replications: one winter is not the mean"
    curves = {ln.get_label().split(":")[0]: ln for ln in ax_d.get_lines() if ":" in ln.get_label()}
    reps = run.replications
    shedding = [z for z in run.zones if (reps[f"eue_mwh.{z}"] > plots.SHED_EPS_MW).any()]
    assert list(curves) == [*shedding, "total"]
    for name, ln in curves.items():
        v = reps["eue_mwh" if name == "total" else f"eue_mwh.{name}"].to_numpy()
        x, y = ln.get_xdata(), ln.get_ydata()
        np.testing.assert_allclose(x, np.sort(v[v > plots.SHED_EPS_MW]))
        # At each replication's EUE, the share of replications with at least as much.
        np.testing.assert_allclose(y, [(v >= xi).mean() for xi in x])
        q50, q95 = np.quantile(v, [0.5, 0.95])
        assert ln.get_label() == (
            f"{name}: P(EUE > 0) = {(v > plots.SHED_EPS_MW).mean():.2f}, mean {v.mean():,.0f}, "
            f"median {q50:,.0f}, 95th pct {q95:,.0f} MWh"
        )


def test_a_single_zone_that_sheds_is_drawn_alone(flagship):
    fig = render(plots.shedding_by_zone(flagship))
    ax_d = visible(fig)[3]
    reps = flagship.replications
    zones = [z for z in flagship.zones if (reps[f"eue_mwh.{z}"] > plots.SHED_EPS_MW).any()]
    named = [ln.get_label() for ln in ax_d.get_lines() if "P(EUE > 0)" in ln.get_label()]
    if len(zones) == 1:
        assert len(named) == 1 and named[0].startswith(f"{zones[0]} (all of the shedding): P(EUE > 0)")
    else:
        assert len(named) == len(zones) + 1
