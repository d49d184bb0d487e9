"""Mining facilities: the sampled population, its sizes and devices, connections,
waves and exits, and the load they put on the grid."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import binomial_ok
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.model.balance import facility_load
from sim.model.clock import Clock
from sim.model.mining import ALREADY_CONNECTED, lognormal_sizes, sample_population
from sim.model.replication import prepare, simulate, streams
from sim.scenario.schema import Scenario, SizeDistribution

Z90 = 1.2815515655446004  # 90th percentile of the standard normal


def scenario(mining, shocks=(), end="2022-02-01", **extra):
    return Scenario.model_validate(
        {
            "name": "mine",
            "start": "2022-01-01",
            "end": end,
            "zones": {"North": {"demand": {"peak_mw": 100}}, "South": {"demand": {"peak_mw": 100}}},
            "mining": mining,
            "shocks": list(shocks),
            **extra,
        }
    )


def population(sc, seed=0):
    clock = Clock(sc.start, sc.timezone, sc.step_h, sc.n_steps)
    return sample_population(sc, clock, np.random.default_rng(seed)), clock


POPULATIONS = {
    "grey_scale": 1.5,
    "populations": [
        {"zone": "North", "legal_status": "licensed", "total_mw": 120.5},
        {"zone": "North", "legal_status": "grey", "total_mw": 80},
        {"zone": "South", "legal_status": "grey", "total_mw": 33.3, "utilisation": 0.8},
        {"zone": "South", "legal_status": "licensed", "count": 7},
        {"zone": "South", "legal_status": "grey", "count": 10},
    ],
}


@pytest.mark.parametrize("seed", range(5))
def test_populations_reach_their_total_mw_exactly(seed):
    sc = scenario(POPULATIONS)
    t, _ = population(sc, seed)
    # Populations are drawn in order; split the table back by zone and status.
    north_lic = t.capacity_mw[(t.zone == 0) & t.licensed].sum()
    north_grey = t.capacity_mw[(t.zone == 0) & ~t.licensed].sum()
    assert north_lic == pytest.approx(120.5, rel=1e-12)
    assert north_grey == pytest.approx(80 * 1.5, rel=1e-12)  # grey_scale
    assert ((t.zone == 1) & t.licensed).sum() == 7
    south_grey = np.flatnonzero((t.zone == 1) & ~t.licensed)
    assert t.capacity_mw[south_grey[:-15]].sum() == pytest.approx(33.3 * 1.5, rel=1e-12)
    assert len(south_grey) - len(south_grey[:-15]) == 15  # count 10 x grey_scale 1.5


def test_load_is_capacity_times_utilisation():
    sc = scenario(POPULATIONS)
    t, _ = population(sc)
    util = np.where((t.zone == 1) & ~t.licensed, 0.8, 0.95)
    util[-15:] = 0.95
    assert np.allclose(t.load_mw, t.capacity_mw * util)


@settings(max_examples=40, deadline=None)
@given(
    total=st.floats(0.5, 500),
    median=st.floats(0.2, 5),
    ratio=st.floats(1.1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_total_is_reached_exactly_with_sizes_inside_the_bounds(total, median, ratio, seed):
    sizes = {"median_mw": median, "p90_mw": median * ratio, "cap_mw": median * ratio * 2, "min_mw": 0.1}
    sc = scenario(
        {"populations": [{"zone": "North", "legal_status": "grey", "total_mw": total, "sizes": sizes}]}
    )
    t, _ = population(sc, seed)
    assert t.capacity_mw.sum() == pytest.approx(total, rel=1e-12)
    # Draws lie in [min_mw, cap_mw]; the rescaling to the exact total only shrinks them.
    assert (t.capacity_mw > 0).all()
    assert (t.capacity_mw <= sizes["cap_mw"] * (1 + 1e-12)).all()


def test_lognormal_sizes_recover_the_median_and_90th_percentile():
    d = SizeDistribution(median_mw=3.0, p90_mw=15.0, cap_mw=1e9, min_mw=1e-9)
    x = lognormal_sizes(d, 20_000, np.random.default_rng(1))
    n = x.size
    assert binomial_ok((x <= 3.0).sum(), n, 0.5)
    assert binomial_ok((x <= 15.0).sum(), n, 0.9)
    # The whole law: lognormal with mu = ln(median), sigma = ln(p90 / median) / z90.
    law = stats.lognorm(s=np.log(5.0) / Z90, scale=3.0)
    assert stats.kstest(x, law.cdf).pvalue > 0.001


def test_truncated_sizes_follow_the_lognormal_conditioned_on_the_bounds():
    d = SizeDistribution(median_mw=3.0, p90_mw=15.0, cap_mw=20.0, min_mw=0.5)
    x = lognormal_sizes(d, 20_000, np.random.default_rng(2))
    assert x.min() >= 0.5 and x.max() <= 20.0
    law = stats.lognorm(s=np.log(5.0) / Z90, scale=3.0)
    a, b = law.cdf(0.5), law.cdf(20.0)
    assert stats.kstest(x, lambda v: (law.cdf(v) - a) / (b - a)).pvalue > 0.001


def test_devices_follow_the_hardware_mix_and_power():
    mining = {
        "overhead": 1.1,
        "hardware": [{"name": "S9", "kw": 1.0, "share": 0.3}, {"name": "S19", "kw": 3.0, "share": 0.7}],
        "populations": [{"zone": "North", "legal_status": "grey", "count": 3000}],
    }
    t, _ = population(scenario(mining), 4)
    kw_each = t.capacity_mw * 1000 / t.devices / 1.1
    s9 = np.abs(kw_each - 1.0) < 0.05
    s19 = np.abs(kw_each - 3.0) < 0.15
    assert (s9 | s19).all()
    assert binomial_ok(s9.sum(), t.n, 0.3)
    # devices = round(capacity / (kW per device x overhead))
    kw = np.where(s9, 1.0, 3.0) * 1.1
    assert (t.devices == np.rint(t.capacity_mw * 1000 / kw)).all()


def test_facilities_connect_uniformly_in_their_window_or_are_already_connected():
    mining = {
        "populations": [
            {
                "zone": "North",
                "legal_status": "grey",
                "count": 500,
                "connect": {"start": "2022-01-05", "end": "2022-01-15"},
            },
            {"zone": "South", "legal_status": "licensed", "count": 20},
        ]
    }
    t, _ = population(scenario(mining))
    late = t.connect_h[:500]
    assert late.min() >= 4 * 24 and late.max() < 14 * 24
    assert stats.kstest(late, stats.uniform(96, 240).cdf).pvalue > 0.001
    assert (t.connect_h[500:] == ALREADY_CONNECTED).all()


def test_grid_load_rises_as_facilities_connect_and_matches_their_loads():
    mining = {
        "populations": [
            {
                "zone": "North",
                "legal_status": "grey",
                "count": 40,
                "connect": {"start": "2022-01-05", "end": "2022-01-15"},
            },
            {"zone": "South", "legal_status": "licensed", "total_mw": 25},
        ]
    }
    static = prepare(scenario(mining))
    raw = simulate(static, 0)
    grey, licensed = facility_load(static, raw)
    t = raw.facilities
    assert grey[0, 0] == 0 and grey[1].max() == 0
    assert np.allclose(licensed[1], 25 * 0.95) and licensed[0].max() == 0
    assert grey[0, -1] == pytest.approx(t.load_mw[~t.licensed].sum())
    assert (np.diff(grey[0]) >= -1e-9).all()
    # At each step, the facilities connected by its start.
    k = np.arange(static.clock.n_steps)
    expect = (t.load_mw[~t.licensed][None, :] * (t.connect_h[~t.licensed][None, :] <= k[:, None])).sum(axis=1)
    assert np.allclose(grey[0], expect)
    events = raw.events
    assert (events["event"] == "operating").sum() == 40


def test_a_mining_wave_adds_its_capacity_inside_its_window():
    sc = scenario(
        {"populations": []},
        shocks=[
            {
                "type": "mining_wave",
                "zone": "South",
                "legal_status": "grey",
                "total_mw": 150,
                "start": "2022-01-10",
                "end": "2022-01-20",
            }
        ],
    )
    t, _ = population(sc)
    assert t.capacity_mw.sum() == pytest.approx(150)
    assert (t.zone == 1).all() and not t.licensed.any()
    assert t.connect_h.min() >= 9 * 24 and t.connect_h.max() < 19 * 24


def test_an_exodus_takes_the_given_share_of_operating_facilities_in_its_window():
    sc = scenario(
        {
            "populations": [
                {"zone": "North", "legal_status": "licensed", "count": 1000},
                {"zone": "South", "legal_status": "grey", "count": 300},
            ]
        },
        shocks=[
            {
                "type": "exodus",
                "share": 0.3,
                "legal_status": "licensed",
                "start": "2022-01-10",
                "end": "2022-01-20",
            }
        ],
    )
    static = prepare(sc)
    raw = simulate(static, 0)
    ev = raw.events
    exited = ev["entity"][ev["event"] == "exited"]
    times = ev["t_h"][ev["event"] == "exited"]
    assert raw.facilities.licensed[exited].all()
    assert len(set(exited.tolist())) == len(exited)
    assert binomial_ok(len(exited), 1000, 0.3)
    assert times.min() >= 9 * 24 and times.max() < 19 * 24
    assert (ev["mw"][ev["event"] == "exited"] == -raw.facilities.load_mw[exited]).all()


def test_each_component_draws_from_its_own_stream():
    a, b = streams(7, 3), streams(7, 3)
    # New streams go at the end, so the streams before them keep their draws.
    names = ["population", "outages", "enforcement", "shocks", "weather", "outside", "renewables"]
    assert list(a) == [*names, "economics", "deterrence"]
    for name in a:
        assert a[name].random() == b[name].random()
    draws = {name: streams(7, 3)[name].random() for name in a}
    assert len(set(draws.values())) == len(draws)
    # Replication i is SeedSequence(seed).spawn(...)[i]: independent of the total.
    child = np.random.SeedSequence(7).spawn(4)[3]
    assert streams(7, 3)["population"].random() == np.random.default_rng(child.spawn(5)[0]).random()
    fresh = np.random.SeedSequence(7).spawn(4)[3]  # spawn() counts its children: a new parent
    assert streams(7, 3)["weather"].random() == np.random.default_rng(fresh.spawn(5)[4]).random()
