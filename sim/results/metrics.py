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
- **peak shortfall** (MW): the largest firm load shed in one step;
- **after the campaign**: EUE and LOLE from the campaign's start on (was the relief
  enough?); relief and closures by kind at the target's ``checkpoints`` too.

Step values are the state at the step's start (see :mod:`sim.model.clock`).

Series stay constant on runs of steps (:class:`~sim.dispatch.runs.Steps`)
until a per-step array is needed; every number is the one the per-step arrays
give, to the last bit.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.dispatch.balance import EPS_MW
from sim.dispatch.runs import Series, Steps, align, unique, zone_sum
from sim.model.balance import RunBalance, dispatch_runs
from sim.model.clock import Clock
from sim.model.replication import Raw, Static
from sim.results import relief as relief_ways
from sim.results.frames import events_frame, facilities_frame
from sim.results.orders import first_orders
from sim.vocab import EXITS, FacilityState

#: Months whose mean available generation is reported as "deliverable winter
#: generation" (sources section 3.1: the winter evening peak).
WINTER_MONTHS = (12, 1, 2)

_IS_WINTER = np.isin(np.arange(13), WINTER_MONTHS)
_CODE = {state.value: i for i, state in enumerate(FacilityState)}
#: Series are kept with equal consecutive runs merged when that leaves at
#: most this share of the runs: the ensemble sums them on fewer runs, but
#: fastest when every replication has the same runs.
SQUEEZE_WORTH = 0.8
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
#: Per-link time series (links x steps, MW), named ``<series>.<link>`` in the
#: outputs without the ``link_`` prefix (``flow_mw.north_south``): the flow on
#: every link (positive ``from -> to``; for an outside link, imports less
#: exports), and each outside link's imports (exports: imports less flow).
LINK_SERIES = ("link_flow_mw", "link_imports_mw")
#: Per outside link, energy over the run (MWh), named ``<metric>.<link>``.
LINK_METRICS = ("imports_mwh", "unscheduled_mwh", "exports_mwh")


@dataclass
class ReplicationResult:
    """Headline numbers, time series and (optionally) records of one replication.

    ``zone_series`` and ``relief_series`` read as per-step arrays; their
    ``runs`` hold them constant on runs of steps.
    """

    replication: int
    summary: dict[str, float]
    zone_series: Series
    relief_series: Series
    events: pd.DataFrame | None = None
    facilities: pd.DataFrame | None = None
    sim_events: int = 0
    extra: dict = field(default_factory=dict)
    link_series: Series = field(default_factory=lambda: Series({}))
    """:data:`LINK_SERIES`: the flow for every link, the others per outside link."""


def kinds(events: dict[str, np.ndarray]) -> np.ndarray:
    """The kind of every event as its index in :class:`FacilityState` (-1 for
    any other): compared as integers, not as strings one by one."""
    kind = events["event"]
    return np.fromiter((_CODE.get(e, -1) for e in kind), dtype=np.int64, count=kind.size)


def _is(codes: np.ndarray, *states: FacilityState) -> np.ndarray:
    """Whether each event is of one of ``states`` (``codes``: :func:`kinds`),
    by a table of the kinds (its last entry, for the code -1, is False)."""
    table = np.zeros(len(_CODE) + 1, dtype=bool)
    table[[_CODE[s] for s in states]] = True
    return table[codes]


def relief(static: Static, raw: Raw, limits: Steps, codes: np.ndarray | None = None) -> dict[str, Steps]:
    """National relief (MW), in total and by kind; ``limits``: licensed load
    held back by lasting orders; ``codes``: :func:`kinds` of the events."""
    T = static.clock.n_steps
    ev = raw.events
    out = {}
    k = static.clock.step_of(ev["t_h"])
    if k.size and codes is None:
        codes = kinds(ev)
    for name, states in (
        ("relief_voluntary_mw", (FacilityState.CLOSED_VOLUNTARILY,)),
        ("relief_forced_mw", (FacilityState.DISCONNECTED_BY_FORCE, FacilityState.RECONNECTED)),
        ("relief_exit_mw", EXITS),
    ):
        if k.size == 0:
            out[name] = Steps.full(0.0, (), T)
            continue
        sel = _is(codes, *states) & (k < T)
        out[name] = _cumulative(k[sel], -ev["mw"][sel], T)
    # Merged first: the limits change at few of the balance's runs.
    out["relief_limits_mw"] = limits.squeeze(SQUEEZE_WORTH)
    starts, parts = align(*out.values())
    out["relief_mw"] = Steps(starts, sum(parts), T)
    return {n: out[n].squeeze(SQUEEZE_WORTH) for n in RELIEF_SERIES}


