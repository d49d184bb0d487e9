"""The campaign as a response: started by a signal from the grid, escalating, and
deterring grey sites, on small constructed scenarios with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import Z99, binomial_ok, mean_ci

from sim.model.openloop import first_shedding_h, open_loop_signals
from sim.model.replication import prepare, simulate
from sim.model.signals import GridSignals
from sim.scenario.schema import Scenario

RATIONING = {"name": "rationing", "start": "2022-01-03", "licensed_limit": 0.5}
CUTOFF = {"name": "cut-off", "start": "2022-01-05", "end": "2022-01-07", "licensed_limit": 0.0}


def scenario(enforcement, orders=(RATIONING, CUTOFF), grey=50, sizes=None):
    pops = [
        {"zone": "A", "legal_status": "licensed", "count": 3},
        {"zone": "A", "legal_status": "grey", "count": grey, **({"sizes": sizes} if sizes else {})},
    ]
    return Scenario.model_validate(
        {
            "name": "campaign",
            "start": "2022-01-01",
            "end": "2022-02-01",
            "zones": {"A": {"demand": {"peak_mw": 100}}},
            "mining": {"populations": pops},
            "operator": {"orders": list(orders)},
            "enforcement": {"enabled": True, "targeting": {"statuses": ["grey"]}, **enforcement},
        }
    )


def times(sc, kind, rep=0):
    raw = simulate(prepare(sc), rep)
    ev = raw.events
    sel = ev["event"] == kind
    return raw, ev["t_h"][sel], ev["entity"][sel]


def first_inspection_h(sc, rep=0) -> float:
    t = times(sc, "inspected", rep)[1]
    return float(t.min()) if t.size else math.inf


def test_the_scripted_signals_are_the_first_limit_and_the_first_cutoff():
    static = prepare(scenario({"campaign": {"start": "2022-01-10", "end": "2022-02-01"}}))
    s = static.signals
    assert (s.first_limit_h, s.first_cutoff_h) == (48.0, 96.0)
    assert s.time_of("first_limit") == 48.0
    with pytest.raises(ValueError, match="unknown grid signal"):
        s.time_of("sunrise")
    assert s.daily_allowed(static.clock)[0, :8].tolist() == [1, 1, 0.5, 0.5, 0, 0, 0.5, 0.5]


@pytest.mark.parametrize(
    ("trigger", "window_start", "expected_h"),
    [
        ({"after": "first_cutoff", "delay_days": 3}, None, 96 + 72),
        ({"after": "first_limit", "delay_days": 1.5}, None, 48 + 36),
        # The window's start is the earliest the campaign may start.
        ({"after": "first_limit", "delay_days": 0}, "2022-01-10", 216),
        ({"after": "date", "delay_days": 2}, "2022-01-10", 216 + 48),
    ],
)
def test_the_trigger_starts_inspections_its_delay_after_the_signal(trigger, window_start, expected_h):
    enf = {"trigger": trigger, "teams": 2}
    if window_start:
        enf["campaign"] = {"start": window_start, "end": "2022-02-01"}
    for rep in range(2):
        assert first_inspection_h(scenario(enf), rep) == pytest.approx(expected_h)


def test_a_signal_that_never_comes_never_starts_the_campaign():
    enf = {"trigger": {"after": "first_cutoff", "delay_days": 1}}
    raw, t, _ = times(scenario(enf, orders=[RATIONING]), "inspected")
    assert t.size == 0 and raw.campaign_start_h == math.inf


def test_a_replication_follows_the_signals_it_is_given():
    """The interface a closed-loop operator uses: its own signals per replication."""
    sc = scenario({"trigger": {"after": "first_shedding", "delay_days": 2}})
    static = prepare(sc)
    own = GridSignals(static.allowed, first_limit_h=48.0, first_cutoff_h=96.0, first_shedding_h=30.0)
    raw = simulate(static, 0, signals=own)
    ev = raw.events
    assert ev["t_h"][ev["event"] == "inspected"].min() == pytest.approx(30 + 48)
    assert raw.campaign_start_h == pytest.approx(78)


def test_escalation_adds_teams_and_shortens_inspections_from_its_day():
    enf = {
        "teams": 1,
        "campaign": {"start": "2022-01-02", "end": "2022-02-01"},
        "inspection": {"mean_days": 1, "cv": 0},
        "escalation": {"after_days": 4, "extra_teams": 1, "inspection_factor": 0.5},
    }
    _, t, _ = times(scenario(enf, grey=200), "inspected")
    # One team, one site a day from hour 24; from hour 120 two teams, two sites a day each.
    assert t[t < 120].tolist() == [24, 48, 72, 96]
    assert [int(((t >= a) & (t < a + 24)).sum()) for a in (120, 144)] == [4, 4]


def test_deterrence_makes_the_configured_share_of_grey_sites_leave_after_the_start():
    p, n = 0.4, 1000
    enf = {
        "campaign": {"start": "2022-01-03", "end": "2022-02-01"},
        # Nothing is inspected (no licensed site is targeted): only deterrence acts.
        "targeting": {"statuses": ["licensed"]},
        "outcomes_licensed": {"compliant": 1.0},
        "deterrence": {"probability": p, "delay": {"mean_days": 2, "cv": 0.5}},
    }
    sc = scenario(enf, grey=n)
    raw, t, who = times(sc, "gone_dark")
    assert not raw.facilities.licensed[who].any()
    assert binomial_ok(who.size, n, p, Z99)
    # Delays are gamma with a mean of 2 days after the start (hour 48).
    lo, hi = mean_ci(t - 48)
    assert lo <= 48 <= hi and t.min() > 48


def test_deterrence_by_size_makes_large_sites_leave_more_often():
    enf = {
        "campaign": {"start": "2022-01-03", "end": "2022-02-01"},
        "targeting": {"statuses": ["licensed"]},
        "deterrence": {"probability": 0.2, "size_exponent": 1.0, "reference_mw": 3.0},
    }
    sc = scenario(enf, grey=1500, sizes={"median_mw": 3, "p90_mw": 12, "cap_mw": 60})
    raw, _, who = times(sc, "gone_dark")
    grey = np.flatnonzero(~raw.facilities.licensed)
    chance = np.minimum(0.2 * raw.facilities.capacity_mw[grey] / 3.0, 1.0)
    # The number gone is a sum of independent Bernoulli draws with these chances.
    sd = math.sqrt(np.sum(chance * (1 - chance)))
    assert abs(who.size - chance.sum()) <= Z99 * sd
    cap = raw.facilities.capacity_mw
    assert cap[who].mean() > cap[grey].mean()


def test_first_shedding_is_read_from_the_replications_grid_before_anyone_responds():
    sc = Scenario.model_validate(
        {
            "name": "shed",
            "start": "2022-01-01",
            "end": "2022-01-20",
            "zones": {"A": {"demand": {"peak_mw": 100}}},
            "generation": {
                "units": [{"name": "g", "zone": "A", "capacity_mw": 80, "count": 2, "mttf_h": 1e9}]
            },
            # One of the two units trips at noon on 5 January: 80 MW for a peak of 100.
            "shocks": [{"type": "unit_trip", "fleet": "g", "start": "2022-01-05T12:00", "end": "2022-01-06"}],
            "mining": {"populations": [{"zone": "A", "legal_status": "grey", "count": 3}]},
            "enforcement": {"enabled": True, "trigger": {"after": "first_shedding", "delay_days": 1}},
        }
    )
    static = prepare(sc)
    shed_from = 4 * 24 + 12
    assert first_shedding_h(static, 0) == shed_from
    raw = simulate(static, 0, open_loop_signals(static, 0))
    assert raw.campaign_start_h == pytest.approx(shed_from + 24)
    ev = raw.events
    assert ev["t_h"][ev["event"] == "inspected"].min() == pytest.approx(shed_from + 24)
    # Scripted signals do not know it: the replication refuses rather than never starting.
    with pytest.raises(ValueError, match="do not know the first shedding"):
        simulate(static, 0)


def test_the_scripted_start_of_a_triggered_campaign_is_marked_on_figures():
    from sim.model.enforcement import scripted_start

    sc = scenario({"trigger": {"after": "first_cutoff", "delay_days": 3}})
    assert str(scripted_start(sc)) == "2022-01-08 00:00:00+06:00"
    never = scenario({"trigger": {"after": "first_cutoff"}}, orders=[RATIONING])
    assert scripted_start(never) is None


def test_licensed_sites_gone_grey_are_found_and_treated_as_grey():
    sc = Scenario.model_validate(
        {
            "name": "grey",
            "start": "2022-01-01",
            "end": "2022-02-01",
            "zones": {"A": {"demand": {"peak_mw": 100}}},
            "mining": {
                "populations": [{"zone": "A", "legal_status": "licensed", "count": 5}],
                "economics": {
                    "enabled": True,
                    "market": [{"month": "2022-01", "btc_usd": 40_000, "difficulty_t": 25}],
                    "going_grey": {"probability": 1.0, "after_days": 2},
                },
            },
            "operator": {"orders": [{"name": "rationing", "start": "2022-01-01", "licensed_limit": 0.5}]},
            "enforcement": {
                "enabled": True,
                "campaign": {"start": "2022-01-05", "end": "2022-02-01"},
                "targeting": {"statuses": ["grey"]},
                "outcomes_grey": {"compliant": 0, "disconnected_by_force": 1},
            },
        }
    )
    raw = simulate(prepare(sc), 0)
    ev = raw.events
    went = ev["entity"][ev["event"] == "went_grey"]
    forced = ev["entity"][ev["event"] == "disconnected_by_force"]
    assert sorted(went.tolist()) == sorted(forced.tolist()) == [0, 1, 2, 3, 4]
    assert (ev["t_h"][ev["event"] == "went_grey"] == 48).all()
