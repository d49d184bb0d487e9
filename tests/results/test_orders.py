"""The operator's first orders as outcomes: per-replication days and the
ensemble's ``orders`` block (median and 5-95 % range as dates, never, window)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.results.orders import orders_block
from sim.results.stats import wilson


@pytest.fixture(scope="module")
def flagship():
    return sim.load_scenario("scenarios/kazakhstan_2021_22.yaml")


def test_never_counts_as_later_than_any_date_and_the_window_counts_whole_days(flagship):
    # 1 Oct 2021 is day 0; 30 Nov is day 60 (in the window), 1 Dec day 61 (out).
    ration = [0.0, 12.5, 60.9, 61.0, math.nan]
    cut = [math.nan, math.nan, math.nan, 40.0, 120.0]
    block = orders_block(flagship, pd.DataFrame({"first_rationing_day": ration, "first_cutoff_day": cut}))
    r, c = block["first_rationing"], block["first_cutoff"]
    assert r["median"] == "2021-11-30" and r["p05"] == "2021-10-01" and r["p95"] == "never"
    assert r["never"] == pytest.approx(0.2) and r["reported"] == "2021-10-13"
    assert c["median"] == "never" and c["median_day"] is None and c["never"] == pytest.approx(0.6)
    assert c["reported"] == "2022-01-24"
    w = block["first_rationing_in_window"]
    assert w["share"] == pytest.approx(3 / 5)
    assert (w["ci95_low"], w["ci95_high"]) == pytest.approx(wilson(3, 5))


def test_a_run_reports_the_first_orders_of_every_replication(flagship):
    res = sim.run_ensemble(flagship, replications=3, workers=1)
    days = res.replications[["first_rationing_day", "first_cutoff_day"]].to_numpy()
    finite = days[np.isfinite(days)]
    assert finite.size and (finite >= 0).all() and (finite < 212).all()
    s = res.summary()
    assert "first_rationing_day" not in s and s["orders"]["first_rationing"]["n"] == 3