def checkpoint_tag(when: dt.datetime) -> str:
    """``2022-02-21`` (or ``2022-02-21T12:00`` off midnight): the suffix of checkpoint columns."""
    return when.date().isoformat() if when.time() == dt.time() else when.isoformat(timespec="minutes")


def at_checkpoint(static: Static, raw: Raw, rel: dict[str, Steps], when: dt.datetime) -> dict[str, float]:
    """Relief by kind and closures by kind at ``when``: ``relief_forced_mw@2022-02-21`` ..."""
    clock, ev, tag = static.clock, raw.events, checkpoint_tag(when)
    t = clock.hours(when)
    k = min(int(clock.step_of(t)), clock.n_steps - 1)
    out = {f"{name}@{tag}": float(series.at(k)) for name, series in rel.items()}
    by = ev["t_h"] <= t
    for name, state in (
        ("closures_voluntary", FacilityState.CLOSED_VOLUNTARILY),
        ("closures_forced", FacilityState.DISCONNECTED_BY_FORCE),
    ):
        out[f"{name}@{tag}"] = float(np.sum(by & (ev["event"] == state)))
    return out


def after_campaign(static: Static, raw: Raw, shed: Steps) -> dict[str, float]:
    """Was the relief enough? From the campaign's start on (its start in this
    replication, for a triggered one; the start it would have had in a scenario
    whose campaign is disabled, so that a run without the crackdown gives the
    relief that was needed): EUE (MWh), LOLE (h), the deepest firm-load
    shortfall (MW) nationally and by zone, and ``enough``: 1 if no firm load is
    shed from the start on, else 0. Nothing when the scenario has neither a
    campaign window nor a trigger."""
    clock, t0 = static.clock, raw.campaign_start_h
    if math.isnan(t0):
        return {}
    k0 = int(clock.step_of(t0)) if math.isfinite(t0) else clock.n_steps
    # On the runs from step k0 on: the numbers of the per-step arrays, to the bit.
    by_zone = shed.tail(k0) if k0 < shed.n else None
    v = None if by_zone is None else by_zone.zone_sum()
    lole = 0.0 if v is None else float(v.lengths()[v.values > EPS_MW].sum() * clock.step_h)
    out = {
        "eue_after_campaign_mwh": float((0.0 if v is None else v.total()) * clock.step_h),
        "lole_after_campaign_h": lole,
        "shortfall_after_campaign_mw": 0.0 if v is None else float(v.values.max()),
        "enough": float(lole == 0.0),
    }
    for z, zone in enumerate(static.zones):
        deepest = 0.0 if by_zone is None else by_zone.values[z].max()
        out[f"shortfall_after_campaign_mw.{zone}"] = float(deepest)
    return out


def _cumulative(steps: np.ndarray, delta: np.ndarray, n: int) -> Steps:
    """Running sum over ``n`` steps of ``delta`` added at ``steps`` (in the
    order given), as ``np.cumsum`` of the per-step increments gives it."""
    at = unique(np.concatenate([[0], steps]))
    acc = np.zeros(at.size)
    np.add.at(acc, np.searchsorted(at, steps), delta)
    return Steps(at, np.cumsum(acc), n)


def monthly_imports(static: Static, imports: Steps) -> dict[str, float]:
    """Imports from each outside system per calendar month (MWh), scheduled and
    unscheduled, as ``imports_mwh.<system>@<YYYY-MM>`` (to set beside monthly
    statistics such as Z11)."""
    systems = static.outside.system
    if not systems:
        return {}
    starts, labels = static.clock.months
    out = {}
    for system in dict.fromkeys(systems):
        rows = [j for j, s in enumerate(systems) if s == system]
        # The system's links added on the runs, as the per-step rows add.
        total = Steps(imports.starts, zone_sum(imports.values[rows], imports.n), imports.n)
        months = np.add.reduceat(total.expand(), starts) * static.clock.step_h
        out.update({f"imports_mwh.{system}@{m}": float(v) for m, v in zip(labels, months, strict=True)})
    return out


