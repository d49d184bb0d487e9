"""Ordinary (non-mining) demand of each zone over the steps.

Static part, the same in every replication: a parametric load shape or a CSV,
times demand-growth shocks. Random part: a daily temperature anomaly (AR(1),
common to all zones) plus cold snaps, times each zone's sensitivity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.model.clock import Clock
from sim.scenario.schema import ColdSnap, DemandCsv, DemandGrowth, LoadShape, Scenario

if TYPE_CHECKING:
    from sim.scenario.load import Source


def shape_demand(shape: LoadShape, clock: Clock) -> np.ndarray:
    """Demand in MW from a load shape: peak x hourly x weekend x monthly."""
    hourly = np.asarray(shape.hourly)[clock.hour]
    monthly = np.asarray(shape.monthly)[clock.month - 1]
    weekend = np.where(clock.weekday >= 5, shape.weekend_factor, 1.0)
    return shape.peak_mw * hourly * monthly * weekend


def read_demand_csv(spec: DemandCsv, n_steps: int) -> np.ndarray:
    """The CSV's demand column in MW; exactly ``n_steps`` numbers >= 0.

    Raises :class:`ScenarioError` with the file and the line of the first bad row.
    """
    file = str(spec.csv)
    try:
        df = pd.read_csv(spec.csv)
    except FileNotFoundError:
        raise ScenarioError(Problem("demand CSV not found", file)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScenarioError(Problem(f"cannot read the demand CSV: {exc}", file)) from None
    if spec.column not in df.columns:
        raise ScenarioError(
            Problem(f"no column '{spec.column}'; the file has {list(df.columns)}", file, 1, spec.column)
        )
    values = pd.to_numeric(df[spec.column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        i = int(bad[0])
        cell = df[spec.column].iloc[i]
        got = "an empty cell" if pd.isna(cell) else repr(cell.item() if hasattr(cell, "item") else cell)
        raise ScenarioError(
            Problem(
                f"expected a number >= 0 in MW, got {got}",
                file,
                i + 2,
                spec.column,
            )
        )
    if values.size != n_steps:
        raise ScenarioError(
            Problem(
                f"has {values.size} rows of demand; the scenario has {n_steps} steps",
                file,
                None,
                spec.column,
            )
        )
    return values * spec.scale


def check_demand_files(sc: Scenario, src: Source) -> None:
    """Read every demand CSV once to report problems at load time."""
    problems = []
    for name, zone in sc.zones.items():
        if isinstance(zone.demand, DemandCsv):
            try:
                read_demand_csv(zone.demand, sc.n_steps)
            except ScenarioError as exc:
                for prob in exc.problems:
                    if prob.line is None and "not found" in prob.message:
                        f, ln = src.where(("zones", name, "demand", "csv"))
                        prob.message = f"{prob.message}: {prob.file}"
                        prob.file, prob.line = f, ln
                        prob.key = f"zones.{name}.demand.csv"
                problems += exc.problems
    if problems:
        raise ScenarioError(problems)


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
