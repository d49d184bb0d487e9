"""Ordinary demand (sim.model.demand): the load shape's factors, demand-growth
shocks, cold snaps and the daily AR(1) temperature anomaly against its theory.

The anomaly is x_0 ~ N(0, s^2), x_d = phi x_(d-1) + e_d with e_d ~ N(0, s^2 (1 - phi^2)),
so every day has variance s^2 and lag-1 autocorrelation phi (s: ``anomaly_sd_c``,
phi: ``persistence``). Statistical checks use 99 % intervals from the sample size
and a fixed seed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import mean_ci
from scipy import stats

from sim.model.balance import dispatch
from sim.model.clock import Clock
from sim.model.demand import cold_offset, shape_demand, static_demand, temperature_anomaly
from sim.model.replication import prepare, simulate
from sim.scenario.schema import LoadShape, Scenario

#: Two-sided 99 % normal quantile.
Z99 = stats.norm.ppf(0.995)
START = dt.datetime(2022, 1, 1)


def scenario(zones=None, shocks=(), end="2022-01-05", **extra):
    return Scenario.model_validate(
        {
            "name": "demand",
            "start": START,
            "end": end,
            "zones": zones or {"A": {"demand": {"peak_mw": 100}}},
            "shocks": list(shocks),
            **extra,
        }
    )


def clock_of(sc):
    return Clock(sc.start, sc.timezone, sc.step_h, sc.n_steps)


# ------------------------------------------------------------------ load shape

HOURLY = tuple(0.5 + h / 48 for h in range(24))  # all different
MONTHLY = tuple(0.7 + m / 40 for m in range(12))
SHAPE = LoadShape(peak_mw=500, hourly=HOURLY, monthly=MONTHLY, weekend_factor=0.9)


def test_the_load_shape_is_peak_times_hourly_monthly_and_weekend_factors_in_local_time():
    """Every hour of 2022 in Almaty (UTC+6, no daylight saving), from naive
    local-time arithmetic."""
    clock = Clock(START, "Asia/Almaty", 1.0, 8760)
    d = shape_demand(SHAPE, clock)
    expected = []
    for k in range(clock.n_steps):
        t = START + dt.timedelta(hours=k)
        expected.append(500 * HOURLY[t.hour] * MONTHLY[t.month - 1] * (0.9 if t.weekday() >= 5 else 1.0))
    np.testing.assert_allclose(d, expected, rtol=1e-13)


def test_weekend_and_monthly_factors_are_exact_ratios():
    clock = Clock(START, "Asia/Almaty", 1.0, 8760)
    d = shape_demand(SHAPE, clock)

    def at(when):
        return d[int(clock.hours(dt.datetime.fromisoformat(when)))]

    # Saturday / Friday and Monday / Sunday, same hour, same month.
    assert at("2022-01-08T10:00") / at("2022-01-07T10:00") == pytest.approx(0.9, rel=1e-13)
    assert at("2022-01-10T18:00") / at("2022-01-09T18:00") == pytest.approx(1 / 0.9, rel=1e-13)
    # Weekends start at local midnight (18:00 UTC on Friday).
    assert at("2022-01-08T00:00") / at("2022-01-07T00:00") == pytest.approx(0.9, rel=1e-13)
    # Tuesday in July / Tuesday in January, same hour.
    assert at("2022-07-05T18:00") / at("2022-01-04T18:00") == pytest.approx(
        MONTHLY[6] / MONTHLY[0], rel=1e-13
    )
    # Same day, two hours.
    assert at("2022-01-04T18:00") / at("2022-01-04T03:00") == pytest.approx(HOURLY[18] / HOURLY[3], rel=1e-13)


def test_the_hourly_factor_follows_the_wall_clock_across_daylight_saving_time():
    """Berlin skips 02:00 on Sunday 27 March 2022: the third step of the day is 03:00."""
    clock = Clock(dt.datetime(2022, 3, 27), "Europe/Berlin", 1.0, 24)
    d = shape_demand(SHAPE, clock)
    hours = [0, 1, *range(3, 24), 0]  # 23 hours in the day, then Monday 00:00
    factors = [HOURLY[h] * MONTHLY[2] * 0.9 for h in hours[:-1]] + [HOURLY[0] * MONTHLY[2]]
    np.testing.assert_allclose(d, 500 * np.array(factors), rtol=1e-13)


def test_quarter_hour_steps_keep_the_factor_of_their_hour():
    clock = Clock(START, "Asia/Almaty", 0.25, 96)
    d = shape_demand(SHAPE, clock).reshape(24, 4)
    np.testing.assert_allclose(d, np.repeat(500 * np.array(HOURLY) * MONTHLY[0] * 0.9, 4).reshape(24, 4))


# --------------------------------------------------------------- demand growth


def test_demand_growth_multiplies_its_zones_inside_its_window_and_overlaps_multiply():
    """A: x1.1 from 2 Jan 06:30 (applies from the 07:00 step, 31) to 3 Jan 00:00
    (step 48); all zones: x1.2 from 2 Jan 12:00 (step 36) to the end."""
    zones = {"A": {"demand": {"peak_mw": 100}}, "B": {"demand": {"peak_mw": 40}}}
    sc = scenario(
        zones,
        shocks=[
            {
                "type": "demand_growth",
                "factor": 1.1,
                "zones": ["A"],
                "start": "2022-01-02T06:30",
                "end": "2022-01-03",
            },
            {"type": "demand_growth", "factor": 1.2, "start": "2022-01-02T12:00"},
        ],
    )
    clock = clock_of(sc)
    assert clock.n_steps == 96
    ratio = static_demand(sc, clock) / np.array([shape_demand(z.demand, clock) for z in sc.zones.values()])
    a = np.ones(96)
    a[31:48] *= 1.1
    a[36:] *= 1.2
    b = np.where(np.arange(96) >= 36, 1.2, 1.0)
    np.testing.assert_allclose(ratio, [a, b], rtol=1e-13)


# ------------------------------------------------------------------ cold snaps

SNAPS = [
    {"type": "cold_snap", "delta_c": -10, "start": "2022-01-02T06:00", "end": "2022-01-03"},
    {"type": "cold_snap", "delta_c": -4, "start": "2022-01-02T18:00", "end": "2022-01-04"},
]


def test_cold_snaps_lower_the_temperature_over_exactly_their_windows_and_add_up():
    sc = scenario(shocks=SNAPS)
    off = cold_offset(sc, clock_of(sc))
    expected = np.zeros(96)
    expected[30:48] -= 10  # 2 Jan 06:00 to 3 Jan 00:00
    expected[42:72] -= 4  # 2 Jan 18:00 to 4 Jan 00:00
    assert off.tolist() == expected.tolist()


def test_a_cold_snap_raises_demand_by_sensitivity_times_delta():
    """No weather noise: demand rises by 5 MW/C x 10 C = 50 MW in zone A, 2 x 10
    = 20 MW in zone C, 70 and 28 where the second snap adds 4 C, nothing in zone B
    (no sensitivity) and nothing outside the windows."""
    zones = {
        "A": {"demand": {"peak_mw": 100}, "temperature_sensitivity_mw_per_c": 5},
        "B": {"demand": {"peak_mw": 100}},
        "C": {"demand": {"peak_mw": 50}, "temperature_sensitivity_mw_per_c": 2},
    }
    static = prepare(scenario(zones, shocks=SNAPS))
    raw = simulate(static, 0)
    assert (raw.anomaly_c == 0).all()
    rise = dispatch(static, raw).demand - static.base_demand
    cold = np.zeros(96)
    cold[30:42], cold[42:48], cold[48:72] = 10, 14, 4
    np.testing.assert_allclose(rise, [5 * cold, 0 * cold, 2 * cold], atol=1e-12)


def test_a_warm_spell_lowers_demand_but_never_below_zero():
    # 50 C warmer x 5 MW per C is more than the 100 MW of demand.
    zones = {"A": {"demand": {"peak_mw": 100}, "temperature_sensitivity_mw_per_c": 5}}
    snap = {"type": "cold_snap", "delta_c": 50, "start": "2022-01-02", "end": "2022-01-03"}
    static = prepare(scenario(zones, shocks=[snap]))
    demand = dispatch(static, simulate(static, 0)).demand[0]
    assert (demand[24:48] == 0).all()
    assert demand[:24].tolist() == static.base_demand[0, :24].tolist()


def test_the_anomaly_moves_every_zone_by_its_own_sensitivity():
    zones = {
        "A": {"demand": {"peak_mw": 1000}, "temperature_sensitivity_mw_per_c": 5},
        "B": {"demand": {"peak_mw": 1000}, "temperature_sensitivity_mw_per_c": 2},
    }
    static = prepare(scenario(zones, shocks=SNAPS[:1], weather={"anomaly_sd_c": 3.0}))
    raw = simulate(static, 0)
    rise = dispatch(static, raw).demand - static.base_demand
    temp = raw.anomaly_c + static.cold_c
    assert np.ptp(raw.anomaly_c) > 0
    np.testing.assert_allclose(rise, [-5 * temp, -2 * temp], atol=1e-9)


# ------------------------------------------------------------ AR(1) anomaly

#: Replications and days of the daily anomaly series.
N_REPS, N_DAYS = 300, 200


def daily_series(sd, phi, seed):
    """N_REPS x N_DAYS daily anomalies (one step per day)."""
    sc = scenario(weather={"anomaly_sd_c": sd, "persistence": phi})
    clock = Clock(START, "UTC", 24.0, N_DAYS)
    rng = np.random.default_rng(seed)
    return np.array([temperature_anomaly(sc, clock, rng) for _ in range(N_REPS)])


@pytest.mark.parametrize(("sd", "phi"), [(3.0, 0.7), (1.5, 0.0), (2.0, 0.95)])
def test_the_daily_anomaly_has_the_stationary_sd_and_lag_one_autocorrelation(sd, phi):
    """Per replication, mean(x_d^2) estimates s^2 and mean(x_d x_(d+1) - phi x_d^2)
    estimates 0; their means over independent replications are inside 99 %
    Student intervals. Day 0 is already stationary: sum(x_0^2) / s^2 is chi^2(N_REPS)."""
    x = daily_series(sd, phi, seed=20220101)
    var = (x**2).mean(axis=1)
    lag = (x[:, 1:] * x[:, :-1] - phi * x[:, :-1] ** 2).mean(axis=1)
    mean = x.mean(axis=1)
    for name, values, truth in (("variance", var, sd**2), ("lag-1", lag, 0.0), ("mean", mean, 0.0)):
        lo, hi = mean_ci(values, z=Z99)
        assert lo <= truth <= hi, (name, lo, hi)
    # The intervals are narrow enough to tell a wrong parametrisation: an innovation
    # sd of s (not s sqrt(1 - phi^2)) would give variance s^2 / (1 - phi^2).
    lo, hi = mean_ci(var, z=Z99)
    assert hi - lo < 0.2 * sd**2
    lo, hi = mean_ci(lag, z=Z99)
    assert hi - lo < 0.1 * sd**2  # autocorrelation resolved to better than +-0.05
    chi = (x[:, 0] ** 2).sum() / sd**2
    assert stats.chi2.ppf(0.005, N_REPS) <= chi <= stats.chi2.ppf(0.995, N_REPS)


def test_the_pooled_lag_one_autocorrelation_is_phi_within_its_sampling_error():
    """Sample autocorrelation of N_REPS x (N_DAYS - 1) pairs: Bartlett's variance
    (1 - phi^2) / n for an AR(1)."""
    phi = 0.7
    x = daily_series(3.0, phi, seed=7)
    r1 = (x[:, 1:] * x[:, :-1]).sum() / (x[:, :-1] ** 2).sum()
    n = x[:, 1:].size
    assert abs(r1 - phi) <= Z99 * np.sqrt((1 - phi**2) / n), r1


def test_the_anomaly_is_constant_over_each_local_day_and_changes_at_local_midnight():
    """Quarter-hour steps from 18:00 local: the first day has 6 h (24 steps), then
    96 steps a day."""
    sc = scenario(weather={"anomaly_sd_c": 3.0})
    clock = Clock(dt.datetime(2022, 1, 1, 18), "Asia/Almaty", 0.25, 24 + 3 * 96)
    x = temperature_anomaly(sc, clock, np.random.default_rng(3))
    days = [x[:24], *np.split(x[24:], 3)]
    assert all(np.ptp(day) == 0 for day in days)
    firsts = [day[0] for day in days]
    assert len(set(firsts)) == 4


def test_no_weather_means_no_anomaly():
    sc = scenario(weather={"anomaly_sd_c": 0.0, "persistence": 0.5})
    x = temperature_anomaly(sc, clock_of(sc), np.random.default_rng(5))
    assert x.tolist() == [0.0] * 96
