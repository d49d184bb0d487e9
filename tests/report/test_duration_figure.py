"""Load-duration curves: the fan over replications when their series are kept,
the sorted ensemble mean (said in the title) when they are not, available
supply in the hours of each rank, and the deficit whose area is the EUE."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from report.figtools import fig_labels, line, render, sorted_rows, visible

from sim.report import figures as plots
from sim.report.figures.duration import smooth_ranks

pytest_plugins = ["report.figdata"]


def _panels(fig):
    """(load axes, deficit axes) pairs, national first."""
    axes = visible(fig)
    return list(zip(axes[::2], axes[1::2], strict=True))


def _load(data, zone):
    """Each replication's load: ordinary demand + mining after the orders."""
    parts = ("demand_mw", "grey_mining_mw", "licensed_mining_mw")
    load = sum(data.replication_series(v, zone) for v in parts)
    return load - data.replication_series("limited_mw", zone)


def test_the_fan_is_the_quantiles_of_each_replications_sorted_load(run_series):
    fig = render(plots.load_duration(run_series))
    assert fig.get_suptitle().splitlines()[1] == (
        "fan over 6 replications (each replication's load sorted on its own)"
    )
    pairs = _panels(fig)
    assert len(pairs) == 3
    for (ax, dax), zone in zip(pairs, ("national", *run_series.zones), strict=True):
        assert ax.get_xscale() == "log" and dax.get_xscale() == "log"
        assert ax.get_ylabel() == "load (MW)" and dax.get_ylabel() == "shed (MW)"
        assert dax.get_xlabel() == "hours at or above (h, log scale)"
        loads = sorted_rows(_load(run_series, zone))
        median = line(ax, "load, median replication")
        # Drawn: every rank of the first 200 hours, then spaced evenly on the log axis.
        r = np.rint(median.get_xdata() / run_series.step_h).astype(int) - 1
        assert r[:200].tolist() == list(range(200)) and r[-1] == loads.shape[1] - 1
        np.testing.assert_allclose(median.get_ydata(), np.median(loads[:, r], axis=0))
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert [b.get_label() for b in bands] == [
            "load, 5-95 % of replications",
            "load, 25-75 % of replications",
        ]
        top = bands[0].get_paths()[0].vertices[:, 1].max()
        assert top == pytest.approx(np.quantile(loads[:, 0], 0.95))
        lo, mid, hi = np.quantile(loads[:, 0], [0.05, 0.5, 0.95])
        peak = ax.get_title(loc="left").splitlines()[0]
        assert peak.endswith(f"peak load {mid:,.0f} MW (5-95 %: {lo:,.0f} to {hi:,.0f})")
        # Supply: available generation + imports in the hours of each rank, median, smoothed.
        order = np.argsort(-_load(run_series, zone), axis=1, kind="stable")
        gen = run_series.replication_series("generation_mw", zone) + run_series.replication_series(
            "imports_mw", zone
        )
        expect = smooth_ranks(np.median(np.take_along_axis(gen, order, axis=1), axis=0))[r]
        supply = line(ax, "available generation + imports in those hours (median, smoothed)")
        np.testing.assert_allclose(supply.get_ydata(), expect)


def test_the_deficit_is_the_sorted_shed_whose_area_is_the_eue_with_the_lole_marked(run_series):
    fig = render(plots.load_duration(run_series))
    reps = run_series.replications
    for (ax, dax), zone in zip(_panels(fig), ("national", *run_series.zones), strict=True):
        key = "" if zone == "national" else f".{zone}"
        eue, lole = reps[f"eue_mwh{key}"].mean(), reps[f"lole_h{key}"].mean()
        (area,) = [c for c in dax.collections if isinstance(c, PolyCollection)]
        assert area.get_label() == "load shed, sorted: mean over replications (area = EUE)"
        shed = sorted_rows(run_series.replication_series("shed_mw", zone)).mean(axis=0)
        assert shed.sum() * run_series.step_h == pytest.approx(eue)
        assert ax.get_title(loc="left").splitlines()[1] == f"LOLE {lole:.1f} h, EUE {eue:,.0f} MWh"
        marks = [ln for ln in ax.get_lines() if ln.get_label() == "LOLE: mean hours with load shed"]
        assert [m.get_xdata()[0] for m in marks] == [pytest.approx(lole)]
    assert "load shed, 95th percentile" in fig_labels(fig)
    assert "+ links from other zones (nominal)" in fig_labels(fig)


def test_without_the_replications_series_the_figure_sorts_the_mean_and_says_so(run):
    fig = render(plots.load_duration(run))
    title = fig.get_suptitle()
    assert "the ensemble mean of 6 replications, sorted: its peaks are smoothed out" in title
    assert "keep_timeseries=True or --keep-timeseries for the fan" in title
    (ax, dax) = _panels(fig)[2]
    d = run.loads("South")
    mean_load = d.ordinary + d.grey + run.series("licensed_mining_mw", "South")["mean"]
    mean_load -= run.series("limited_mw", "South")["mean"]
    drawn = line(ax, "load, ensemble mean (sorted)")
    r = np.rint(drawn.get_xdata() / run.step_h).astype(int) - 1
    np.testing.assert_allclose(drawn.get_ydata(), np.sort(mean_load)[::-1][r])
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]  # no fan to draw
    # The deficit of the mean still has the EUE as its area; the LOLE comes from the replications.
    (area,) = [c for c in dax.collections if isinstance(c, PolyCollection)]
    assert area.get_label() == "load shed of the ensemble mean, sorted (area = EUE)"
    eue = run.replications["eue_mwh.South"].mean()
    assert ax.get_title(loc="left").splitlines()[1].endswith(f"EUE {eue:,.0f} MWh")


def test_a_window_gives_the_lole_of_the_window_only_with_the_series(run, run_series):
    fig = render(plots.load_duration(run_series, start="2022-02-01"))
    ax, _ = _panels(fig)[2]
    shed = run_series.replication_series("shed_mw", "South")[:, run.index >= run.local("2022-02-01")]
    lole = (shed > plots.SHED_EPS_MW).sum(axis=1).mean() * run.step_h
    assert ax.get_title(loc="left").splitlines()[1].startswith(f"LOLE {lole:.1f} h")
    fig = render(plots.load_duration(run, start="2022-02-01"))
    assert "LOLE" not in _panels(fig)[2][0].get_title(loc="left")
    with pytest.raises(ValueError, match="no steps between 2023-01-01 and None"):
        plots.load_duration(run, start="2023-01-01")
