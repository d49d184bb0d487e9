"""The flagship's calibration (issue: the 2022 crackdown).

The README's calibration table must be what a real run of the flagship prints
(not typed in), and every calibrated figure must stay inside its acceptance
band: a change to the model that moves it out fails here.
"""

from __future__ import annotations

import pytest

from sim.results.stats import Estimate, verdict, wilson
from sim.scenario.load import load_scenario
from tools import calibration_table as calibration


@pytest.fixture(scope="module")
def flagship_summary():
    # The flagship's own seed and replications (1,000): the run the README shows.
    return calibration.summary_of(calibration.FLAGSHIP, workers=2)


def test_flagship_runs_at_least_200_replications():
    assert load_scenario(calibration.FLAGSHIP).replications >= 200


def test_readme_table_is_generated_from_a_real_run(flagship_summary):
    readme = calibration.README.read_text(encoding="utf-8")
    assert calibration.current_block(readme) == calibration.table(flagship_summary), (
        "README.md's calibration table differs from a run of the flagship: "
        "regenerate it with `python -m tools.calibration_table`"
    )


FITTED = [r for r in calibration.REPORTED if r.checked and r.role != "held out"]


@pytest.mark.parametrize("reported", FITTED, ids=lambda r: r.metric)
def test_calibrated_means_fall_in_their_bands(flagship_summary, reported):
    """Figures the flagship was set to meet stay met (held-out ones are shown,
    in band or not, never required: they are the test of the model)."""
    mean = flagship_summary[reported.metric]["mean"] / reported.scale
    assert reported.low <= mean <= reported.high


def test_target_check_reports_a_probability_and_a_verdict(flagship_summary):
    t = flagship_summary["target"]
    assert t["relief_mw"] == 600 and t["by"].startswith("2022-03-15")
    p = t["probability_within"]
    n = flagship_summary["replications"]
    assert (p["ci95_low"], p["ci95_high"]) == pytest.approx(wilson(p["mean"] * n, n))
    assert p["ci95_low"] < p["mean"] < p["ci95_high"]
    rel = flagship_summary["relief_mw"]
    est = Estimate(rel["mean"], rel["ci95_low"], rel["ci95_high"], rel["std"], rel["n"])
    assert t["verdict"] == verdict(est, t["relief_mw"], t["tolerance_mw"])


def test_every_row_says_what_the_figure_is_to_the_model(flagship_summary):
    block = calibration.table(flagship_summary)
    rows = [line for line in block.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == len(calibration.REPORTED) + len(calibration.DATES)
    roles = [line.split(" | ")[3] for line in rows]
    assert set(roles) <= set(calibration.ROLES)
    assert "held out" in roles and "fitted" in roles
