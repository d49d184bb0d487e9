"""Ordinary (non-mining) demand of each zone over the steps.

Static part, the same in every replication: a parametric load shape or a CSV,
times demand-growth shocks. Random part: a daily temperature anomaly (AR(1),
common to all zones) plus cold snaps, times each zone's sensitivity.
"""

from __future__ import annotations

import numpy as np

from sim.model.clock import Clock
from sim.scenario.readers import read_demand_csv
from sim.scenario.schema import ColdSnap, DemandCsv, DemandGrowth, LoadShape, Scenario


def shape_demand(shape: LoadShape, clock: Clock) -> np.ndarray:
    """Demand in MW from a load shape: peak x hourly x weekend x monthly."""
    hourly = np.asarray(shape.hourly)[clock.hour]
    monthly = np.asarray(shape.monthly)[clock.month - 1]
    weekend = np.where(clock.weekday >= 5, shape.weekend_factor, 1.0)
    return shape.peak_mw * hourly * monthly * weekend


def static_demand(sc: Scenario, clock: Clock) -> np.ndarray:
    """Ordinary demand (zones x steps, MW) before weather: shape or CSV, times growth."""
    out = np.empty((len(sc.zones), clock.n_steps))
    for z, zone in enumerate(sc.zones.values()):
        if isinstance(zone.demand, DemandCsv):
            out[z] = read_demand_csv(zone.demand, clock.n_steps)
        else:
            out[z] = shape_demand(zone.demand, clock)
    names = list(sc.zones)
    for shock in sc.shocks:
        if isinstance(shock, DemandGrowth):
            mask = clock.window_mask(shock.start, shock.end)
            rows = [names.index(z) for z in shock.zones] if shock.zones else range(len(names))
            for z in rows:
                out[z, mask] *= shock.factor
    return out


def cold_offset(sc: Scenario, clock: Clock) -> np.ndarray:
    """Temperature change from cold-snap shocks at every step, C."""
    out = np.zeros(clock.n_steps)
    for shock in sc.shocks:
        if isinstance(shock, ColdSnap):
            out[clock.window_mask(shock.start, shock.end)] += shock.delta_c
    return out


def temperature_anomaly(sc: Scenario, clock: Clock, rng: np.random.Generator) -> np.ndarray:
    """Daily AR(1) anomaly of the daily mean temperature at every step, C."""
    w = sc.weather
    n_days = int(clock.day[-1]) + 1 if clock.n_steps else 0
    if w.anomaly_sd_c == 0 or n_days == 0:
        return np.zeros(clock.n_steps)
    phi = w.persistence
    eps = rng.standard_normal(n_days) * w.anomaly_sd_c * np.sqrt(1 - phi**2)
    daily = np.empty(n_days)
    daily[0] = rng.standard_normal() * w.anomaly_sd_c
    for d in range(1, n_days):
        daily[d] = phi * daily[d - 1] + eps[d]
    return daily[clock.day]
