"""Metrics of one replication, computed from its records and the demand arrays.

Everything here is vectorised over steps and zones. Definitions:

- **relief** (MW) at a time: the load of the facilities closed by then
  (voluntarily, by force net of reconnections, by exit) plus the licensed load
  held back by *lasting* operator limits (the *accounting* relief; the
  before-and-after and counterfactual ones are in :mod:`sim.results.relief`, and
  ``relief_mw`` at the target date is the one the target's ``definition`` names);
- **EUE** (MWh): energy of firm load shed, summed over steps;
- **LOLE** (h): hours with any firm load shed (in a zone, or anywhere for the total);
- **LOLF** (events): entries into shedding, counted as runs of consecutive steps
  with load shed (not in continuous time: two shortfalls in one step are one);
- **peak shortfall** (MW): the largest firm load shed in one step.

Step values are the state at the step's start (see :mod:`sim.model.clock`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.dispatch.balance import EPS_MW
from sim.model.balance import dispatch
from sim.model.replication import Raw, Static
from sim.results import relief as relief_ways
from sim.results.frames import events_frame, facilities_frame
from sim.vocab import EXITS, FacilityState

#: Months whose mean available generation is reported as "deliverable winter
#: generation" (sources section 3.1: the winter evening peak).
WINTER_MONTHS = (12, 1, 2)

#: Per-zone time series kept for the ensemble (zones x steps, MW).
ZONE_SERIES = (
    "demand_mw",
    "grey_mining_mw",
    "licensed_mining_mw",
    "generation_mw",
    "imports_mw",
    "served_mw",
    "shed_mw",
    "curtailed_mw",
    "limited_mw",
    "loss_of_load",
)
#: National time series (steps, MW).
RELIEF_SERIES = ("relief_mw", "relief_voluntary_mw", "relief_forced_mw", "relief_exit_mw", "relief_limits_mw")


@dataclass
class ReplicationResult:
    """Headline numbers, time series and (optionally) records of one replication."""

    replication: int
    summary: dict[str, float]
    zone_series: dict[str, np.ndarray]
    relief_series: dict[str, np.ndarray]
    events: pd.DataFrame | None = None
    facilities: pd.DataFrame | None = None
    sim_events: int = 0
    extra: dict = field(default_factory=dict)


def relief(static: Static, raw: Raw, licensed: np.ndarray) -> dict[str, np.ndarray]:
    """National relief per step (MW), in total and by kind."""
    T = static.clock.n_steps
    ev = raw.events
    out = {}
    k = static.clock.step_of(ev["t_h"])
    for name, kinds in (
        ("relief_voluntary_mw", (FacilityState.CLOSED_VOLUNTARILY,)),
        ("relief_forced_mw", (FacilityState.DISCONNECTED_BY_FORCE, FacilityState.RECONNECTED)),
        ("relief_exit_mw", EXITS),
    ):
        sel = np.isin(ev["event"], kinds)
        acc = np.zeros(T + 1)
        np.add.at(acc, k[sel], -ev["mw"][sel])
        out[name] = np.cumsum(acc)[:T]
    out["relief_limits_mw"] = (licensed * (1.0 - static.lasting)).sum(axis=0)
    out["relief_mw"] = sum(
        out[n] for n in ("relief_voluntary_mw", "relief_forced_mw", "relief_exit_mw", "relief_limits_mw")
    )
    return {n: out[n] for n in RELIEF_SERIES}


def loss_stats(shed: np.ndarray, step_h: float) -> tuple[float, float, float, float]:
    """EUE (MWh), LOLE (h), LOLF (runs) and peak shortfall (MW) of one series."""
    short = shed > EPS_MW
    starts = short & ~np.concatenate([[False], short[:-1]])
    return (
        float(shed.sum() * step_h),
        float(short.sum() * step_h),
        float(starts.sum()),
        float(shed.max()) if shed.size else 0.0,
    )


def evaluate(static: Static, raw: Raw, keep_records: bool = False) -> ReplicationResult:
    """All metrics of one replication."""
    sc, clock = static.scenario, static.clock
    bal = dispatch(static, raw)
    rel = relief(static, raw, bal.licensed)
    step_h = clock.step_h
    s: dict[str, float] = {}
    ev = raw.events
    if sc.target is not None:
        t_target = clock.hours(sc.target.by)
        k_target = min(int(clock.step_of(t_target)), clock.n_steps - 1)
    else:
        t_target, k_target = clock.horizon_h, clock.n_steps - 1
    for name, series in rel.items():
        s[name] = float(series[k_target])
    s["relief_accounting_mw"] = s["relief_mw"]
    consumption = relief_ways.mining_consumption(bal)
    at_target, fall = relief_ways.before_after(static, raw, consumption, k_target * step_h)
    s["relief_before_after_mw"], s["mining_at_target_mw"] = fall, at_target
    if sc.target is not None and sc.target.definition == "before_after":
        s["relief_mw"] = fall
    by = ev["t_h"] <= t_target
    kind = ev["event"]
    s["closures_voluntary"] = float(np.sum(by & (kind == FacilityState.CLOSED_VOLUNTARILY)))
    forced = by & (kind == FacilityState.DISCONNECTED_BY_FORCE)
    s["closures_forced"] = float(forced.sum())
    s["exits"] = float(np.sum(by & np.isin(kind, EXITS)))
    for name, state in (
        ("moved_abroad", FacilityState.MOVED_ABROAD),
        ("gone_dark", FacilityState.GONE_DARK),
        ("went_grey", FacilityState.WENT_GREY),
    ):
        s[name] = float(np.sum(by & (kind == state)))
    s["licensed_left_share"], s["licensed_left_share_mw"] = relief_ways.licensed_left(raw, t_target)
    s["inspections"] = float(np.sum(by & (kind == FacilityState.INSPECTED)))
    s["criminal_cases"] = float(ev["flag"][forced].sum())
    s["devices_seized"] = float(ev["count"][forced].sum())
    if sc.target is not None:
        s["within_target"] = float(abs(s["relief_mw"] - sc.target.relief_mw) <= sc.target.tolerance_mw)
    eue, lole, lolf, peak = loss_stats(bal.shed.sum(axis=0), step_h)
    s.update(eue_mwh=eue, lole_h=lole, lolf=lolf, peak_shortfall_mw=peak)
    for z, name in enumerate(static.zones):
        e, lo, lf, pk = loss_stats(bal.shed[z], step_h)
        s[f"eue_mwh.{name}"], s[f"lole_h.{name}"], s[f"lolf.{name}"] = e, lo, lf
        s[f"peak_shortfall_mw.{name}"] = pk
    s["curtailed_mwh"] = float(bal.curtailed.sum() * step_h)
    s["imports_mwh"] = float(bal.imports.sum() * step_h)
    national_load = (bal.demand + bal.grey + bal.licensed).sum(axis=0)
    s["peak_demand_mw"] = float(national_load.max())
    winter = np.isin(clock.month, WINTER_MONTHS)
    s["winter_generation_mw"] = (
        float(bal.generation.sum(axis=0)[winter].mean()) if winter.any() else float("nan")
    )
    s["mining_mw"] = float((bal.grey + bal.licensed).sum(axis=0)[0])
    zone_series = {
        "demand_mw": bal.demand,
        "grey_mining_mw": bal.grey,
        "licensed_mining_mw": bal.licensed,
        "generation_mw": bal.generation,
        "imports_mw": bal.imports,
        "served_mw": bal.served,
        "shed_mw": bal.shed,
        "curtailed_mw": bal.curtailed,
        "limited_mw": bal.licensed - bal.allowed,
        # 1 where firm load is shed: its ensemble mean is the loss-of-load probability.
        "loss_of_load": (bal.shed > EPS_MW).astype(float),
    }
    result = ReplicationResult(raw.replication, s, zone_series, rel, sim_events=raw.sim_events)
    if keep_records:
        result.events = events_frame(static, raw)
        result.facilities = facilities_frame(static, raw)
        result.extra["balance"] = bal
    return result
