"""The flagship runs short when history says it did (tools/history.py).

- With the operator's scripted orders removed, licensed miners are curtailed for
  shortage on most days of every month from 13 October 2021 (E6) to February
  2022, in most replications; not so in April.
- Gross imports from Russia in November 2021 to January 2022 are within 40 % of
  the statistics (Z11).
"""

from __future__ import annotations

import pytest

from sim.scenario.load import load_scenario
from tools import history, readme

N = 40


@pytest.fixture(scope="module")
def without_orders():
    static, bals = history.balances(history.FLAGSHIP, history.GRID_ALONE, N, None)
    return history.shortage_table(static, bals)


@pytest.fixture(scope="module")
def imports():
    static, bals = history.balances(history.FLAGSHIP, [], N, None)
    return history.imports_table(static, bals)


@pytest.mark.parametrize("month", ["2021-10", "2021-11", "2021-12", "2022-01", "2022-02"])
def test_licensed_miners_are_curtailed_on_most_days_from_mid_october_to_february(without_orders, month):
    row = without_orders.loc[month]
    assert row.share_most_days >= 0.8, row
    assert row.curtail_days > row.days / 2


def test_by_april_the_shortage_fades(without_orders):
    """Few replications still curtail on most days in April, and on fewer days
    than in any month from November to February."""
    april = without_orders.loc["2022-04"]
    assert april.share_most_days <= 0.1
    winter = without_orders.loc[["2021-11", "2021-12", "2022-01", "2022-02"]]
    assert april.curtail_days < winter.curtail_days.min()


@pytest.mark.parametrize("month", ["2021-11", "2021-12", "2022-01"])
def test_imports_from_russia_are_within_40_percent_of_the_statistics(imports, month):
    row = imports.loc[month]
    assert abs(row.difference_pct) <= 40, row
    assert row.unscheduled_gwh > 0  # the outcome part is there


def test_november_needs_the_most_unscheduled_imports(imports):
    """November 2021 had the largest imports of the winter (Z11): the model's
    unscheduled imports peak then too."""
    assert imports.unscheduled_gwh.idxmax() == "2021-11"


def test_readme_history_table_is_generated_from_real_runs():
    """The README's history table is what ``python -m tools.history --readme`` writes."""
    seed = load_scenario(history.FLAGSHIP).seed
    block = history.history_block(history.history_rows(history.N), history.N, seed)
    text = readme.README.read_text(encoding="utf-8")
    assert readme.current_block(text, history.NAME) == block, (
        "README.md's history table differs from a real run: regenerate it with "
        "`python -m tools.history --readme`"
    )
