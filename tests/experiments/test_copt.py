"""A textbook single-zone system against an exact capacity outage probability table.

Units start in their stationary state and each step sees the state at its start
(sim/clock.py), so at every step the available capacity has exactly the COPT's
distribution; LOLE and EUE are sums over steps of exact COPT quantities. LOLF
(runs of consecutive short steps) needs the joint law of two consecutive steps,
which is exact too: each unit is a two-state Markov chain with known transition
probabilities over one step.

The exact values are computed here, independently of sim/.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

from sim.experiments.ensemble import run_ensemble
from sim.scenario.load import load_scenario

SCENARIO = DATA / "copt_single_zone.yaml"


# ------------------------------------------------------------------ exact values


def copt(units):
    """Capacity outage probability table by the classic unit-addition recursion.

    ``units``: (capacity MW, forced outage rate). Returns ``{outage_mw: probability}``.
    """
    table = {0.0: 1.0}
    for cap, q in units:
        new: dict[float, float] = {}
        for out, p in table.items():
            new[out] = new.get(out, 0.0) + p * (1 - q)
            new[out + cap] = new.get(out + cap, 0.0) + p * q
        table = new
    return table


def unit_params(sc):
    """(capacity, availability A, e = exp(-(lambda + mu) dt)) of every unit."""
    dt = sc.step_h
    out = []
    for f in sc.generation.units:
        lam, mu = 1 / f.mttf, 1 / f.mttr_h
        out += [(f.capacity_mw, mu / (lam + mu), math.exp(-(lam + mu) * dt))] * f.count
    return out


def exact_lole_eue(sc, load):
    """LOLE (h) and EUE (MWh) from the COPT, summed over the steps of ``load``."""
    params = unit_params(sc)
    total = sum(c for c, _, _ in params)
    table = copt([(c, 1 - a) for c, a, _ in params])
    out = np.array(list(table))
    prob = np.array(list(table.values()))
    assert prob.sum() == pytest.approx(1.0)
    avail = total - out  # capacity in each state of the table
    short = np.maximum(load[:, None] - avail[None, :], 0.0)  # steps x states
    lole = float(((short > 0) * prob).sum() * sc.step_h)
    eue = float((short * prob).sum() * sc.step_h)
    return lole, eue


def exact_lolf(sc, load):
    """Expected number of runs of short steps: P(short at 0) + sum over k >= 1 of
    P(short at k, not short at k - 1), from the two-step joint law of the units."""
    params = unit_params(sc)
    states = np.array(list(itertools.product((1, 0), repeat=len(params))))  # 1: up
    cap = np.array([c for c, _, _ in params])
    a = np.array([p for _, p, _ in params])
    e = np.array([x for _, _, x in params])
    p_state = np.prod(np.where(states == 1, a, 1 - a), axis=1)
    # One-step transition of each unit: T[from, to] with 1 = up.
    t_uu, t_ud = a + (1 - a) * e, (1 - a) * (1 - e)
    t_du, t_dd = a * (1 - e), (1 - a) + a * e
    s0, s1 = states[:, None, :], states[None, :, :]
    trans = np.where(s0 == 1, np.where(s1 == 1, t_uu, t_ud), np.where(s1 == 1, t_du, t_dd)).prod(axis=2)
    joint = p_state[:, None] * trans  # P(state i at k-1, state j at k)
    assert joint.sum() == pytest.approx(1.0)
    assert joint.sum(axis=0) == pytest.approx(p_state)  # stationary
    c_state = states @ cap
    lolf = float(p_state[c_state < load[0]].sum())
    for k in range(1, load.size):
        enter = (c_state[:, None] >= load[k - 1]) & (c_state[None, :] < load[k])
        lolf += float(joint[enter].sum())
    return lolf


def test_the_exact_copt_agrees_with_enumeration_of_unit_states():
    units = [(120, 0.1), (100, 0.1), (60, 0.05), (60, 0.05)]
    table = copt(units)
    brute: dict[float, float] = {}
    for down in itertools.product((False, True), repeat=len(units)):
        out = sum(c for (c, _), d in zip(units, down, strict=True) if d)
        p = math.prod(q if d else 1 - q for (_, q), d in zip(units, down, strict=True))
        brute[out] = brute.get(out, 0.0) + p
    assert table.keys() == brute.keys()
    for k in table:
        assert table[k] == pytest.approx(brute[k])


# ----------------------------------------------------------------- the model


@pytest.fixture(scope="module")
def textbook():
    sc = load_scenario(SCENARIO)
    load = pd.read_csv(DATA / "copt_load.csv")["demand_mw"].to_numpy()
    assert load.size == sc.n_steps
    result = run_ensemble(sc, workers=1, progress=False)
    return sc, load, result


def test_the_textbook_system_is_meaningful(textbook):
    sc, load, result = textbook
    lole, eue = exact_lole_eue(sc, load)
    # Enough shortage that the comparison means something, far from certain.
    assert 5 < lole < 0.5 * sc.horizon_h
    assert eue > 100
    assert result.n == sc.replications >= 500


@pytest.mark.parametrize("metric", ["lole_h", "eue_mwh", "lolf"])
def test_lole_eue_lolf_match_the_exact_copt_within_the_95_interval(textbook, metric):
    sc, load, result = textbook
    lole, eue = exact_lole_eue(sc, load)
    exact = {"lole_h": lole, "eue_mwh": eue, "lolf": exact_lolf(sc, load)}[metric]
    est = result.estimate(metric)
    assert est.ci95_low <= exact <= est.ci95_high, (metric, exact, est)
    # ... and the interval is tight enough to tell a wrong model: +-10 %.
    assert est.ci95_high - est.ci95_low < 0.2 * exact


def test_the_by_zone_losses_equal_the_national_ones_in_a_single_zone(textbook):
    _, _, result = textbook
    reps = result.replications
    for m in ("eue_mwh", "lole_h", "lolf", "peak_shortfall_mw"):
        assert (reps[m] == reps[f"{m}.Z"]).all()


def test_the_per_step_loss_of_load_probability_matches_the_copt(textbook):
    """Mean shed per step against the exact expected unserved power per step."""
    sc, load, result = textbook
    mean_shed = result.timeseries().query("variable == 'shed_mw' and zone == 'Z'")["mean"].to_numpy()
    params = unit_params(sc)
    table = copt([(c, 1 - a) for c, a, _ in params])
    avail = sum(c for c, _, _ in params) - np.array(list(table))
    prob = np.array(list(table.values()))
    exact = (np.maximum(load[:, None] - avail[None, :], 0.0) * prob).sum(axis=1)
    # Averaged over the day's hours, the profile matches within 10 %.
    by_hour_model = mean_shed.reshape(-1, 24).mean(axis=0)
    by_hour_exact = exact.reshape(-1, 24).mean(axis=0)
    peak = by_hour_exact > 0.5 * by_hour_exact.max()
    assert by_hour_model[peak] == pytest.approx(by_hour_exact[peak], rel=0.1)


# ------------------------------------------------- one unit against a constant load


def test_one_unit_against_a_constant_load_gives_the_closed_form_lole_and_lolf(write):
    """Short exactly when the unit is down. With A = MTTF / (MTTF + MTTR) and
    e = exp(-(1/MTTF + 1/MTTR) dt): E[LOLE] = T (1 - A) dt and
    E[LOLF] = (1 - A) + (T - 1) A (1 - A) (1 - e)."""
    mttf, mttr, steps = 90.0, 10.0, 24 * 14
    path = write(
        "one_unit.yaml",
        f"""\
        name: one_unit
        start: 2022-01-01
        end: 2022-01-15
        seed: 5
        replications: 800
        zones:
          A:
            demand:
              peak_mw: 100
              hourly: {[1.0] * 24}
              monthly: {[1.0] * 12}
              weekend_factor: 1.0
        generation:
          units:
            - {{name: u, zone: A, capacity_mw: 150, mttf_h: {mttf}, mttr_h: {mttr}}}
        """,
    )
    sc = load_scenario(path)
    assert sc.n_steps == steps
    result = run_ensemble(sc, workers=1, progress=False)
    demand = result.timeseries().query("variable == 'demand_mw'")["mean"]
    assert np.allclose(demand, 100.0)
    a = mttf / (mttf + mttr)
    e = math.exp(-(1 / mttf + 1 / mttr))
    exact_lole = steps * (1 - a)
    exact_lolf = (1 - a) + (steps - 1) * a * (1 - a) * (1 - e)
    for metric, exact in (("lole_h", exact_lole), ("lolf", exact_lolf)):
        est = result.estimate(metric)
        assert est.ci95_low <= exact <= est.ci95_high, (metric, exact, est)
    # Every short hour sheds the whole 100 MW load.
    reps = result.replications
    assert np.allclose(reps["eue_mwh"], 100.0 * reps["lole_h"])
