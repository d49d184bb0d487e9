"""The operator's day-ahead rule: its vectorised margin against a step-by-step
reference, and the orders it gives on small constructed scenarios with known
answers (rations, cuts, lifts, mixes with scripted orders, never rations less
when demand grows)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT

import sim
from sim.model import operator as op
from sim.model.mining import sample_population
from sim.model.replication import draw_grid, prepare, simulate, streams
from sim.model.signals import day_starts
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario

FLAT = {"peak_mw": 900, "hourly": [1.0] * 24, "weekend_factor": 1.0, "monthly": [1.0] * 12}
RULE = {"ration_below_mw": 50, "cutoff_below_mw": 0, "lift_after_days": 3, "licensed_limit": 0.5}


def deficit_case(orders=()):
    """Zone A: 1,000 MW that never fail against 900 MW of flat load (10 MW per C
    of cold); zone B: 300 against 300, linked by 200 MW each way. The margin is
    100 MW in both, 30 in the cold snap of 10-11 Jan (-7 C: rationed, not cut with
    ~20 MW of licensed miners at half) and -50 on 1 Feb (-15 C: cut off)."""
    return Scenario.model_validate(
        {
            "name": "deficit",
            "start": "2022-01-01",
            "end": "2022-03-01",
            "zones": {
                "A": {"demand": FLAT, "temperature_sensitivity_mw_per_c": 10},
                "B": {"demand": {**FLAT, "peak_mw": 300}},
            },
            "generation": {
                "units": [
                    {"name": "a", "zone": "A", "capacity_mw": 1000},
                    {"name": "b", "zone": "B", "capacity_mw": 300},
                ]
            },
            "links": [{"name": "ab", "from": "A", "to": "B", "capacity_mw": 200}],
            "mining": {
                "populations": [
                    {
                        "zone": "A",
                        "legal_status": "licensed",
                        "total_mw": 20,
                        "sizes": {"median_mw": 2, "p90_mw": 4, "cap_mw": 5},
                    }
                ]
            },
            "operator": {"rule": RULE, "orders": list(orders)},
            "shocks": [
                {"type": "cold_snap", "start": "2022-01-10", "end": "2022-01-12", "delta_c": -7},
                {"type": "cold_snap", "start": "2022-02-01", "end": "2022-02-02", "delta_c": -15},
            ],
        }
    )


def daily(static, allowed):
    """Allowed share per zone and local day (Z x D), checking it is flat within days."""
    starts = day_starts(static.clock)
    lo = np.minimum.reduceat(allowed, starts, axis=1)
    assert np.array_equal(lo, np.maximum.reduceat(allowed, starts, axis=1))
    return lo


def test_the_rule_rations_cuts_and_lifts_on_a_known_deficit():
    static = prepare(deficit_case())
    sig = op.rule_signals(static, 0)
    a = daily(static, sig.allowed)[0]
    expected = np.ones(59)
    expected[9:13] = 0.5  # bad on 10 and 11 Jan; lifted on the third good day, 14 Jan
    expected[31:34] = 0.0  # bad on 1 Feb: cut off (and rationed) to 3 Feb, lifted on 4 Feb
    np.testing.assert_array_equal(a, expected)
    assert sig.first_limit_h == 9 * 24 and sig.first_cutoff_h == 31 * 24
    # Zone B sees A's surplus over the link (100 MW), so its margin follows A's.
    np.testing.assert_array_equal(daily(static, sig.allowed)[1], expected)


def test_scripted_orders_mix_with_the_rule_and_the_stricter_wins():
    order = {"name": "limit", "start": "2022-01-11", "end": "2022-01-16", "licensed_limit": 0.3}
    order["zones"] = ["A"]
    static = prepare(deficit_case([order]))
    a = daily(static, op.rule_signals(static, 0).allowed)
    np.testing.assert_array_equal(a[0, 8:17], [1, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 1, 1])
    np.testing.assert_array_equal(a[1, 8:17], [1, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1])


def test_the_balance_and_the_actors_follow_the_rules_orders():
    static = prepare(deficit_case())
    sig = op.replication_signals(static, 0)
    raw = simulate(static, 0, sig)
    assert raw.signals is sig
    from sim.model.balance import dispatch

    bal = dispatch(static, raw)
    np.testing.assert_allclose(bal.allowed, bal.licensed * sig.allowed)


def reference_margin(static, table, grid):
    """The rule's margin step by step in plain Python: each unit's state replayed
    from its outage record, every facility checked, the tree walked per step."""
    sc, clock = static.scenario, static.clock
    rule = sc.operator.rule
    zones = list(sc.zones)
    t_h, unit, is_up, up0, anomaly, avail, _wind = grid
    assert static.supply is None and not static.units.held_out
    T, Z = clock.n_steps, len(zones)
    step = clock.step_of(t_h)
    order = np.argsort(t_h, kind="stable")
    month = clock.month
    units = static.units
    state = list(up0)
    ev = 0
    own = np.zeros((Z, T))
    for k in range(T):
        while ev < len(order) and step[order[ev]] <= k:
            state[unit[order[ev]]] = bool(is_up[order[ev]])
            ev += 1
        for z in range(Z):
            gen = 0.0
            for u in range(units.n):
                if units.zone[u] == z and state[u]:
                    derate = units.derating[u] if units.winter[u, month[k] - 1] else 0.0
                    gen += units.capacity_mw[u] * (1.0 - derate)
            grey = 0.0
            for i in range(table.n):
                on = clock.step_of(max(table.connect_h[i], 0)) <= k
                if on and table.zone[i] == z and not table.licensed[i]:
                    grey += table.load_mw[i]
            weather = anomaly[k] + static.cold_c[k]
            demand = max(static.base_demand[z, k] - static.sensitivity[z] * weather, 0.0)
            imports = 0.0
            outside = [lk for lk in sc.links if lk.from_ in sc.outside]
            for j, link in enumerate(outside):
                if zones.index(link.to) == z:
                    cap = link.unscheduled_mw if link.unscheduled_mw is not None else np.inf
                    imports += min(link.capacity_mw * avail[j, k], cap)
            own[z, k] = gen + imports - static.reserve[z] - demand - rule.grey_share * grey
    inner = [lk for lk in sc.links if lk.from_ in sc.zones]
    margin = np.zeros((Z, T))
    for k in range(T):

        def beyond(z, came_from, k=k):
            """What the zones beyond ``z`` (away from ``came_from``) net, z included."""
            total = own[z, k]
            for lk in inner:
                a, b = zones.index(lk.from_), zones.index(lk.to)
                if z in (a, b) and came_from not in (a, b):
                    other = b if z == a else a
                    into_z = lk.reverse_mw if z == a else lk.capacity_mw
                    out_of_z = lk.capacity_mw if z == a else lk.reverse_mw
                    total += min(max(beyond(other, z), -out_of_z), into_z)
            return total

        for z in range(Z):
            margin[z, k] = beyond(z, -1)
    return margin


def test_the_vectorised_margin_matches_a_step_by_step_reference(example):
    sc = sim.load_scenario(
        "scenarios/examples/two_zones.yaml",
        overrides=[
            "operator.rule={grey_share: 0.5}",
            "end=2022-01-15",
            "target.by=2022-01-14",
            "links.0.reverse_capacity_mw=120",
        ],
    )
    static = prepare(sc)
    assert static.outside.n == 1
    for rep in (0, 1):
        rng = streams(sc.seed, rep)
        table = sample_population(sc, static.clock, rng["population"])
        grid = draw_grid(static, rng)
        m = op.margins(static, table, grid)
        np.testing.assert_allclose(m.margin, reference_margin(static, table, grid), atol=1e-6)


@pytest.mark.parametrize("seed", [1, 2])
def test_more_demand_never_means_less_rationing(seed):
    shares = []
    for scale in (0.9, 1.0, 1.1, 1.25):
        sc = sim.load_scenario(
            "scenarios/examples/two_zones.yaml",
            overrides=[
                f"seed={seed}",
                "operator.rule={ration_below_mw: 150, cutoff_below_mw: 0, lift_after_days: 3}",
                f"zones.North.demand.peak_mw={1000 * scale}",
                f"zones.South.demand.peak_mw={600 * scale}",
            ],
        )
        static = prepare(sc)
        per_rep = []
        for rep in range(3):
            a = daily(static, op.rule_signals(static, rep).allowed)
            per_rep.append([np.mean(a < 1.0), np.mean(a <= 0.0)])
        shares.append(per_rep)
    s = np.array(shares)  # scale x replication x (rationed, cut) share of zone-days
    assert (np.diff(s, axis=0) >= 0).all(), s
    assert s[-1, :, 0].mean() > s[0, :, 0].mean()  # and it does change with demand


def test_simulate_refuses_a_rule_scenario_without_its_signals():
    """The rule's orders come from each replication's grid: simulating without
    them would silently run the scripted orders instead."""
    static = prepare(load_scenario(ROOT / "scenarios" / "kazakhstan_2021_22.yaml"))
    with pytest.raises(ValueError, match="operator rule"):
        simulate(static, 0)
    raw = op.run_replication(static, 0)
    assert raw.signals is not None and (raw.signals.allowed < 1).any()


@pytest.mark.parametrize("lift", [0, 1, 3, 7])
def test_held_orders_match_the_day_by_day_rule_and_the_process_issues_them(lift):
    """Vectorised over days, the rule gives what its day-by-day statement gives: an
    order starts on a short day and is lifted on the ``lift``-th good day in a
    row; the operator's process, waking only when the orders change, writes the
    same orders at their decision hours."""
    rng = np.random.default_rng(lift)
    short = rng.random((4, 60)) < [[0.05], [0.2], [0.5], [0.0]]
    want = np.zeros_like(short)
    for i, row in enumerate(short):
        on, good = False, 0
        for d, bad in enumerate(row):
            if bad:
                on, good = True, 0
            else:
                good += 1
                on = on and good < lift
            want[i, d] = on
    held = op.held_orders(short, lift)
    np.testing.assert_array_equal(held, want)
    env = op.simpy.Environment()
    orders = np.ones_like(short)
    env.process(op.decide(env, [24.0 * d + 18 for d in range(60)], held, orders))
    env.run()
    np.testing.assert_array_equal(orders, want)
    # Its last wake is the decision hour of the last day the orders change.
    last_change = np.flatnonzero(np.r_[True, (want[:, 1:] != want[:, :-1]).any(axis=0)])[-1]
    assert env.now == 24.0 * last_change + 18
