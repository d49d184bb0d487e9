"""Relief and closures figures: bands, the target drawn without muddying the
stack, and closures beside the counts reported for the target date."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from report.figtools import TIME_LABEL, fig_labels, line, render, visible

from sim.report import figures as plots
from sim.vocab import FacilityState

pytest_plugins = ["report.figdata"]

#: The point marks the verdict's relief (the example's target: accounting).
VERDICT = "relief, accounting (the verdict's)"


def test_relief_over_time_with_bands_target_and_dates(run):
    fig = render(plots.relief_over_time(run))
    (ax,) = visible(fig)
    assert ax.get_title() == "two_zones: relief from closures and limits on miners (6 replications)"
    assert ax.get_ylabel() == "relief (MW)"
    assert ax.get_xlabel() == TIME_LABEL
    have = fig_labels(fig)
    mean, lo, hi = run.estimate("relief_mw")
    for label in (
        "relief by accounting, ensemble mean",
        "95 % CI of the mean",
        "single replications (mean +- 1.96 sd)",
        "target 80 +- 20 MW",
        "1: licensed cut-off, 24 Jan - 6 Feb 2022",
        "2: inspection campaign starts, 25 Jan 2022",
        "3: target date, 25 Feb 2022 (80 MW)",
        f"{VERDICT} on 25 Feb 2022: mean {mean:,.0f} MW, 95 % CI [{lo:,.0f}, {hi:,.0f}]",
    ):
        assert label in have
    np.testing.assert_allclose(
        line(ax, "relief by accounting, ensemble mean").get_ydata(), run.series("relief_mw")["mean"]
    )


def test_relief_by_kind_is_an_opaque_stack_with_the_target_as_lines(run):
    fig = render(plots.relief_by_kind(run))
    (ax,) = visible(fig)
    assert ax.get_title() == "two_zones: relief by kind (ensemble mean of 6 replications)"
    stack = [c for c in ax.collections if isinstance(c, PolyCollection)]
    kinds = {
        "closed voluntarily": "relief_voluntary_mw",
        "disconnected by force (net of reconnections)": "relief_forced_mw",
    }
    assert [c.get_label() for c in stack] == [
        f"{text}: {run.estimate(key)[0]:,.0f} MW on 25 Feb" for text, key in kinds.items()
    ]
    assert all(c.get_alpha() in (None, 1.0) for c in stack)  # nothing translucent over the stack
    assert not [p for p in ax.patches if p.get_alpha() is not None and p.get_alpha() < 1]
    flat = [ln for ln in ax.get_lines() if len(set(ln.get_ydata())) == 1]  # horizontal lines
    targets = sorted(ln.get_ydata()[0] for ln in flat if ln.get_color() == "#2ca02c")
    assert targets == [60, 80, 100]  # the target and the edges of its band
    have = fig_labels(fig)
    assert "exited the country" not in " ".join(have)  # no exits in the example
    assert "total relief (accounting)" in have and "target 80 +- 20 MW" in have
    mean, lo, hi = run.estimate("relief_mw")
    assert f"{VERDICT} on 25 Feb 2022: mean {mean:,.0f} MW, 95 % CI [{lo:,.0f}, {hi:,.0f}]" in have
    # The top of the stack is the total relief.
    top = stack[-1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(run.series("relief_mw")["mean"].max())


def test_relief_distribution_counts_every_replication(run):
    fig = render(plots.relief_distribution(run))
    (ax,) = visible(fig)
    assert ax.get_xlabel() == "relief on 25 Feb 2022 (MW)"
    assert ax.get_ylabel() == "replications"
    assert ax.get_title().startswith(
        "two_zones: relief on 25 Feb 2022, 6 replications\nP(within target band)"
    )
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert sum(b.get_height() for b in bars) == 6


def _date_panel(fig):
    ax, dax = visible(fig)
    return ax, dax


def test_closures_of_a_run_without_reported_counts_draw_none(run):
    """The example's target date (25 Feb 2022) has no reported counts."""
    assert plots.reported_closures(run) == {} and plots.reported_figures(run) == {}
    fig = render(plots.closures_over_time(run))
    ax, _ = _date_panel(fig)
    assert ax.get_ylabel() == "closures, cumulative (count)"
    assert ax.get_title() == "lines: the first 5 of 6 replications (events are kept for those only)"
    have = fig_labels(fig)
    assert not [lab for lab in have if "reported" in lab]
    assert "closed voluntarily: mean of replications 0-4 (thin lines: each)" in have
    assert not [lab for lab in have if lab.startswith("exited")]
    # The mean line ends at the mean count of closures over the kept replications.
    ev = run.events
    ev = ev[(ev.event == "closed_voluntarily") & (ev.time <= run.index[-1])]
    kept = ev.groupby("replication").size().reindex(range(5), fill_value=0)
    mean_line = line(ax, "closed voluntarily: mean of replications 0-4 (thin lines: each)")
    assert mean_line.get_ydata()[-1] == pytest.approx(kept.mean())


