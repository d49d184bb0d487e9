"""The README's "Calibration by inference" blocks are rendered from the runs
stored in docs/inference/, and those runs are the flagship's calibration file at
its default settings (not typed in, not a smaller budget)."""

from __future__ import annotations

import pytest

from sim.experiments.inference.spec import read_calibration
from sim.report.inference_tables import calibration_markdown
from sim.scenario.load import load_scenario
from tools import inference_tables as tables
from tools import readme as readme_blocks


@pytest.mark.parametrize("block", sorted(tables.BLOCKS))
def test_readme_blocks_are_rendered_from_the_stored_runs(block):
    readme = tables.README.read_text(encoding="utf-8")
    assert readme_blocks.current_block(readme, block) == tables.rendered(block), (
        f"README.md's {block} block differs from docs/inference/: run the flagship's calibration "
        "and sensitivity, then `python -m tools.inference_tables`"
    )


def test_the_stored_runs_are_the_flagship_at_its_default_settings():
    cal, _ = read_calibration(tables.ROOT / tables.CALIBRATION)
    seed = load_scenario(tables.ROOT / tables.SCENARIO).seed
    c = tables.stored("calibration.json")
    assert c["calibration_file"].endswith(tables.CALIBRATION) and c["scenario_file"].endswith(tables.SCENARIO)
    assert c["seed"] == seed
    s = c["settings"]
    inf = cal.inference
    assert (s["population"], s["generations"], s["predictive_draws"]) == (
        inf.population,
        inf.generations,
        inf.predictive_draws,
    )
    assert set(c["unknowns"]) == set(cal.unknowns)
    assert [r["label"] for r in c["held_out"]] == [r.label for r in cal.held_out]
    sens = tables.stored("sensitivity.json")
    assert sens["settings"]["seed"] == seed
    ss = cal.sensitivity
    assert (sens["method"], sens["settings"]["samples"], sens["settings"]["replications"]) == (
        ss.method,
        ss.samples,
        ss.replications,
    )
    assert sens["outputs"] == list(ss.outputs)


def test_the_stored_report_is_the_stored_summary():
    text = (tables.DOCS / "calibration.md").read_text(encoding="utf-8")
    assert text == calibration_markdown(tables.stored("calibration.json"))
