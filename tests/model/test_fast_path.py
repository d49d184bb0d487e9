"""The fast paths are exact: the adequacy fast path (no mining load: solve only
the steps where generation can fall short), series kept on runs of steps, and
ensemble moments summed on runs. Each gives the same numbers, to the last bit,
as the per-step computation it replaces.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import DATA, EXAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.dispatch import balance as dispatch_balance
from sim.dispatch.runs import Steps, patch, spikes, unique, zone_sum
from sim.experiments import adequacy_batch
from sim.experiments.ensemble import run_ensemble, run_moments
from sim.model import balance as model_balance
from sim.model.balance import dispatch, dispatch_runs
from sim.model.outages import UnitDraws, _renewals, _warped_renewals
from sim.model.replication import prepare, simulate
from sim.results import metrics
from sim.results.stats import Sums
from sim.scenario.load import load_scenario

COPT = DATA / "copt_single_zone.yaml"
FIELDS = ("demand", "grey", "licensed", "allowed", "generation", "imports", "served", "shed", "curtailed",
          "flow_up")  # fmt: skip
NO_MINING = ["mining.populations=[]"]
#: Variants of the example without mining: imports, blocks, transfers, shocks.
VARIANTS = {
    "imports-blocks": [*NO_MINING, "operator.shed_block_fraction=0.05"],
    "pro-rata-15min": [*NO_MINING, "operator.curtail_licensed_first=false", "step_h=0.25"],
    "no-imports": [*NO_MINING, "links=[{name: ns, from: North, to: South, capacity_mw: 100}]"],
    "shocks": [
        *NO_MINING,
        "weather.anomaly_sd_c=6",
        "shocks=[{type: unit_trip, fleet: north_coal, units: 3, start: '2022-01-20 10:30',"
        " end: '2022-01-25'},"
        " {type: link_cut, links: [north_south], start: '2022-02-03 11:45', end: '2022-02-09'},"
        " {type: outage_rate, factor: 3.0, start: 2022-02-10},"
        " {type: cold_snap, delta_c: -15, start: 2022-01-05, end: 2022-01-12}]",
    ],
}


def bits(a) -> np.ndarray:
    """The bit patterns of a float array (tells -0.0 from 0.0)."""
    return np.ascontiguousarray(np.asarray(a, dtype=float)).view(np.int64)


def assert_same_bits(a, b, what="") -> None:
    assert np.shape(a) == np.shape(b), what
    assert np.array_equal(bits(a), bits(b)), what


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_adequacy_fast_path_balances_every_step_as_the_general_path(variant):
    st_ = prepare(load_scenario(EXAMPLE, VARIANTS[variant]))
    for rep in range(6):
        raw = simulate(st_, rep)
        assert raw.facilities.n == 0
        fast, general = dispatch(st_, raw), dispatch(st_, raw, fast=False)
        every = dispatch(st_, raw, compress=False)
        for name in FIELDS:
            assert_same_bits(getattr(fast, name), getattr(general, name), (variant, rep, name))
            assert_same_bits(getattr(fast, name), getattr(every, name), (variant, rep, name))


def _ensemble(path, overrides, seed, general):
    sc = load_scenario(path, overrides)
    if not general:
        return run_ensemble(sc, replications=60, seed=seed, workers=1, progress=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(metrics, "dispatch_runs", functools.partial(dispatch_runs, fast=False))
        mp.setattr(adequacy_batch, "ENABLED", False)  # one replication at a time
        return run_ensemble(sc, replications=60, seed=seed, workers=1, progress=False)


@pytest.mark.parametrize(
    ("path", "overrides"),
    [(COPT, []), (EXAMPLE, VARIANTS["imports-blocks"])],
    ids=["copt", "example-without-mining"],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fast_path_gives_the_summary_metrics_and_moments_of_the_general_path(path, overrides, seed):
    fast = _ensemble(path, overrides, seed, general=False)
    general = _ensemble(path, overrides, seed, general=True)
    assert list(fast.replications.columns) == list(general.replications.columns)
    for col in fast.replications.columns:
        assert_same_bits(fast.replications[col], general.replications[col], col)
    assert fast.replications["lole_h"].sum() > 0  # there is something to compare
    for name, m in fast.moments.items():
        g = general.moments[name]
        assert m.n == g.n
        assert_same_bits(m.mean, g.mean, name)
        assert_same_bits(m.m2, g.m2, name)


def test_the_fast_path_solves_only_the_steps_that_can_be_short(monkeypatch):
    st_ = prepare(load_scenario(COPT))
    solved = []
    real = model_balance.solve_secure

    def counting(net, supply, *args, **kwargs):
        solved.append(supply.shape[1])
        return real(net, supply, *args, **kwargs)

    monkeypatch.setattr(model_balance, "solve_secure", counting)
    short = 0
    for rep in range(40):
        bal = dispatch(st_, simulate(st_, rep))
        short += int((bal.shed > dispatch_balance.EPS_MW).sum())
    T = st_.clock.n_steps
    assert short > 0
    # Every short step is solved, and few others: the cost follows the deficits.
    assert short <= sum(solved) < 0.1 * 40 * T


def test_mining_load_takes_the_general_path(monkeypatch, example_static):
    def refuse(*args, **kwargs):
        raise AssertionError("fast path taken")

    monkeypatch.setattr(model_balance, "adequacy_balance", refuse)
    raw = simulate(example_static, 0)
    assert raw.facilities.n > 0
    dispatch(example_static, raw)


def test_outages_without_warp_are_the_draws_of_the_general_sampler():
    st_ = prepare(load_scenario(EXAMPLE))
    units = st_.units
    for seed in range(5):
        rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
        up = rng_a.random(units.n) < 0.9
        rng_b.random(units.n)
        fast = _renewals(
            np.flatnonzero(np.isfinite(units.mttf_h)),
            up,
            units.mttf_h,
            units.mttr_h,
            4000.0,
            UnitDraws(units.n, rng_a),
        )
        general = _warped_renewals(units, up.copy(), 4000.0, UnitDraws(units.n, rng_b))
        for a, b in zip(fast, general, strict=True):
            assert np.array_equal(a, b)
        assert rng_a.random() == rng_b.random()  # and they use the stream alike


# ------------------------------------------------------------------ runs of steps


STEPS, ZONES = st.integers(1, 60), st.integers(1, 10)


@st.composite
def step_series(draw, n=STEPS, zones=ZONES):
    """A random :class:`Steps` (values with repeats and signed zeros)."""
    n = draw(n)
    z = draw(zones)
    starts = np.array(sorted({0, *draw(st.lists(st.integers(0, n - 1), max_size=n))}), dtype=np.int64)
    pool = st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e300, -3.0, 1e-300])
    values = np.array(draw(st.lists(pool, min_size=z * starts.size, max_size=z * starts.size)))
    return Steps(starts, values.reshape(z, starts.size), n)


@settings(max_examples=150, deadline=None)
@given(s=step_series())
def test_squeezing_runs_keeps_every_step_to_the_bit(s):
    q = s.squeeze()
    assert_same_bits(q.expand(), s.expand())
    assert q.k <= s.k
    assert_same_bits(q.total(), s.expand().sum())
    assert_same_bits(zone_sum(s.values, s.n), s.expand().sum(axis=0)[s.starts])


@settings(max_examples=100, deadline=None)
@given(s=step_series(), data=st.data())
def test_patching_steps_replaces_exactly_those_steps(s, data):
    steps = unique(np.array(data.draw(st.lists(st.integers(0, s.n - 1), min_size=1)), dtype=np.int64))
    values = np.arange(s.values.shape[0] * steps.size, dtype=float).reshape(-1, steps.size) + 0.5
    want = s.expand().copy()
    want[:, steps] = values
    assert_same_bits(patch(s, steps, values).expand(), want)
    assert_same_bits(patch(s, steps, values, spikes(s.n, steps)).expand(), want)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), reps=st.integers(1, 30), n=st.integers(1, 40), zones=st.integers(1, 9))
def test_moments_on_runs_are_the_moments_of_the_per_step_series(data, reps, n, zones):
    series = [data.draw(step_series(n=st.just(n), zones=st.just(zones))) for _ in range(reps)]
    series = [Steps(s.starts, np.abs(s.values) % 1e6, n) for s in series]  # no overflow to inf
    sums = Sums()
    for s in series:
        sums.add(s.expand())
    want = sums.moments()
    got = run_moments(series).expand()
    assert got.n == want.n == reps
    assert_same_bits(got.mean, want.mean)
    assert_same_bits(got.m2, want.m2)
