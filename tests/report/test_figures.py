"""Figures: each renders from a small real run with the labels, titles and
series it promises; dates come from the scenario; ``gridshed plot``."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from conftest import EXAMPLE, ROOT
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from sim.experiments.ensemble import run_ensemble
from sim.report import figures as plots
from sim.scenario.load import load_scenario

FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
TIME_LABEL = "local time (Asia/Almaty, UTC+6)"


@pytest.fixture(scope="session")
def run(example):
    """The example scenario, 6 replications in this process."""
    return plots.RunData.from_result(run_ensemble(example, replications=6, workers=1, progress=False))


@pytest.fixture(scope="session")
def flagship():
    """The flagship scenario, 4 replications (about a second)."""
    sc = load_scenario(FLAGSHIP)
    return plots.RunData.from_result(run_ensemble(sc, replications=4, workers=1, progress=False))


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory, example):
    """A run folder written by ``gridshed run`` (without figures)."""
    from click.testing import CliRunner

    from sim.cli import main

    out = tmp_path_factory.mktemp("runs")
    args = ["run", str(EXAMPLE), "-n", "4", "-w", "1", "--out", str(out), "-q", "--no-figures"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return out / "two_zones"


def labels(ax) -> list[str]:
    """Legend labels of the artists of ``ax``."""
    return ax.get_legend_handles_labels()[1]


def fig_labels(fig: Figure) -> list[str]:
    """Labels of the figure-level legend."""
    assert fig.legends, "the figure has no legend"
    return [t.get_text() for t in fig.legends[0].get_texts()]


def visible(fig: Figure):
    return [ax for ax in fig.axes if ax.get_visible()]


def render(fig: Figure) -> Figure:
    """Draw with Agg (catches errors that only show when drawing)."""
    FigureCanvasAgg(fig).draw()
    return fig


# ---------------------------------------------------------------------- run data


def test_run_data_from_a_run_folder_matches_the_in_memory_run(run_folder, example):
    loaded = plots.RunData.load(run_folder)
    mem = plots.RunData.from_result(run_ensemble(example, replications=4, workers=1, progress=False))
    assert loaded.name == mem.name == "two_zones"
    assert loaded.zones == mem.zones == ("North", "South")
    assert loaded.timezone == "Asia/Almaty"
    assert loaded.milestones() == mem.milestones()
    pd.testing.assert_frame_equal(loaded.loads("South"), mem.loads("South"), check_freq=False)
    assert loaded.estimate("lole_h", "South") == pytest.approx(mem.estimate("lole_h", "South"))


def test_loads_split_licensed_mining_into_drawn_and_held_back(run):
    for zone in ("national", *run.zones):
        d = run.loads(zone)
        np.testing.assert_allclose(d.licensed_drawn + d.held_back, d.licensed, atol=1e-6)
        assert (d[["ordinary", "grey", "licensed_drawn", "held_back", "shed"]] >= -1e-9).all().all()
    national = run.loads("national")
    np.testing.assert_allclose(national.grey, sum(run.loads(z).grey for z in run.zones))
    # The cut-off of licensed miners (24 Jan - 6 Feb) holds all of their load back.
    cut = national.loc["2022-01-26":"2022-02-05"]
    assert (cut.licensed_drawn < 1e-6).all() and (cut.held_back > 0).all()


def test_unknown_zone_is_refused(run):
    with pytest.raises(ValueError, match="unknown zone 'East'; zones: North, South"):
        run.loads("East")


def test_milestones_come_from_the_scenario_orders_campaign_and_target(run):
    assert [(t.strftime("%Y-%m-%d"), s) for t, s in run.milestones()] == [
        ("2022-01-24", "licensed cut-off, 24 Jan - 6 Feb 2022"),
        ("2022-01-25", "inspection campaign starts, 25 Jan 2022"),
        ("2022-02-25", "target date, 25 Feb 2022 (80 MW)"),
    ]
    assert all(str(t.tz) == "Asia/Almaty" for t, _ in run.milestones())
    orders = {"orders": [{"name": "rationing", "start": "2022-02-10T00:00:00", "licensed_limit": 0.5}]}
    moved = dataclasses.replace(
        run, scenario=run.scenario.model_validate({**run.scenario.model_dump(), "operator": orders})
    )
    assert [s for _, s in moved.milestones()] == [
        "inspection campaign starts, 25 Jan 2022",
        "rationing, 10 Feb 2022",
        "target date, 25 Feb 2022 (80 MW)",
    ]


# ------------------------------------------------------------------------ figures


def test_national_demand_stacks_ordinary_grey_and_licensed_load(run):
    fig = render(plots.national_demand(run))
    (ax,) = visible(fig)
    assert ax.get_title().startswith("two_zones: national load and its mining component")
    assert ax.get_ylabel() == "load (MW)"
    assert ax.get_xlabel() == TIME_LABEL
    have = fig_labels(fig)
    for label in (
        "ordinary demand",
        "grey mining",
        "licensed mining",
        "licensed mining held back (orders, curtailment)",
        "available generation (daily mean)",
        "each day's peak hour (total load)",
        "load shed in some replication (hours shaded)",
        "1: licensed cut-off, 24 Jan - 6 Feb 2022",
        "3: target date, 25 Feb 2022 (80 MW)",
    ):
        assert label in have
    # Three stacked areas: ordinary, grey, licensed.
    assert [c.get_label() for c in ax.collections[:3]] == [
        "ordinary demand",
        "grey mining",
        "licensed mining",
    ]


def test_time_axes_are_in_local_time(run):
    """Ticks of a fortnight fall on local midnights: labels are days, never hours."""
    fig = render(plots.demand_curves(run, start="2022-01-10", end="2022-01-24"))
    ax = visible(fig)[-1]
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and not any(":" in t for t in ticks), ticks
    assert ax.get_xlabel() == TIME_LABEL
    start = mdates.num2date(ax.get_xlim()[0], tz=ZoneInfo("Asia/Almaty"))
    assert start.strftime("%Y-%m-%d %H:%M") == "2022-01-10 00:00"
    assert visible(fig)[0].get_title(loc="left").endswith("(whole run)")


def test_demand_curves_window_outside_the_run_is_refused(run):
    with pytest.raises(ValueError, match="no steps between 2023-01-01 and None; the run covers 2022-01-01"):
        plots.demand_curves(run, start="2023-01-01")


def test_flagship_demand_curves_show_national_and_zonal_demand_mining_share_and_shedding(flagship):
    fig = render(plots.demand_curves(flagship))
    axes = visible(fig)
    titles = [ax.get_title(loc="left") for ax in axes]
    assert [t.split(":")[0] for t in titles] == ["National (all zones)", "North", "South", "West"]
    assert all("LOLE" in t and "EUE" in t for t in titles)
    national = flagship.loads("national")
    for ax, zone in zip(axes, ("national", "North", "South", "West"), strict=True):
        assert [c.get_label() for c in ax.collections[:3]] == [
            "ordinary demand",
            "grey mining",
            "licensed mining",
        ]
        d = flagship.loads(zone)
        drawn = d.grey + d.licensed_drawn
        share = 100 * drawn.mean() / (d.ordinary + drawn).mean()
        notes = [t.get_text() for t in ax.texts if t.get_text().startswith("mining:")]
        assert notes == [f"mining: {drawn.mean():,.0f} MW on average, {share:.1f} % of load"]
        # The stack's top is the mean total load: ordinary + grey + licensed drawn (daily means).
        top = ax.collections[2].get_paths()[0].vertices[:, 1].max()
        daily = (d.ordinary + drawn).resample("D").mean().max()
        assert top == pytest.approx(daily)
    shed_hours = float((national.shed > plots.SHED_EPS_MW).sum())
    assert shed_hours > 0, "the flagship sheds load in some replication"
    shed_labels = [lab for lab in labels(axes[0]) if lab.startswith("load shed")]
    assert shed_labels == [f"load shed in some replication ({shed_hours:,.0f} h)"]
    zone_hours = [float((flagship.loads(z).shed > plots.SHED_EPS_MW).sum()) for z in flagship.zones]
    for ax, hours in zip(axes[1:], zone_hours, strict=True):
        shaded = [lab for lab in labels(ax) if lab.startswith("load shed")]
        assert shaded == ([f"load shed in some replication ({hours:,.0f} h)"] if hours else [])
    assert "5: target date, 15 Mar 2022 (600 MW)" in fig_labels(fig)
    assert "2: cut-off of licensed miners, 24 Jan - 7 Feb 2022" in fig_labels(fig)


def test_typical_days_profile_by_local_hour(run):
    fig = render(plots.typical_days(run, month=1))
    axes = visible(fig)
    assert len(axes) == 3
    assert fig.get_suptitle().startswith("two_zones: typical weekday (Mon-Fri) in January 2022")
    for ax in axes:
        assert ax.get_xlabel() == f"hour of day, {TIME_LABEL}"
        assert ax.get_ylabel() == "mean load (MW)"
        assert ax.get_xlim() == (0, 24)
        assert labels(ax)[:3] == ["ordinary demand", "grey mining", "licensed mining"]
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


def test_load_duration_curves_with_and_without_mining(run):
    fig = render(plots.load_duration(run))
    axes = visible(fig)
    assert len(axes) == 3
    for ax in axes:
        assert ax.get_xlabel() == "hours at or above the load (h)"
        assert ax.get_ylabel() == "load (MW)"
        lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}
        assert list(lines) == [
            "ordinary demand only",
            "with mining as drawn",
            "with all mining connected (no orders)",
        ]
        for y in lines.values():
            assert len(y) == len(run.index) and np.all(np.diff(y) <= 1e-9)
        ordinary, drawn, full = lines.values()
        assert np.all(ordinary <= drawn + 1e-9) and np.all(drawn <= full + 1e-9)
    assert "mining adds" in axes[0].get_title(loc="left")


def test_relief_over_time_with_bands_target_and_dates(run):
    fig = render(plots.relief_over_time(run))
    (ax,) = visible(fig)
    assert ax.get_title() == "two_zones: relief from closures and limits on miners (6 replications)"
    assert ax.get_ylabel() == "relief (MW)"
    assert ax.get_xlabel() == TIME_LABEL
    have = fig_labels(fig)
    mean, lo, hi = run.estimate("relief_mw")
    for label in (
        "relief, ensemble mean",
        "95 % CI of the mean",
        "single replications (mean +- 1.96 sd)",
        "target 80 +- 20 MW",
        "1: licensed cut-off, 24 Jan - 6 Feb 2022",
        "2: inspection campaign starts, 25 Jan 2022",
        "3: target date, 25 Feb 2022 (80 MW)",
        f"relief on 25 Feb 2022: mean {mean:,.0f} MW, 95 % CI [{lo:,.0f}, {hi:,.0f}]",
    ):
        assert label in have
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "relief, ensemble mean"]
    np.testing.assert_allclose(line.get_ydata(), run.series("relief_mw")["mean"].to_numpy())


def test_relief_by_kind_stacks_the_kinds_that_happen(run):
    fig = render(plots.relief_by_kind(run))
    (ax,) = visible(fig)
    assert ax.get_title() == "two_zones: relief by kind (ensemble mean of 6 replications)"
    have = fig_labels(fig)
    assert "closed voluntarily" in have
    assert "disconnected by force (net of reconnections)" in have
    assert "exited the country" not in have  # no exits in the example
    assert "total relief" in have


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


def test_closures_over_time_without_reported_numbers_draws_no_reference(run):
    fig = render(plots.closures_over_time(run))
    (ax,) = visible(fig)
    assert ax.get_ylabel() == "closures, cumulative (count)"
    assert "events are kept for the first 5 of 6 replications only" in ax.get_title()
    have = fig_labels(fig)
    assert not [lab for lab in have if "reported" in lab]
    assert "closed voluntarily: mean of replications 0-4 (thin lines: each)" in have
    assert not [lab for lab in have if lab.startswith("exited")]
    # The mean line ends at the mean count of closures over the kept replications.
    ev = run.events
    ev = ev[(ev.event == "closed_voluntarily") & (ev.time <= run.index[-1])]
    kept = ev.groupby("replication").size().reindex(range(5), fill_value=0)
    (mean_line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("closed voluntarily: mean")]
    assert mean_line.get_ydata()[-1] == pytest.approx(kept.mean())


def test_closures_over_time_with_reported_reference_lines(run):
    fig = render(plots.closures_over_time(run, reported={"voluntary": 55, "disconnected_by_force": 51}))
    (ax,) = visible(fig)
    have = fig_labels(fig)
    assert "closed voluntarily: reported 55" in have
    assert "disconnected by force: reported 51" in have
    refs = {ln.get_label(): ln.get_ydata()[0] for ln in ax.get_lines() if "reported" in ln.get_label()}
    assert refs == {"closed voluntarily: reported 55": 55, "disconnected by force: reported 51": 51}
    m = [lab for lab in have if lab.startswith("closed voluntarily by 25 Feb, all 6 replications")]
    assert len(m) == 1


def test_closures_reported_with_an_unknown_kind_is_refused(run):
    with pytest.raises(ValueError, match="unknown closure kind 'seized' in reported; use one of: closed_vol"):
        plots.closures_over_time(run, reported={"seized": 3})


def test_shedding_by_zone_bars_are_the_summary_means(run):
    fig = render(plots.shedding_by_zone(run))
    ax_h, ax_e = visible(fig)
    assert (ax_h.get_ylabel(), ax_e.get_ylabel()) == ("LOLE (h)", "EUE (MWh)")
    assert fig.get_suptitle().startswith("two_zones: load shedding by zone, 1 Jan 2022 to 28 Feb 2022")
    for ax, metric in ((ax_h, "lole_h"), (ax_e, "eue_mwh")):
        assert [t.get_text() for t in ax.get_xticklabels()] == ["North", "South", "total"]
        (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
        heights = [b.get_height() for b in bars]
        expect = [run.summary["by_zone"][z][metric]["mean"] for z in run.zones] + [
            run.summary[metric]["mean"]
        ]
        assert heights == pytest.approx(expect)


def test_every_figure_has_titles_units_and_renders(run):
    for name, make in plots.ALL_FIGURES.items():
        fig = make(run)
        assert isinstance(fig, Figure), name
        axes = visible(fig)
        assert axes, name
        for ax in axes:
            assert re.search(r"\((MW|h|MWh|count)\)|replications", ax.get_ylabel()), (name, ax.get_ylabel())
        assert all(re.search(r"\(.+\)|^zone$", ax.get_xlabel()) for ax in axes if ax.get_xlabel()), name
        assert axes[-1].get_xlabel(), name
        assert any(ax.get_title(loc=loc) for ax in axes for loc in ("center", "left")) or fig.get_suptitle()


def test_write_figures_writes_every_figure_as_png(run, tmp_path):
    paths = plots.write_figures(run, tmp_path / "figures")
    assert [p.name for p in paths] == [f"{name}.png" for name in plots.FIGURES]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------- command


def test_plot_command_writes_the_figures_into_the_run_folder(cli, run_folder):
    res = cli("plot", run_folder, "--reported", "closed_voluntarily=55", "--reported", "forced=51")
    assert res.exit_code == 0, res.output
    written = [Path(line) for line in res.stdout.splitlines()]
    assert written == [run_folder / "figures" / f"{name}.png" for name in plots.FIGURES]
    assert all(p.is_file() for p in written)


def test_plot_command_on_a_folder_that_is_not_a_run_folder_exits_2(cli, tmp_path):
    res = cli("plot", tmp_path)
    assert res.exit_code == 2
    assert res.stderr == (
        f"error: {tmp_path}: not a run folder: missing scenario.resolved.yaml, summary.json, "
        "timeseries.parquet, replications.parquet (give DIR/<scenario name>/ written by gridshed run)\n"
    )


def test_plot_command_on_the_out_folder_suggests_the_run_folder(cli, run_folder):
    res = cli("plot", run_folder.parent)
    assert res.exit_code == 2
    assert res.stderr.rstrip().endswith(f"did you mean {run_folder}?")


def test_plot_command_on_a_missing_folder_exits_2(cli, tmp_path):
    res = cli("plot", tmp_path / "nowhere")
    assert res.exit_code == 2
    assert res.stderr == (
        f"error: {tmp_path / 'nowhere'}: not a run folder: no such folder "
        "(give DIR/<scenario name>/ from gridshed run)\n"
    )


def test_plot_command_refuses_a_malformed_reported_value(cli, run_folder):
    res = cli("plot", run_folder, "--reported", "closed_voluntarily")
    assert res.exit_code == 2
    assert res.stderr == (
        "error: <input>: --reported needs KIND=COUNT, e.g. closed_voluntarily=55, not 'closed_voluntarily'\n"
    )
    res = cli("plot", run_folder, "--reported", "seized=3")
    assert res.exit_code == 2
    assert "error: <input>: --reported: unknown closure kind 'seized'" in res.stderr
