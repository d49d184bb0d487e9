"""``gridshed calibrate`` and ``gridshed sensitivity``: bad calibration files get
one message per problem at file:line: key and exit status 2; good ones write
their folders whole."""

from __future__ import annotations

import json
import re
import textwrap

import pandas as pd
import pytest
from conftest import EXAMPLE

from sim.scenario.load import load_scenario

GOOD = """\
set:
  - target.checkpoints=[2022-02-10]
unknowns:
  days: {key: enforcement.inspection.mean_days, prior: lognormal, median: 2, sigma: 0.5, low: 0.5, high: 6}
  limit: {key: operator.orders.0.licensed_limit, prior: uniform, low: 0.1, high: 0.9}
observations:
  - {label: forced closures, column: closures_forced, reported: 9, kind: count}
  - {label: relief, column: relief_mw, reported: 80, low: 50, high: 110}
held_out:
  - {label: forced relief, column: "relief_forced_mw@2022-02-10", reported: 20, low: 10, high: 30}
verdicts:
  enough: {label: no shedding after the campaign start, column: lole_after_campaign_h, high: 0}
inference: {population: 20, generations: 2, predictive_draws: 20}
sensitivity: {method: morris, samples: 4, replications: 2, outputs: [relief_mw, enough]}
"""


def bad(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


#: (old text, new text, the message's start: file:line: key: message)
CASES = {
    "prior": ("prior: uniform", "prior: unifrm", "calibration.yaml:5: unknowns.limit.prior: Input should be"),
    "key-typo": (
        "sigma: 0.5,",
        "sigmaa: 0.5,",
        "calibration.yaml:4: unknowns.days.sigmaa: unknown key 'sigmaa'; did you mean 'sigma'?",
    ),
    "scenario-key": (
        "inspection.mean_days",
        "inspection.mean_dayz",
        "calibration.yaml:4: unknowns.days.key: enforcement.inspection.mean_dayz: "
        "unknown key 'mean_dayz'; did you mean 'mean_days'?",
    ),
    "list-index": (
        "orders.0.",
        "orders.5.",
        "calibration.yaml:5: unknowns.limit.key: operator.orders.5.licensed_limit: "
        "no item 5 to set; the list has 1",
    ),
    "column": (
        "column: closures_forced",
        "column: closures_forcd",
        "calibration.yaml:7: observations[0].column: not an output: 'closures_forcd'; "
        "did you mean 'closures_forced'?",
    ),
    "range": (
        "low: 0.1, high: 0.9",
        "low: 0.1, high: 1.9",
        "calibration.yaml:5: unknowns.limit: at 1.9 the scenario fails: "
        "operator.orders[0].licensed_limit: Input should be less than or equal to 1",
    ),
    "needs": ("median: 2, sigma: 0.5,", "median: 2,", "yaml:4: unknowns.days: a lognormal prior needs sigma"),
    "band": (
        "low: 50, high: 110",
        "low: 150, high: 110",
        "calibration.yaml:8: observations[1]: low (150) must be below high (110)",
    ),
    "set": (
        "target.checkpoints=[2022-02-10]",
        "target.chekpoints=[2022-02-10]",
        "calibration.yaml:2: set[0]: target.chekpoints: unknown key 'chekpoints'; "
        "did you mean 'checkpoints'?",
    ),
    "output": (
        "outputs: [relief_mw, enough]",
        "outputs: [relief_mw, enuf]",
        "calibration.yaml:14: sensitivity.outputs: not an output: 'enuf'; did you mean 'enough'?",
    ),
}


@pytest.mark.parametrize(("old", "new", "message"), list(CASES.values()), ids=list(CASES))
def test_bad_calibration_files_name_the_line_and_key(cli, tmp_path, old, new, message):
    path = tmp_path / "calibration.yaml"
    path.write_text(bad(GOOD, old, new), encoding="utf-8")
    result = cli("calibrate", EXAMPLE, path, "--out", tmp_path / "out", "-q")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_derived_keys_read_known_unknowns_only(cli, tmp_path):
    path = tmp_path / "calibration.yaml"
    text = GOOD + "derived:\n  enforcement.seizure_probability: 1 - dayz / 10\n"
    path.write_text(text, encoding="utf-8")
    result = cli("sensitivity", EXAMPLE, path, "--out", tmp_path / "out", "-q")
    assert result.exit_code == 2
    where = "calibration.yaml:16: derived.enforcement.seizure_probability"
    assert f"{where}: 'dayz' is not an unknown; did you mean 'days'?" in result.stderr


def test_calibrate_writes_its_folder_and_a_posterior_scenario_that_loads(cli, tmp_path):
    path = tmp_path / "calibration.yaml"
    path.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    result = cli(
        "calibrate", EXAMPLE, path, "--out", out, "-w", "1", "--seed", "5", "--no-figures", "--progress"
    )
    assert result.exit_code == 0, result.output
    folder = out / "calibration_two_zones"
    # one bar over the whole command: set-up, prior sample, the generations, writing
    phases = re.findall(r"(?:^|\r)\s*(set-up|prior sample|inference|writing)[ (]", result.stderr)
    assert list(dict.fromkeys(phases)) == ["set-up", "prior sample", "inference", "writing"]
    assert re.search(r"inference \(generation 1/2\) +\d+%\|.*\| 20/40 particles", result.stderr)
    names = {p.name for p in folder.iterdir()}
    assert {"summary.json", "calibration.md", "posterior.parquet", "predictive.parquet"} <= names
    assert {"prior_predictive.parquet", "history.db", "posterior.yaml"} <= names
    summary = json.loads((folder / "summary.json").read_text())
    post = pd.read_parquet(folder / "posterior.parquet")
    assert len(post) == 20 and post["weight"].sum() == pytest.approx(1)
    assert summary["seed"] == 5 and set(summary["verdicts"]) == {"enough"}
    # the posterior scenario extends the example with the posterior medians (the list whole)
    sc = load_scenario(folder / "posterior.yaml")
    base = load_scenario(EXAMPLE)
    assert sc.name == "two_zones_posterior"
    assert sc.operator.orders[0].licensed_limit == pytest.approx(summary["unknowns"]["limit"]["median"])
    assert sc.operator.orders[0].start == base.operator.orders[0].start
    assert sc.enforcement.inspection.mean_days == pytest.approx(summary["unknowns"]["days"]["median"])
    assert [str(d.date()) for d in sc.target.checkpoints] == ["2022-02-10"]
    assert "forced relief" in result.stdout and "P(no shedding after the campaign start)" in result.stdout


def test_sensitivity_writes_indices_for_every_output_and_unknown(cli, tmp_path):
    path = tmp_path / "calibration.yaml"
    path.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    result = cli("sensitivity", EXAMPLE, path, "--out", out, "-w", "1", "-q")
    assert result.exit_code == 0, result.output
    folder = out / "sensitivity_two_zones"
    assert result.stdout == f"{folder}\n"  # -q: the folder alone
    idx = pd.read_parquet(folder / "indices.parquet")
    assert set(idx["output"]) == {"relief_mw", "enough"} and set(idx["unknown"]) == {"days", "limit"}
    assert set(idx["index"]) == {"mu_star", "sigma"}
    points = pd.read_parquet(folder / "points.parquet")
    assert len(points) == 4 * 3  # Morris: r (D + 1)
    assert points["enough"].between(0, 1).all()
    # the lasting-limit order ends on 7 Feb, before the target: it cannot move relief
    assert (folder / "figures" / "sensitivity.png").exists()
    assert textwrap.dedent("# Sensitivity") in (folder / "sensitivity.md").read_text()


def test_an_existing_folder_is_kept_unless_overwrite_is_given(cli, tmp_path):
    """As `run`: a second sensitivity goes to NAME-2 and says so; --overwrite replaces."""
    path = tmp_path / "calibration.yaml"
    path.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    first = out / "sensitivity_two_zones"
    first.mkdir(parents=True)
    (first / "mine.txt").write_text("an earlier study", encoding="utf-8")
    again = cli("sensitivity", EXAMPLE, path, "--out", out, "-w", "1", "--no-figures")
    assert again.exit_code == 0, again.output
    assert (first / "mine.txt").exists()
    assert f"{first} exists or is being written; writing to {out / 'sensitivity_two_zones-2'}" in again.stderr
    assert (out / "sensitivity_two_zones-2" / "indices.parquet").exists()
    replaced = cli("sensitivity", EXAMPLE, path, "--out", out, "-w", "1", "--no-figures", "--overwrite", "-q")
    assert replaced.exit_code == 0, replaced.output
    assert replaced.stdout == f"{first}\n"
    assert not (first / "mine.txt").exists() and (first / "indices.parquet").exists()
