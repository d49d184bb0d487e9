"""The README's shortage table is rendered from the comparison stored in
docs/shortages/, and that comparison was made from the scenario files as they
are (tools/shortage_table.py)."""

from __future__ import annotations

import pandas as pd

from tools import readme
from tools import shortage_table as shortages


def test_readme_shortage_table_is_the_stored_comparison():
    text = readme.README.read_text(encoding="utf-8")
    assert readme.current_block(text, shortages.NAME) == shortages.block(), (
        "README.md's shortage table differs from docs/shortages/: run `python -m tools.shortage_table`"
    )


def test_the_stored_comparison_was_made_from_the_scenarios_as_they_are():
    import json

    stored = json.loads((shortages.DOCS / "inputs.json").read_text(encoding="utf-8"))
    assert stored == shortages.inputs(), (
        "a scenario changed since docs/shortages/ was made: run `python -m tools.shortage_table`"
    )


def test_every_shortage_and_the_baseline_have_a_row():
    table = pd.read_csv(shortages.DOCS / "comparison.csv")
    names = {p.stem for p in shortages.SHORTAGES.glob("*.yaml")}
    assert set(table["scenario"]) == names | {"kazakhstan_2021_22"}
    # The flagship's own replications, as `gridshed compare` runs by default.
    from sim.scenario.load import load_scenario

    assert (table["replications"] == load_scenario(shortages.FLAGSHIP).replications).all()


def test_no_interval_of_a_non_negative_metric_goes_below_zero():
    """Issue: intervals of EUE, LOLE, shortfalls ... stay in their range (BCa)."""
    from sim.vocab import METRICS

    table = pd.read_csv(shortages.DOCS / "comparison.csv")
    lows = [c for c in table.columns if c.endswith(".ci95_low")]
    checked = 0
    for col in lows:
        m = METRICS.get(col.split(".", 1)[0])
        if m is not None and m.non_negative:
            assert (table[col] >= 0).all(), col
            checked += 1
    assert checked >= 5
