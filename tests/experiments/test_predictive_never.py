"""Held-out dates against the posterior predictive: a date that never came in a
draw (NaN, as a first cut-off that never happened) ranks after every date."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sim.experiments.inference.predictive import check_record
from sim.experiments.inference.spec import Record
from sim.report.inference_tables import records_table


def record() -> Record:
    return Record(label="cut-off (day)", column="day", reported=115, low=101, high=129, source="E4")


def test_never_ranks_after_every_date_without_warnings():
    x = np.r_[np.arange(80.0), [np.nan] * 20]  # 20 % never
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = check_record(record(), pd.DataFrame({"day": x}))
    assert r["median"] == np.quantile(np.arange(80.0).tolist() + [1e9] * 20, 0.5)
    assert r["q95"] == np.inf and r["inside"]  # 115 lies before "never"
    assert r["p_at_most"] == 0.8  # the 80 finite draws are all at or below day 115


def test_a_date_that_never_came_is_shown_as_never():
    x = np.r_[np.arange(80.0), [np.nan] * 20]
    r = check_record(record(), pd.DataFrame({"day": x}))
    stored = {**r, "q95": None, "mean": None}  # JSON keeps infinity as null
    table = records_table([stored])
    assert "4.95 to never" in table or "5 to never" in table
