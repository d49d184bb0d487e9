"""Imports per outside system and calendar month (``imports_mwh.<system>@<YYYY-MM>``):
they add up to each link's total and follow the calendar of the scenario's time zone."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT

from sim.model.operator import run_replication
from sim.model.replication import prepare
from sim.results.metrics import evaluate
from sim.scenario.load import load_scenario


@pytest.fixture(scope="module")
def flagship():
    static = prepare(load_scenario(ROOT / "scenarios" / "kazakhstan_2021_22.yaml"))
    return static, [evaluate(static, run_replication(static, rep), keep_records=True) for rep in range(2)]


def test_monthly_imports_add_up_to_each_systems_total(flagship):
    static, results = flagship
    ol = static.outside
    for r in results:
        s = r.summary
        for system in set(ol.system):
            monthly = sum(v for k, v in s.items() if k.startswith(f"imports_mwh.{system}@"))
            total = sum(
                s[f"imports_mwh.{name}"] for name, sy in zip(ol.names, ol.system, strict=True) if sy == system
            )
            assert monthly == pytest.approx(total, rel=1e-9, abs=1e-6)


def test_months_follow_the_local_calendar(flagship):
    static, results = flagship
    starts, labels = static.clock.months
    assert labels == ("2021-10", "2021-11", "2021-12", "2022-01", "2022-02", "2022-03", "2022-04")
    idx = static.clock.index
    assert all(idx[k].day == 1 and idx[k].hour == 0 for k in starts)
    # November by hand from the balance's per-step imports.
    r = results[0]
    bal = r.extra["balance"]
    russia = [j for j, s in enumerate(static.outside.system) if s == "Russia"]
    nov = np.asarray(idx.month == 11)
    by_hand = bal.links.imports[russia][:, nov].sum() * static.clock.step_h
    assert r.summary["imports_mwh.Russia@2021-11"] == pytest.approx(by_hand, rel=1e-9)
