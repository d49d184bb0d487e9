"""Generating units: two-state Markov outages against their exact laws, outage-rate
shocks, planned outages, trips and winter derating.

Statistical checks use 99 % intervals with fixed seeds (deterministic runs; a
wider interval keeps them from depending on luck when the streams change).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, Z99, binomial_ok, mean_ci
from scipy import stats

from sim.model import outages
from sim.model.balance import dispatch
from sim.model.clock import Clock
from sim.model.generation import available_capacity, unit_table
from sim.model.outages import sample_outages
from sim.model.replication import prepare, simulate
from sim.scenario.schema import Scenario


def scenario(units, shocks=(), start="2022-01-01", end="2023-01-01", zones=("A", "B"), **extra):
    return Scenario.model_validate(
        {
            "name": "gen",
            "start": start,
            "end": end,
            "zones": {z: {"demand": {"peak_mw": 10}} for z in zones},
            "generation": {"units": list(units)},
            "shocks": list(shocks),
            **extra,
        }
    )


def clock_of(sc):
    return Clock(sc.start, sc.timezone, sc.step_h, sc.n_steps)


def exposure(units, t, u, is_up, up0, horizon, window=(0.0, float("inf"))):
    """Per unit: time up, time down, failures and repairs inside ``window``."""
    n = units.n
    state = up0.copy()
    last = np.zeros(n)
    up_time, down_time = np.zeros(n), np.zeros(n)
    fails, repairs = np.zeros(n, int), np.zeros(n, int)
    a, b = window

    def add(i, t0, t1, up):
        d = max(0.0, min(t1, b) - max(t0, a))
        if up:
            up_time[i] += d
        else:
            down_time[i] += d

    for ti, i, up in zip(t, u, is_up, strict=True):
        assert up != state[i], "changes of a unit alternate"
        add(i, last[i], ti, state[i])
        if a <= ti < b:
            (repairs if up else fails)[i] += 1
        state[i], last[i] = up, ti
    for i in range(n):
        add(i, last[i], horizon, state[i])
    return up_time, down_time, fails, repairs


@pytest.fixture(scope="module")
def fleet_run():
    """300 units (MTTF 450 h, MTTR 50 h: FOR 0.1) over a year."""
    sc = scenario([{"name": "f", "zone": "A", "capacity_mw": 100, "count": 300, "mttf_h": 450, "mttr_h": 50}])
    clock = clock_of(sc)
    units = unit_table(sc, clock)
    t, u, up, up0 = sample_outages(units, clock.horizon_h, np.random.default_rng(11))
    return units, clock, t, u, up, up0


def test_changes_are_sorted_inside_the_horizon_and_alternate(fleet_run):
    units, clock, t, u, up, up0 = fleet_run
    assert (np.diff(t) >= 0).all()
    assert t.min() >= 0 and t.max() < clock.horizon_h
    exposure(units, t, u, up, up0, clock.horizon_h)  # asserts alternation


def test_units_start_in_their_stationary_state(fleet_run):
    units, *_, up0 = fleet_run
    down0 = int((~up0).sum())
    assert binomial_ok(down0, units.n, 0.1)


def test_the_long_run_fraction_of_time_down_is_the_forced_outage_rate(fleet_run):
    units, clock, t, u, up, up0 = fleet_run
    up_t, down_t, _, _ = exposure(units, t, u, up, up0, clock.horizon_h)
    assert np.allclose(up_t + down_t, clock.horizon_h)
    lo, hi = mean_ci(down_t / clock.horizon_h, z=Z99)
    assert lo <= 0.1 <= hi
    assert hi - lo < 0.01


def test_mean_up_time_is_mttf_and_mean_down_time_is_mttr(fleet_run):
    """Failures in a total up time E are Poisson with mean E / MTTF (likewise repairs)."""
    units, clock, t, u, up, up0 = fleet_run
    up_t, down_t, fails, repairs = exposure(units, t, u, up, up0, clock.horizon_h)
    for count, time, mean_h in ((fails.sum(), up_t.sum(), 450.0), (repairs.sum(), down_t.sum(), 50.0)):
        expected = time / mean_h
        assert abs(count - expected) <= Z99 * np.sqrt(expected), (count, expected)
        assert time / count == pytest.approx(mean_h, rel=0.03)


def test_up_and_down_times_are_exponential(fleet_run):
    """Intervals are taken by when they start (in the first half of the horizon),
    not by whether they end inside it: picking the intervals that end before the
    horizon favours short ones (censoring), which a KS test on 5,000 intervals
    detects. An interval starting in the first half outlasts the horizon with
    probability exp(-4,380 / 450), about 6e-5."""
    units, clock, t, u, up, _ = fleet_run
    ups, downs = [], []
    for i in range(units.n):
        mine = u == i
        d = np.diff(t[mine])
        early = t[mine][:-1] < clock.horizon_h / 2
        after_repair = up[mine][:-1]  # the interval after a repair is an up time
        ups += list(d[after_repair & early])
        downs += list(d[~after_repair & early])
    assert stats.kstest(ups, stats.expon(scale=450).cdf).pvalue > 0.001
    assert stats.kstest(downs, stats.expon(scale=50).cdf).pvalue > 0.001


def test_a_forced_outage_rate_sets_mttf():
    sc = scenario(
        [{"name": "g", "zone": "A", "capacity_mw": 50, "count": 2, "forced_outage_rate": 0.2, "mttr_h": 40}]
    )
    units = unit_table(sc, clock_of(sc))
    assert units.mttf_h.tolist() == [160.0, 160.0]
    assert units.mttr_h.tolist() == [40.0, 40.0]


def test_units_without_failure_rates_never_fail():
    sc = scenario([{"name": "h", "zone": "A", "capacity_mw": 50, "count": 5}])
    clock = clock_of(sc)
    units = unit_table(sc, clock)
    t, u, up, up0 = sample_outages(units, clock.horizon_h, np.random.default_rng(0))
    assert t.size == 0
    cap = available_capacity(units, clock, 2, t, u, up, up0)
    assert (cap[0] == 250).all() and (cap[1] == 0).all()


def test_an_outage_rate_shock_multiplies_failure_rates_in_its_zones_and_window():
    """Zone A's units fail three times as often from March to June; zone B's do not."""
    sc = scenario(
        [
            {"name": "a", "zone": "A", "capacity_mw": 10, "count": 150, "mttf_h": 300, "mttr_h": 30},
            {"name": "b", "zone": "B", "capacity_mw": 10, "count": 150, "mttf_h": 300, "mttr_h": 30},
        ],
        shocks=[
            {"type": "outage_rate", "start": "2022-03-01", "end": "2022-06-01", "factor": 3, "zones": ["A"]}
        ],
    )
    clock = clock_of(sc)
    units = unit_table(sc, clock)
    t, u, up, up0 = sample_outages(units, clock.horizon_h, np.random.default_rng(5))
    window = (clock.hours(sc.shocks[0].start), clock.hours(sc.shocks[0].end))
    a = units.zone == 0
    for sel, win, factor in (
        (a, window, 3.0),
        (~a, window, 1.0),
        (a, (0.0, window[0]), 1.0),
        (a, (window[1], clock.horizon_h), 1.0),
    ):
        up_t, _, fails, repairs = exposure(units, t, u, up, up0, clock.horizon_h, win)
        expected = up_t[sel].sum() * factor / 300.0
        assert abs(fails[sel].sum() - expected) <= Z99 * np.sqrt(expected), (factor, win)
    # Repairs are not affected: the zone is down longer only because it fails more.
    _, down_t, _, repairs = exposure(units, t, u, up, up0, clock.horizon_h, window)
    expected = down_t[a].sum() / 30.0
    assert abs(repairs[a].sum() - expected) <= Z99 * np.sqrt(expected)


def test_outage_rate_shocks_in_all_zones_multiply_and_overlap():
    sc = scenario(
        [{"name": "a", "zone": "A", "capacity_mw": 10, "count": 2, "mttf_h": 300}],
        shocks=[
            {"type": "outage_rate", "start": "2022-02-01", "end": "2022-04-01", "factor": 2},
            {"type": "outage_rate", "start": "2022-03-01", "factor": 1.5, "zones": ["B"]},
        ],
    )
    clock = clock_of(sc)
    units = unit_table(sc, clock)
    h = clock.hours
    d = {
        "feb": h(sc.shocks[0].start),
        "mar": h(sc.shocks[1].start),
        "apr": h(sc.shocks[0].end),
    }
    tau = dict(zip(units.warp_t.tolist(), units.warp_tau.T.tolist(), strict=True))
    end = clock.horizon_h
    assert tau[d["feb"]] == pytest.approx([d["feb"], d["feb"]])
    mar_a = d["feb"] + 2 * (d["mar"] - d["feb"])
    assert tau[d["mar"]] == pytest.approx([mar_a, mar_a])
    apr_a = mar_a + 2 * (d["apr"] - d["mar"])
    apr_b = mar_a + 3 * (d["apr"] - d["mar"])
    assert tau[d["apr"]] == pytest.approx([apr_a, apr_b])
    assert tau[end] == pytest.approx([apr_a + end - d["apr"], apr_b + 1.5 * (end - d["apr"])])


def brute_available(sc, units, clock, t, u, up, up0):
    """Available capacity per zone and step, unit by unit and step by step."""
    Z, T = len(sc.zones), clock.n_steps
    out = np.zeros((Z, T))
    step_start = np.arange(T) * clock.step_h
    for i in range(units.n):
        ti = t[u == i]
        changes = np.searchsorted(ti, step_start + 1e-9, side="right")
        state = up0[i] ^ (changes % 2 == 1)
        held = np.zeros(T, bool)
        for j, a, b in units.held_out:
            if j == i:
                ka, kb = clock.step_of(max(a, 0)), clock.step_of(min(b, clock.horizon_h))
                held[ka:kb] = True
        derate = np.where(units.winter[i][clock.month - 1], 1 - units.derating[i], 1.0)
        out[units.zone[i]] += units.capacity_mw[i] * derate * state * ~held
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_available_capacity_matches_a_unit_by_unit_reconstruction(seed):
    sc = scenario(
        [
            {
                "name": "coal",
                "zone": "A",
                "capacity_mw": 150,
                "count": 4,
                "mttf_h": 200,
                "mttr_h": 30,
                "winter_derating": 0.1,
                "planned_outages": [
                    {"start": "2021-12-10", "end": "2021-12-20", "units": 2},
                    {"start": "2022-02-01T06:00", "end": "2022-02-03T18:30", "units": 1},
                ],
            },
            {
                "name": "gas",
                "zone": "B",
                "capacity_mw": 90,
                "count": 3,
                "forced_outage_rate": 0.1,
                "mttr_h": 20,
                "winter_derating": 0.2,
                "winter_months": [1, 2],
            },
            {"name": "hydro", "zone": "B", "capacity_mw": 60},
        ],
        shocks=[
            {
                "type": "unit_trip",
                "fleet": "gas",
                "units": 2,
                "start": "2022-01-05T03:00",
                "end": "2022-01-09",
            },
            {"type": "unit_trip", "fleet": "hydro", "start": "2022-02-20T12:30"},
            {"type": "outage_rate", "start": "2022-01-01", "end": "2022-01-15", "factor": 4},
        ],
        start="2021-11-25",
        end="2022-03-05",
    )
    clock = clock_of(sc)
    units = unit_table(sc, clock)
    t, u, up, up0 = sample_outages(units, clock.horizon_h, np.random.default_rng(seed))
    fast = available_capacity(units, clock, 2, t, u, up, up0)
    assert np.allclose(fast, brute_available(sc, units, clock, t, u, up, up0))


def test_a_unit_trip_holds_units_out_over_its_window_only():
    sc = scenario(
        [{"name": "steam", "zone": "A", "capacity_mw": 100, "count": 3}],
        shocks=[
            {"type": "unit_trip", "fleet": "steam", "units": 2, "start": "2022-01-02", "end": "2022-01-03"}
        ],
        end="2022-01-05",
    )
    static = prepare(sc)
    bal = dispatch(static, simulate(static, 0))
    gen = bal.generation[0]
    assert (gen[24:48] == 100).all()
    assert (gen[:24] == 300).all() and (gen[48:] == 300).all()


def test_a_tripped_unit_returns_in_the_state_its_outage_process_left_it():
    """Over many replications, a unit tripped for a week is back up after the trip
    with the stationary availability, not always up."""
    sc = scenario(
        [{"name": "u", "zone": "A", "capacity_mw": 100, "mttf_h": 60, "mttr_h": 40}],
        shocks=[{"type": "unit_trip", "fleet": "u", "start": "2022-01-01", "end": "2022-01-08"}],
        end="2022-01-09",
        replications=400,
    )
    static = prepare(sc)
    after = []
    for rep in range(400):
        gen = dispatch(static, simulate(static, rep)).generation[0]
        assert (gen[: 7 * 24] == 0).all()
        after.append(gen[7 * 24] > 0)
    assert binomial_ok(sum(after), 400, 0.6)


def test_winter_derating_applies_in_winter_months_only():
    sc = scenario(
        [{"name": "w", "zone": "A", "capacity_mw": 200, "winter_derating": 0.25}],
        start="2022-02-27",
        end="2022-03-02",
        timezone="Asia/Almaty",
    )
    static = prepare(sc)
    gen = dispatch(static, simulate(static, 0)).generation[0]
    feb = static.clock.month == 2
    assert (gen[feb] == 150).all() and (gen[~feb] == 200).all()
    assert feb.sum() == 48


def test_a_cold_snap_leaves_every_outage_before_it_unchanged():
    """Common random numbers unit by unit: each unit draws its own column of
    variates (outages.UnitDraws), so a cold snap in January changes no outage
    drawn before it, in any unit (it used to reshuffle draws between units from
    the first weeks on, which blurred paired comparisons)."""
    from sim.model.replication import draw_grid, prepare, streams
    from sim.scenario.load import load_scenario

    base = prepare(load_scenario(ROOT / "scenarios" / "kazakhstan_2021_22.yaml"))
    snap = prepare(load_scenario(ROOT / "scenarios" / "shortages" / "cold_snap.yaml"))
    t_snap = base.clock.hours(pd.Timestamp("2022-01-17"))
    for rep in range(4):
        a = draw_grid(base, streams(base.scenario.seed, rep))
        b = draw_grid(snap, streams(snap.scenario.seed, rep))
        early_a, early_b = a[0] < t_snap, b[0] < t_snap
        assert (a[3] == b[3]).all()  # initial states
        for k in range(3):  # times, units, new states
            assert np.array_equal(a[k][early_a], b[k][early_b])
        assert not np.array_equal(a[0], b[0])  # the snap does change later outages


def test_unit_draws_give_each_unit_its_own_column():
    rng = np.random.default_rng(5)
    d = outages.UnitDraws(4, rng)
    first = d.round(0, np.array([0, 1, 2, 3]))
    assert np.array_equal(d.round(0, np.array([2])), first[[2]])
    late = d.round(outages.ROUNDS_BLOCK + 3, np.array([1, 3]))  # a second block, drawn on demand
    again = d.round(outages.ROUNDS_BLOCK + 3, np.array([3]))
    assert late[1] == again[0]
