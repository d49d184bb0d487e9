"""What the units can give over the year: monthly derating against the winter
switch, hydro energy budgets placed on the peak hours, wind's random capacity
factor against its exact monthly mean, failure rates that rise with the cold
against the exact stationary unavailability, and units of single plants.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import EXAMPLE, Z99

from sim.errors import ScenarioError
from sim.model import supply
from sim.model.balance import dispatch
from sim.model.replication import prepare, simulate
from sim.scenario.load import load_scenario

FLAGSHIP = "scenarios/kazakhstan_2021_22.yaml"


def test_a_monthly_derating_equal_to_the_winter_switch_gives_the_same_capacity():
    """north_coal loses 5 % in Dec-Feb: written as twelve months it is the same."""
    months = "[0.05, 0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.05]"
    plain = prepare(load_scenario(EXAMPLE))
    monthly = prepare(load_scenario(EXAMPLE, [f"generation.units.0.monthly_derating={months}"]))
    assert plain.supply is None and monthly.supply is not None
    for rep in range(3):
        a = dispatch(plain, simulate(plain, rep)).generation
        b = dispatch(monthly, simulate(monthly, rep)).generation
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_hydro_energy_goes_to_the_peak_hours_of_each_day_within_its_ceiling():
    """A zone's load shape over two months; the budget (0.4 of the capacity in
    January, 0.9 in February) is met day by day, never above the ceiling (0.7),
    more at higher demand; with a budget above the ceiling, the ceiling."""
    st = prepare(load_scenario(EXAMPLE))
    clock, demand = st.clock, st.base_demand[0]
    budget = np.where(clock.month == 1, 0.4, 0.9)
    ceiling = np.full(clock.n_steps, 0.7)
    f = supply.fill_peaks(demand / 300.0, clock, budget, ceiling)
    assert (f >= 0).all() and (f <= 0.7 + 1e-12).all()
    jan = clock.month == 1
    per_day = np.bincount(clock.day[jan], weights=f[jan]) / np.bincount(clock.day[jan])
    np.testing.assert_allclose(per_day, 0.4, rtol=1e-9)
    np.testing.assert_allclose(f[~jan], 0.7)
    for d in range(5):
        day = clock.day == d
        order = np.argsort(demand[day])
        assert (np.diff(f[day][order]) >= -1e-12).all()  # more water where demand is higher
        assert f[day][order[0]] < f[day][order[-1]]


def test_wind_has_its_monthly_capacity_factor_on_average():
    """Daily factor 0.35 x exp(0.5 e - 0.125) in January (mean 0.35 before
    clipping, which at 0.35 x e^(0.5 x 3.3) = 1.8 cuts almost nothing: the
    clipped mean is computed exactly below) over 40 Januaries."""
    over = [
        "end=2062-01-01",
        "generation.units.1.capacity_factor={monthly: [0.35, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2,"
        " 0.2, 0.2], sd: 0.5, persistence: 0.4}",
    ]
    st = prepare(load_scenario(EXAMPLE, over))
    raw = simulate(st, 0)
    assert len(st.supply.variable) == 1
    jan = (st.clock.month == 1) & (st.clock.hour == 0)
    x = raw.variable[0, jan]
    # Exact mean of min(1, m exp(s Z - s^2/2)) for Z standard normal.
    from scipy import stats

    m, s = 0.35, 0.5
    cut = (math.log(1 / m) + s**2 / 2) / s
    exact = m * stats.norm.cdf(cut - s) + stats.norm.sf(cut)
    long_run = (1 + 0.4) / (1 - 0.4)  # the daily values are an AR(1) at most this persistent
    assert abs(x.mean() - exact) <= Z99 * x.std() * math.sqrt(long_run / x.size)
    assert np.std(np.log(x)) == pytest.approx(0.5, rel=0.05)


def test_failure_rates_rise_with_the_cold_to_the_exact_unavailability():
    """Ten degrees below normal all year with +8 % per C: failure rate x1.8, so
    a unit with MTTF 270 h and MTTR 30 h is out 30 / (30 + 150) = 1/6 of the
    time instead of 1/10."""
    over = [
        "end=2032-01-01",
        "generation.units=[{name: u, zone: North, capacity_mw: 100, count: 4, mttf_h: 270, mttr_h: 30}]",
        "generation.cold_outage_per_c=0.08",
        "weather.anomaly_sd_c=0",
        "shocks=[{type: cold_snap, delta_c: -10, start: 2022-01-01}]",
        "mining.populations=[]",
        "enforcement.enabled=false",
    ]
    st = prepare(load_scenario(EXAMPLE, over))
    raw = simulate(st, 1)
    gen = dispatch(st, raw).generation[0]
    out = 1 - gen.mean() / 400
    # Unavailability of 4 independent alternating renewal processes: the sd of the
    # time average of one is about sqrt(2 p (1 - p) tau / T) with tau = MTTR x MTTF / (MTTR + MTTF).
    p, tau, T = 1 / 6, 30 * 150 / 180, gen.size
    assert abs(out - p) <= Z99 * math.sqrt(2 * p * (1 - p) * tau / T / 4)


def test_known_units_of_a_plant_replace_its_types_unit_size():
    """Ekibastuz GRES-1: 3,500 MW in the table, 7 units at 0.95 availability
    (475 MW each); GRES-2 in units of 500 MW: 2 units."""
    plants = '{"Ekibastuz TTP 1": {units: 7}, "Ekibastuz TTP 2": {unit_size_mw: 500, availability: 0.9}}'
    sc = load_scenario(FLAGSHIP, [f"generation.plant_tables.0.plants={plants}"], check_data=False)
    fleets = {f.name: f for f in sc.generation.units}
    assert (fleets["Ekibastuz TTP 1"].count, fleets["Ekibastuz TTP 1"].capacity_mw) == (7, 475.0)
    assert (fleets["Ekibastuz TTP 2"].count, fleets["Ekibastuz TTP 2"].capacity_mw) == (2, 450.0)


def test_a_plant_not_in_the_table_is_named_with_a_hint():
    plants = '{"Ekibastuz GRES 1": {units: 7}}'
    with pytest.raises(ScenarioError, match=r"plants\.Ekibastuz GRES 1: 'Ekibastuz GRES 1' is not a plant"):
        load_scenario(FLAGSHIP, [f"generation.plant_tables.0.plants={plants}"], check_data=False)
