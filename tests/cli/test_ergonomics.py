"""The command line as a user meets it: one progress bar over the whole command,
-q printing only the output folder, help on every option, tables that fit the
terminal with one sign convention, precision targets and warnings, validate
--set, plot re-drawing comparison and sweep folders, ``python -m sim``."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from types import SimpleNamespace

import click
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import DATA, EXAMPLE

from sim.cli import main
from sim.cli import progress as progress_module
from sim.cli.progress import CommandBar
from sim.vocab import HEADLINE, label

SMALL = ["-n", "3", "-w", "1", "--no-figures"]


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


# ------------------------------------------------------------------ help


def test_every_option_of_every_command_has_help():
    ctx = click.Context(main)
    missing = []
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None, name
        assert command.help, name
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{name} {param.opts[0]}")
    assert missing == []


# ------------------------------------------------------------------ -q


@pytest.mark.parametrize(
    "command",
    [
        ["run", EXAMPLE],
        ["compare", EXAMPLE, "--no-counterfactual"],
        ["sweep", EXAMPLE, "--set", "enforcement.teams=1,2"],
    ],
)
def test_quiet_prints_only_the_output_folder(tmp_path, command):
    result = invoke(*command, *SMALL, "--out", tmp_path, "-q")
    assert result.exit_code == 0, result.output
    folder = next(tmp_path.iterdir())
    assert result.stdout == f"{folder}\n"
    assert result.stderr == ""


def test_quiet_names_the_folder_actually_written_when_the_name_is_taken(tmp_path):
    first = invoke("run", EXAMPLE, *SMALL, "--out", tmp_path, "-q")
    second = invoke("run", EXAMPLE, *SMALL, "--out", tmp_path, "-q")
    assert first.stdout == f"{tmp_path / 'two_zones'}\n"
    assert second.stdout == f"{tmp_path / 'two_zones-2'}\n" and second.stderr == ""


# ------------------------------------------------------------------ the bar


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progress_module, "time", SimpleNamespace(perf_counter=c))
    return c


def test_the_time_left_is_the_items_left_at_the_measured_rate_plus_the_phases_to_come(clock):
    bar = CommandBar(enabled=False)
    bar.plan("set-up", 3.0)
    bar.plan("simulating", 0.1, items=100, unit="replications")
    bar.plan("writing", 5.0)
    bar.start("set-up")
    clock.now = 1.0
    assert bar.remaining() == pytest.approx(2.0 + 10.0 + 5.0)
    clock.now = 2.0
    bar.start("simulating")  # set-up took 2 s
    clock.now = 6.0
    bar.advance(20)  # 4 s for 20: 0.2 s each, twice the estimate: writing will be slower too
    assert bar.pace() == pytest.approx(2.0)
    assert bar.remaining() == pytest.approx(80 * 0.2 + math.sqrt(2.0) * 5.0)
    clock.now = 12.0
    bar.advance(80)  # 10 s for 100 in all: as estimated
    bar.start("writing")
    assert bar.pace() == pytest.approx(1.0)
    clock.now = 14.0
    assert bar.remaining() == pytest.approx(3.0)
    clock.now = 30.0  # longer than estimated: a little is always left until it ends
    assert 0 < bar.remaining() < 1.0
    bar.close()
    assert bar.remaining() == 0 and bar.elapsed == 30.0


def test_the_pace_is_bounded():
    bar = CommandBar(enabled=False)
    assert bar.pace() == 1.0  # nothing counted yet
    bar.plan("simulating", 1.0, items=10)
    bar.start("simulating")
    bar.advance(10)  # at once: far faster than estimated
    assert bar.pace() == progress_module.PACE_LIMITS[0]


def test_a_phase_with_more_items_than_planned_doubles_its_count(clock):
    bar = CommandBar(enabled=False)
    bar.plan("simulating", 1.0, items=10)
    bar.start("simulating")
    clock.now = 10.0
    bar.advance(15)
    assert bar.current.items == 20
    assert bar.remaining() == pytest.approx(5 * 10.0 / 15)


def test_run_draws_one_bar_through_set_up_simulation_and_writing(tmp_path):
    result = invoke("run", EXAMPLE, *SMALL, "--out", tmp_path, "--progress")
    assert result.exit_code == 0, result.output
    err = result.stderr
    phases = [m.group(1) for m in re.finditer(r"(?:^|\r)\s*(set-up|simulating|writing) +\d+%\|", err)]
    assert phases[0] == "set-up" and phases[-1] == "writing"
    assert list(dict.fromkeys(phases)) == ["set-up", "simulating", "writing"]
    assert re.search(r"simulating +\d+%\|.*\| 3/3 replications, \d\d:\d\d elapsed, ~\d\d:\d\d left", err)
    without = invoke("run", EXAMPLE, *SMALL, "--out", tmp_path, "--overwrite")
    assert "%|" not in without.stderr  # not a terminal, no --progress: no bar


def test_compare_draws_one_bar_over_all_its_runs(tmp_path):
    result = invoke("compare", EXAMPLE, *SMALL, "--out", tmp_path, "--progress")
    assert result.exit_code == 0, result.output
    counts = re.findall(r"(\d+)/(\d+) replications", result.stderr)
    assert {total for _, total in counts} == {"6"}  # the scenario and its counterfactual, 3 each
    assert ("6", "6") in counts


def test_the_printed_time_includes_writing_the_folder(tmp_path, clock, monkeypatch):
    import sim.report.runfolder as runfolder

    write = runfolder.write_run

    def slow_write(*args, **kwargs):
        clock.now += 100.0
        return write(*args, **kwargs)

    monkeypatch.setattr(runfolder, "write_run", slow_write)
    result = invoke("run", EXAMPLE, *SMALL, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    seconds = float(re.match(r"two_zones: 3 replications, seed 7, ([\d.]+) s\n", result.stdout).group(1))
    assert seconds == 100.0


# ------------------------------------------------------------------ precision


def test_a_run_warns_in_one_line_when_a_headline_interval_is_loose(tmp_path):
    result = invoke("run", EXAMPLE, *SMALL, "--out", tmp_path)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: 95% intervals wider than 10% of the mean: ")
    summary = json.loads((tmp_path / "two_zones" / "summary.json").read_text())
    e = summary["eue_mwh"]
    rel = (e["ci95_high"] - e["ci95_low"]) / 2 / e["mean"]
    assert rel > 0.1 and f"EUE (MWh) ±{100 * rel:.0f}%" in warnings[0]
    loose = set()
    for key in HEADLINE:
        e = summary[key]
        half = (e["ci95_high"] - e["ci95_low"]) / 2
        if half > 0.1 * abs(e["mean"]):
            loose.add(label(key))
    listed = warnings[0].split(": ", 2)[2].split("; ")[0]
    assert {re.sub(r" (±\d+%|\(mean ~0\))$", "", x) for x in listed.split(", ")} == loose
    quiet = invoke("run", EXAMPLE, *SMALL, "--out", tmp_path, "--overwrite", "-q")
    assert quiet.stderr == ""


def test_precision_on_eue_adds_replications_until_it_holds(tmp_path):
    result = invoke(
        "run", EXAMPLE, "-n", "5", "-w", "1", "--no-figures", "--out", tmp_path, "--precision", "eue_mwh=15%"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "two_zones" / "summary.json").read_text())
    e = summary["eue_mwh"]
    assert summary["replications"] > 5
    assert (e["ci95_high"] - e["ci95_low"]) / 2 <= 0.15 * e["mean"]
    assert f"{summary['replications']:,} replications" in result.stdout.splitlines()[0]


# ------------------------------------------------------------------ tables


def test_the_crackdown_effect_is_positive_where_the_crackdown_helps(tmp_path):
    args = ["run", EXAMPLE, "-n", "4", "-w", "1", "--no-figures", "--out", tmp_path, "--counterfactual"]
    result = invoke(*args, env={"COLUMNS": "150"})  # wide enough for one line per row
    assert result.exit_code == 0, result.output
    diff = json.loads((tmp_path / "two_zones" / "summary.json").read_text())["baseline"]["difference"]
    assert diff["relief_mw"]["mean"] > 0 and diff["eue_mwh"]["mean"] < 0  # with minus without
    assert "positive = the crackdown helps" in " ".join(result.stdout.split())
    rows = {}
    for line in result.stdout.splitlines():
        m = re.match(r"(relief at target date \(MW\)|EUE \(MWh\)) +[\d,.]+ +[\d,.]+ +([+-][\d,.]+) ", line)
        if m:
            rows[m.group(1)] = float(m.group(2).replace(",", ""))
    assert rows["relief at target date (MW)"] == pytest.approx(diff["relief_mw"]["mean"], abs=0.05)
    assert rows["EUE (MWh)"] == pytest.approx(-diff["eue_mwh"]["mean"], abs=0.05)
    assert "eue_mwh" not in result.stdout and "relief_mw" not in result.stdout  # labels, not keys


@pytest.mark.parametrize("columns", [60, 100])
def test_compare_tables_fit_the_terminal(tmp_path, columns):
    args = ["compare", EXAMPLE, DATA / "base.yaml", *SMALL, "--out", tmp_path]
    result = invoke(*args, env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()[:-1]  # the last names the folder, a path that cannot wrap
    assert max(len(line) for line in lines) <= columns
    assert any(line.startswith("EUE (MWh)") for line in lines)  # the wide table turned: metrics as rows
    for key in ("lole_h", "lolf", "peak_shortfall_mw"):  # no column lost
        assert any(line.startswith(label(key)) for line in lines), key
    table = pd.read_csv(tmp_path / "compare" / "comparison.csv")
    for value in table["lole_h"]:
        assert f" {value:,.1f}" in result.stdout
    assert "positive = the crackdown helps" in " ".join(result.stdout.split())


def test_a_table_too_wide_either_way_is_cut_into_parts_that_fit():
    from sim.report.tables import render

    head = ["scenario", *(f"metric {i} (MWh) [95% CI]" for i in range(8))]
    body = [[f"s{j}", *(f"{j:,}{i} [{i:,}, {j * 10_000:,}]" for i in range(8))] for j in range(9)]
    text = render([("A wide table", head, body)], width=70)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 70
    for j in range(9):  # every cell shown, once, unbroken
        for i in range(8):
            assert text.count(f"{j:,}{i} [{i:,}, {j * 10_000:,}]") == 1
    assert sum(line.startswith("scenario") for line in lines) > 1  # parts, each naming the rows


def test_sweep_labels_its_columns(tmp_path):
    args = ["sweep", EXAMPLE, "--set", "enforcement.teams=1,2", *SMALL, "--out", tmp_path]
    result = invoke(*args, env={"COLUMNS": "200"})  # headers on one line
    assert result.exit_code == 0, result.output
    assert "P(relief at least target - tolerance)" in result.stdout and "EUE (MWh)" in result.stdout
    assert "eue_mwh" not in result.stdout


# ------------------------------------------------------------------ validate --set


def test_validate_applies_set_as_run_does():
    result = invoke("validate", EXAMPLE, "--set", "replications=7", "--set", "enforcement.teams=8")
    assert result.exit_code == 0, result.output
    assert "x 7 replications" in result.stdout
    bad = invoke("validate", EXAMPLE, "--set", "replicatons=7")
    assert bad.exit_code == 2
    assert (
        bad.stderr == "error: --set: replicatons: unknown key 'replicatons'; did you mean 'replications'?\n"
    )


# ------------------------------------------------------------------ plot


def test_plot_redraws_a_comparison_folder(tmp_path):
    assert invoke("compare", EXAMPLE, *SMALL, "--out", tmp_path, "-q").exit_code == 0
    folder = tmp_path / "compare"
    assert not (folder / "comparison.png").exists()
    result = invoke("plot", folder)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{folder / 'comparison.png'}\n"
    assert (folder / "comparison.png").read_bytes().startswith(b"\x89PNG")


def test_plot_redraws_a_sweep_folder_with_any_metric(tmp_path):
    args = ["sweep", EXAMPLE, "--set", "enforcement.teams=1,2", "--set", "mining.grey_scale=0.5,1"]
    assert invoke(*args, *SMALL, "--out", tmp_path, "-q").exit_code == 0
    folder = tmp_path / "sweep_two_zones"
    for extra in ([], ["--metric", "eue_mwh"]):
        (folder / "heatmap.png").unlink(missing_ok=True)
        result = invoke("plot", folder, *extra)
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{folder / 'heatmap.png'}\n"
        assert (folder / "heatmap.png").read_bytes().startswith(b"\x89PNG")


def test_plot_refuses_a_damaged_sweep_folder(tmp_path):
    args = ["sweep", EXAMPLE, "--set", "enforcement.teams=1,2"]
    assert invoke(*args, *SMALL, "--out", tmp_path, "-q").exit_code == 0
    folder = tmp_path / "sweep_two_zones"
    (folder / "sweep.parquet").write_bytes((folder / "replications.parquet").read_bytes())
    result = invoke("plot", folder)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {folder}: damaged sweep folder")


# ------------------------------------------------------------------ python -m sim


def test_python_m_sim_is_the_command_line():
    import sim

    proc = subprocess.run(
        [sys.executable, "-m", "sim", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert sim.__version__ in proc.stdout