def test_closures_on_the_target_date_use_every_replication(run):
    fig = render(plots.closures_over_time(run))
    _, dax = _date_panel(fig)
    assert dax.get_title() == "on 25 Feb 2022"
    assert [t.get_text() for t in dax.get_xticklabels()] == ["voluntary", "forced"]
    ranges = [c for c in dax.collections if isinstance(c, LineCollection) and "90 %" in c.get_label()]
    means = [c for c in dax.containers if isinstance(c, ErrorbarContainer)]
    for k, metric in enumerate(("closures_voluntary", "closures_forced")):
        values = run.replications[metric].to_numpy()
        (segment,) = ranges[k].get_segments()
        np.testing.assert_allclose(segment[:, 1], np.quantile(values, [0.05, 0.95]))
        assert means[k].lines[0].get_ydata()[0] == pytest.approx(values.mean())
    labels = fig_labels(fig)
    mean, lo, hi = run.estimate("closures_voluntary")
    assert f"closed voluntarily, all 6 replications: mean {mean:.1f} [{lo:.1f}, {hi:.1f}]" in labels
    assert "closed voluntarily: 90 % of replications" in labels


def test_closures_of_the_flagship_always_show_the_counts_reported_by_15_march(flagship):
    assert plots.reported_closures(flagship) == {
        FacilityState.CLOSED_VOLUNTARILY: 55,
        FacilityState.DISCONNECTED_BY_FORCE: 51,
    }
    assert plots.reported_figures(flagship)["devices_seized"] == 67_000
    fig = render(plots.closures_over_time(flagship))
    ax, dax = _date_panel(fig)
    stars = {ln.get_label(): ln.get_ydata()[0] for ln in dax.get_lines() if ln.get_marker() == "*"}
    assert stars == {
        "closed voluntarily: reported 55 by 15 Mar 2022": 55,
        "disconnected by force: reported 51 by 15 Mar 2022": 51,
    }
    assert ax.get_title().endswith("; dotted: reported counts")
    dotted = sorted(ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == ":")
    assert dotted == [51, 55]


def test_closures_with_explicit_or_no_reported_counts(run, flagship):
    fig = render(plots.closures_over_time(run, reported={"voluntary": 55, "disconnected_by_force": 51}))
    _, dax = _date_panel(fig)
    stars = {ln.get_label(): ln.get_ydata()[0] for ln in dax.get_lines() if ln.get_marker() == "*"}
    assert stars == {
        "closed voluntarily: reported 55 by 25 Feb 2022": 55,
        "disconnected by force: reported 51 by 25 Feb 2022": 51,
    }
    fig = render(plots.closures_over_time(flagship, reported={}))
    assert not [lab for lab in fig_labels(fig) if "reported" in lab]


def test_closures_reported_with_an_unknown_kind_is_refused(run):
    with pytest.raises(ValueError, match="unknown closure kind 'seized' in reported; use one of: closed_vol"):
        plots.closures_over_time(run, reported={"seized": 3})