def loss_stats(shed: Steps, step_h: float, total: float | None = None) -> tuple[float, float, float, float]:
    """EUE (MWh), LOLE (h), LOLF (runs) and peak shortfall (MW) of one series
    (``total``: its :meth:`~sim.dispatch.runs.Steps.total`, if known)."""
    v = shed.values
    total = shed.total() if total is None else total
    short = v > EPS_MW
    if not short.any():  # nothing to count
        return float(total * step_h), 0.0, 0.0, float(v.max())
    starts = short.copy()
    starts[1:] &= ~short[:-1]
    return (
        float(total * step_h),
        float(shed.lengths()[short].sum() * step_h),
        float(starts.sum()),
        float(v.max()) if shed.n else 0.0,
    )


def evaluate(static: Static, raw: Raw, keep_records: bool = False) -> ReplicationResult:
    """All metrics of one replication."""
    bal = dispatch_runs(static, raw)
    codes = kinds(raw.events)
    rel = relief(static, raw, bal.relief_limits, codes)
    s = _event_counts(static, raw, bal, rel, codes)
    if static.scenario.target is not None:
        for when in static.scenario.target.checkpoints:
            s.update(at_checkpoint(static, raw, rel, when))
    s.update(after_campaign(static, raw, bal.shed))
    step_h = static.clock.step_h
    national = loss_stats(bal.shed.zone_sum(), step_h)
    eue, lole, lolf, peak = national
    s.update(eue_mwh=eue, lole_h=lole, lolf=lolf, peak_shortfall_mw=peak)
    one = len(static.zones) == 1
    by_zone = None if one else bal.shed.totals()[1]
    for z, name in enumerate(static.zones):
        # One zone's series is the national one, to the bit.
        shed = Steps(bal.shed.starts, bal.shed.values[z], bal.shed.n)
        e, lo, lf, pk = national if one else loss_stats(shed, step_h, by_zone[z])
        s[f"eue_mwh.{name}"], s[f"lole_h.{name}"], s[f"lolf.{name}"] = e, lo, lf
        s[f"peak_shortfall_mw.{name}"] = pk
    s.update(first_orders(static, raw))
    s["curtailed_mwh"] = float(bal.curtailed.total() * step_h)
    s["imports_mwh"] = float(bal.imports.total() * step_h)
    starts, (demand, grey, licensed) = align(bal.demand, bal.grey, bal.licensed)
    s["peak_demand_mw"] = float(Steps(starts, demand + grey + licensed, bal.demand.n).zone_sum().values.max())
    s["winter_generation_mw"] = winter_mean(bal.generation.zone_sum(), static.clock)
    mining = Steps(starts[:1], grey[:, :1] + licensed[:, :1], bal.demand.n)
    s["mining_mw"] = float(mining.zone_sum().values[0])
    lf = bal.links
    links = {
        name: series.squeeze(SQUEEZE_WORTH)
        for name, series in zip(LINK_SERIES, (lf.flow, lf.imports), strict=True)
    }
    link_energy = zip(LINK_METRICS, (lf.imports, lf.unscheduled, lf.exports), strict=True)
    energy = {key: series.totals() for key, series in link_energy}
    for j, name in enumerate(static.outside.names):
        for key in LINK_METRICS:
            s[f"{key}.{name}"] = float(energy[key][1][j] * step_h)
    s.update(monthly_imports(static, lf.imports))
    s["unscheduled_mwh"] = float(energy["unscheduled_mwh"][0] * step_h)
    s["exports_mwh"] = float(energy["exports_mwh"][0] * step_h)
    result = ReplicationResult(
        raw.replication,
        s,
        Series(zone_series(bal)),
        Series(rel),
        sim_events=raw.sim_events,
        link_series=Series(links),
    )
    if keep_records:
        result.events = events_frame(static, raw)
        result.facilities = facilities_frame(static, raw)
        result.extra["balance"] = bal.expand()
    return result


