"""Columns for held-out checks and the verdict "was it enough?": relief and
closures by kind at the target's checkpoints, losses after the campaign start."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import EXAMPLE

from sim.model.replication import prepare, simulate
from sim.results.metrics import checkpoint_tag, evaluate
from sim.scenario.load import load_scenario


@pytest.fixture(scope="module")
def results():
    sc = load_scenario(EXAMPLE, ["target.checkpoints=[2022-02-25, 2022-01-25, 2022-02-10T12:00]"])
    static = prepare(sc)
    return sc, [evaluate(static, simulate(static, r), keep_records=True) for r in range(4)]


def test_checkpoint_tags_are_dates_or_minutes():
    assert checkpoint_tag(dt.datetime(2022, 2, 21)) == "2022-02-21"
    assert checkpoint_tag(dt.datetime(2022, 2, 21, 12, 30)) == "2022-02-21T12:30"


def test_a_checkpoint_on_the_target_date_repeats_the_target_columns(results):
    _, reps = results
    for res in reps:
        s = res.summary
        for name in ("relief_mw", "relief_forced_mw", "relief_voluntary_mw", "relief_limits_mw"):
            assert s[f"{name}@2022-02-25"] == s[name]
        assert s["closures_forced@2022-02-25"] == s["closures_forced"]
        assert s["closures_voluntary@2022-02-25"] == s["closures_voluntary"]


def test_nothing_is_closed_before_the_campaign_and_closures_only_grow(results):
    _, reps = results
    for res in reps:
        s = res.summary
        assert s["closures_forced@2022-01-25"] == s["relief_forced_mw@2022-01-25"] == 0
        assert s["closures_voluntary@2022-01-25"] == s["relief_voluntary_mw@2022-01-25"] == 0
        assert s["closures_forced@2022-02-10T12:00"] <= s["closures_forced"]
    assert sum(r.summary["closures_forced@2022-02-10T12:00"] for r in reps) > 0


def test_losses_after_the_campaign_start_are_the_shed_series_from_that_step(results):
    sc, reps = results
    start = sc.enforcement.campaign.start
    for res in reps:
        bal = res.extra["balance"]
        clock_start = sc.start
        k0 = int((start - clock_start).total_seconds() // 3600 / sc.step_h)
        shed = bal.shed.sum(axis=0)[k0:]
        assert res.summary["eue_after_campaign_mwh"] == pytest.approx(shed.sum() * sc.step_h)
        assert res.summary["lole_after_campaign_h"] == np.count_nonzero(shed > 1e-6) * sc.step_h
        assert res.summary["lole_after_campaign_h"] <= res.summary["lole_h"]
    assert any(r.summary["lole_after_campaign_h"] < r.summary["lole_h"] for r in reps)
