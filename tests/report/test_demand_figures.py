"""Demand figures: the load stack against available supply in every zone, the
y axis not from zero, loss of load on a second axis that adds up to the LOLE,
local time axes, typical days."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import numpy as np
import pytest
from report.figtools import TIME_LABEL, fig_labels, labels, line, render, twin_of, visible

from sim.report import figures as plots

pytest_plugins = ["report.figdata"]

STACK = ["ordinary demand", "grey mining", "licensed mining"]


def _daily_expected_hours(data, zone):
    lolp = data.loss_of_load(zone)
    return (lolp.resample("D").sum() * data.step_h).to_numpy()


def test_national_demand_stacks_the_loads_against_supply_with_loss_of_load(run):
    fig = render(plots.national_demand(run))
    (ax,) = visible(fig)
    assert ax.get_title().startswith("two_zones: national load and its mining component; LOLE")
    assert "y axes do not start at zero" in ax.get_title()
    assert ax.get_ylabel() == "load (MW)"
    assert ax.get_xlabel() == TIME_LABEL
    have = fig_labels(fig)
    for label in (
        *STACK,
        "licensed mining held back (orders, curtailment)",
        "available generation (daily mean)",
        "available generation + imports (daily mean)",
        "each day's peak hour (total load)",
        "expected hours of shedding per day (right axis)",
        "1: licensed cut-off, 24 Jan - 6 Feb 2022",
        "3: target date, 25 Feb 2022 (80 MW)",
    ):
        assert label in have
    assert not [lab for lab in have if "some replication" in lab]  # no shading of any-replication hours
    assert [c.get_label() for c in ax.collections[:3]] == STACK
    # Supply: daily means of available generation, with imports.
    d = run.loads("national")
    gen = line(ax, "available generation (daily mean)").get_ydata()
    np.testing.assert_allclose(gen, d.generation.resample("D").mean())
    supply = line(ax, "available generation + imports (daily mean)").get_ydata()
    np.testing.assert_allclose(supply, (d.generation + d.imports).resample("D").mean())
    # The y axis starts below the lowest ordinary load, above zero, and reaches the highest line.
    bottom, top = ax.get_ylim()
    assert 0 < bottom < d.ordinary.resample("D").mean().min()
    assert top >= max(supply.max(), (d.ordinary + d.grey + d.licensed).max())
    lax = twin_of(ax)
    assert lax.get_ylabel() == "expected shedding per day (h)"
    (loss,) = lax.get_lines()
    np.testing.assert_allclose(loss.get_ydata(), _daily_expected_hours(run, "national"))


def test_every_zone_has_its_supply_and_its_loss_of_load_adding_up_to_its_lole(run):
    fig = render(plots.demand_curves(run))
    axes = visible(fig)
    assert [ax.get_title(loc="left").split(":")[0] for ax in axes] == [
        "National (all zones)",
        "North",
        "South",
    ]
    assert fig.get_suptitle().startswith(
        "two_zones: demand by zone with its mining component, against available"
    )
    for ax, zone in zip(axes, ("national", *run.zones), strict=True):
        d = run.loads(zone)
        supply = line(ax, "available generation + imports (daily mean)").get_ydata()
        np.testing.assert_allclose(supply, (d.generation + d.imports).resample("D").mean())
        assert ax.get_ylim()[0] > 0
        lax = twin_of(ax)
        hours = lax.get_lines()[0].get_ydata()
        np.testing.assert_allclose(hours, _daily_expected_hours(run, zone))
        if zone != "national":
            assert hours.sum() == pytest.approx(run.replications[f"lole_h.{zone}"].mean())
    # The link between North and South (350 MW both ways) is named in both titles.
    for ax in axes[1:]:
        assert ax.get_title(loc="left").endswith("links from other zones up to 350 MW")


def test_a_window_of_a_fortnight_draws_steps_and_the_loss_of_load_probability(run):
    """Ticks of a fortnight fall on local midnights: labels are days, never hours."""
    fig = render(plots.demand_curves(run, start="2022-01-10", end="2022-01-24"))
    axes = visible(fig)
    ax = axes[-1]
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and not any(":" in t for t in ticks), ticks
    assert ax.get_xlabel() == TIME_LABEL
    start = mdates.num2date(ax.get_xlim()[0], tz=ZoneInfo("Asia/Almaty"))
    assert start.strftime("%Y-%m-%d %H:%M") == "2022-01-10 00:00"
    assert "(whole run)" in axes[0].get_title(loc="left")
    assert "share of replications shedding (right axis)" in fig_labels(fig)
    south = twin_of(axes[2])
    assert south.get_ylabel() == "loss-of-load probability (share of replications)"
    expect = run.loss_of_load("South").loc["2022-01-10":"2022-01-23"]
    np.testing.assert_allclose(south.get_lines()[0].get_ydata(), expect)
    assert "each day's peak hour (total load)" not in labels(axes[0])


def test_demand_curves_window_outside_the_run_is_refused(run):
    with pytest.raises(ValueError, match="no steps between 2023-01-01 and None; the run covers 2022-01-01"):
        plots.demand_curves(run, start="2023-01-01")


def test_flagship_demand_curves_show_every_zone_against_its_supply(flagship):
    fig = render(plots.demand_curves(flagship))
    axes = visible(fig)
    titles = [ax.get_title(loc="left") for ax in axes]
    assert [t.split(":")[0] for t in titles] == ["National (all zones)", "North", "South", "West"]
    assert all("LOLE" in t and "EUE" in t for t in titles)
    assert titles[1].endswith("links from other zones up to 2,100 MW")
    assert titles[2].endswith("links from other zones up to 2,100 MW")
    assert "links" not in titles[3]  # the West hangs on Russia only
    for ax, zone in zip(axes, ("national", "North", "South", "West"), strict=True):
        assert [c.get_label() for c in ax.collections[:3]] == STACK
        d = flagship.loads(zone)
        drawn = d.grey + d.licensed_drawn
        share = 100 * drawn.mean() / (d.ordinary + drawn).mean()
        notes = [t.get_text() for t in ax.texts if t.get_text().startswith("mining:")]
        assert notes == [f"mining: {drawn.mean():,.0f} MW on average, {share:.1f} % of load"]
        # The stack's top is the mean total load: ordinary + grey + licensed drawn (daily means).
        top = ax.collections[2].get_paths()[0].vertices[:, 1].max()
        assert top == pytest.approx((d.ordinary + drawn).resample("D").mean().max())
        # Mining is at least 5 % of the drawn height (a sliver with the axis from zero).
        low, high = ax.get_ylim()
        assert drawn.mean() / (high - low) > 0.05
        sheds = flagship.replications[f"lole_h.{zone}" if zone != "national" else "lole_h"].sum() > 0
        assert (twin_of(ax) is not None) == sheds
    # The day-ahead rule's orders and the campaign it triggers differ by
    # replication: only the dated order and the target are marked.
    assert "1: KEGOC limit on licensed miners, 18 Feb 2022" in fig_labels(fig)
    assert "2: target date, 15 Mar 2022 (600 MW)" in fig_labels(fig)


def test_typical_days_profile_by_local_hour(run):
    fig = render(plots.typical_days(run, month=1))
    axes = visible(fig)
    assert len(axes) == 3
    assert fig.get_suptitle().startswith("two_zones: typical weekday (Mon-Fri) in January 2022")
    for ax in axes:
        assert ax.get_xlabel() == f"hour of day, {TIME_LABEL}"
        assert ax.get_ylabel() == "mean load (MW)"
        assert ax.get_xlim() == (0, 24)
        assert labels(ax)[:3] == STACK
    # The national profile is the mean over January weekdays of the national load by hour.
    d = run.loads("national")
    jan = d[(d.index.month == 1) & (d.index.day_of_week < 5)]
    expect = jan.ordinary.groupby(jan.index.hour).mean()
    got = axes[0].collections[0].get_paths()[0].vertices[:, 1].max()
    assert got == pytest.approx(expect.max())


def test_typical_days_refuses_a_month_outside_the_run_and_an_unknown_day_type(run):
    with pytest.raises(ValueError, match="month 7 is not in the run; months: 1, 2"):
        plots.typical_days(run, month=7)
    with pytest.raises(ValueError, match="day_type must be one of weekday, weekend, all, not 'sunday'"):
        plots.typical_days(run, day_type="sunday")