def winter_mean(series: Steps, clock: Clock) -> float:
    """Mean of ``series`` over the steps of the :data:`WINTER_MONTHS` (nan if none)."""
    winter = _winter(clock)
    if isinstance(winter, tuple):  # one stretch of steps, as a rule
        a, b = winter
        return float(series.window(a, b).mean()) if b > a else float("nan")
    return float(series.expand()[winter].mean())


@functools.lru_cache(maxsize=4)
def _winter(clock: Clock) -> tuple[int, int] | np.ndarray:
    """The winter steps as ``(first, stop)`` when they follow one another, else a mask."""
    mask = _IS_WINTER[clock.month]
    steps = np.flatnonzero(mask)
    if steps.size == 0:
        return 0, 0
    if steps[-1] - steps[0] + 1 == steps.size:
        return int(steps[0]), int(steps[-1]) + 1
    return mask


def _event_counts(
    static: Static, raw: Raw, bal: RunBalance, rel: dict[str, Steps], codes: np.ndarray
) -> dict[str, float]:
    """Relief (three ways) at the target date and counts of events by then."""
    sc, clock = static.scenario, static.clock
    if sc.target is not None:
        t_target = clock.hours(sc.target.by)
        k_target = min(int(clock.step_of(t_target)), clock.n_steps - 1)
    else:
        t_target, k_target = clock.horizon_h, clock.n_steps - 1
    s = {name: float(series.at(k_target)) for name, series in rel.items()}
    s["relief_accounting_mw"] = s["relief_mw"]
    consumption = relief_ways.mining_consumption(bal)
    at_target, fall = relief_ways.before_after(static, raw, consumption, k_target * clock.step_h)
    s["relief_before_after_mw"], s["mining_at_target_mw"] = fall, at_target
    if sc.target is not None and sc.target.definition == "before_after":
        s["relief_mw"] = fall
    ev = raw.events
    by = ev["t_h"] <= t_target
    s["closures_voluntary"] = float(np.sum(by & _is(codes, FacilityState.CLOSED_VOLUNTARILY)))
    forced = by & _is(codes, FacilityState.DISCONNECTED_BY_FORCE)
    s["closures_forced"] = float(forced.sum())
    s["exits"] = float(np.sum(by & _is(codes, *EXITS)))
    for name, state in (
        ("moved_abroad", FacilityState.MOVED_ABROAD),
        ("gone_dark", FacilityState.GONE_DARK),
        ("went_grey", FacilityState.WENT_GREY),
    ):
        s[name] = float(np.sum(by & _is(codes, state)))
    s["licensed_left_share"], s["licensed_left_share_mw"] = relief_ways.licensed_left(raw, t_target)
    s["inspections"] = float(np.sum(by & _is(codes, FacilityState.INSPECTED)))
    s["criminal_cases"] = float(ev["flag"][forced].sum())
    s["devices_seized"] = float(ev["count"][forced].sum())
    if sc.target is not None:
        s["within_target"] = float(abs(s["relief_mw"] - sc.target.relief_mw) <= sc.target.tolerance_mw)
    return s


def zone_series(bal: RunBalance) -> dict[str, Steps]:
    """The per-zone series the ensemble keeps, with equal consecutive runs merged."""
    starts, (licensed, allowed) = align(bal.licensed, bal.allowed)
    shed = bal.shed
    out = {
        "demand_mw": bal.demand,
        "grey_mining_mw": bal.grey,
        "licensed_mining_mw": bal.licensed,
        "generation_mw": bal.generation,
        "imports_mw": bal.imports,
        "served_mw": bal.served,
        "shed_mw": shed,
        "curtailed_mw": bal.curtailed,
        "limited_mw": Steps(starts, licensed - allowed, shed.n),
        # 1 where firm load is shed: its ensemble mean is the loss-of-load probability.
        "loss_of_load": Steps(shed.starts, (shed.values > EPS_MW).astype(float), shed.n),
    }
    return {name: out[name].squeeze(SQUEEZE_WORTH) for name in ZONE_SERIES}
