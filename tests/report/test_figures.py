"""Every run figure renders from a small real run (with and without the
replications' series) with titles and units; ``write_figures`` and ``gridshed plot``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from report.figtools import render, visible

from sim.report import figures as plots

pytest_plugins = ["report.figdata"]


#: Figures that draw more with every replication's series (``keep_timeseries``).
WITH_SERIES = ("national_demand", "load_duration", "shedding_by_zone")


@pytest.mark.parametrize(
    ("name", "series"),
    [*((n, False) for n in plots.ALL_FIGURES), *((n, True) for n in WITH_SERIES)],
    ids=[*plots.ALL_FIGURES, *(f"{n}-keep_timeseries" for n in WITH_SERIES)],
)
def test_every_figure_has_titles_units_and_renders(name, series, run, run_series):
    fig = render(plots.ALL_FIGURES[name](run_series if series else run))
    assert isinstance(fig, Figure)
    axes = visible(fig)
    assert axes
    for ax in axes:
        ylabel = ax.get_ylabel() or next(
            o.get_ylabel() for o in ax.get_shared_y_axes().get_siblings(ax) if o.get_ylabel()
        )
        assert re.search(r"\((MW|h|MWh|count)\)|replications", ylabel), ylabel
    assert all(re.search(r"\(.+\)|^zone$", ax.get_xlabel()) for ax in axes if ax.get_xlabel())
    assert axes[-1].get_xlabel()
    assert any(ax.get_title(loc=loc) for ax in axes for loc in ("center", "left")) or fig.get_suptitle()


# ----------------------------------------------------------------------- command


def test_plot_command_writes_the_figures_into_the_run_folder(cli, run_folder):
    res = cli("plot", run_folder, "--reported", "closed_voluntarily=55", "--reported", "forced=51")
    assert res.exit_code == 0, res.output
    written = [Path(line) for line in res.stdout.splitlines()]
    assert written == [run_folder / "figures" / f"{name}.png" for name in plots.FIGURES]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written)


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
