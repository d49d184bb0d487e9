"""Metrics of one replication, computed from its records and the demand arrays.

Everything here is vectorised over steps and zones. Definitions:

- **relief** (MW) at a time: the load of the facilities closed by then
  (voluntarily, by force net of reconnections, by exit) plus the licensed load
  held back by *lasting* operator limits;
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

from sim.model import generation
from sim.dispatch import transfer as operator
from sim.model.replication import Raw, Static
from sim.model.recorder import CLOSURES

#: Shed below this (MW) counts as none: guards against round-off.
EPS_MW = 1e-6

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
class Balance:
    """The operator's dispatch of one replication (all zones x steps, MW)."""

    demand: np.ndarray
    """Ordinary demand with weather."""
    grey: np.ndarray
    """Grey mining load on the grid (firm: the operator cannot tell it apart)."""
    licensed: np.ndarray
    """Licensed mining load on the grid before orders."""
    allowed: np.ndarray
    """Licensed load allowed by orders."""
    generation: np.ndarray
    """Available generating capacity."""
    import_cap: np.ndarray
    imports: np.ndarray
    """Imports from outside systems used."""
    served: np.ndarray
    """Firm load served."""
    shed: np.ndarray
    """Firm load shed."""
    curtailed: np.ndarray
    """Licensed load curtailed for shortage (on top of orders)."""
    flow_up: np.ndarray
    """Flow on each zone's link to its parent (positive: towards the parent)."""
    up_cap: np.ndarray
    down_cap: np.ndarray

    @property
    def firm(self) -> np.ndarray:
        """Ordinary demand plus grey mining."""
        return self.demand + self.grey


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


@dataclass(frozen=True)
class Segments:
    """Runs of consecutive steps over which no input of the balance changes."""

    starts: np.ndarray
    """First step of each run."""
    lengths: np.ndarray
    """Steps in each run."""
    pos: np.ndarray
    """Run of every step (T,), and ``len(starts)`` at index T."""

    @classmethod
    def every_step(cls, n_steps: int) -> Segments:
        """One run per step (no compression)."""
        idx = np.arange(n_steps)
        return cls(idx, np.ones(n_steps, dtype=np.int64), np.arange(n_steps + 1))

    @property
    def n(self) -> int:
        """Number of runs."""
        return self.starts.size

    def expand(self, a: np.ndarray) -> np.ndarray:
        """Per-step values from per-run values (last axis)."""
        return a if self.n == self.pos.size - 1 else np.repeat(a, self.lengths, axis=-1)


def segments(static: Static, raw: Raw) -> Segments:
    """The runs of identical steps of one replication: the scenario's own change
    points (hours of the load shape, orders, shocks, months, maintenance), days
    of weather, and the steps of facility events and unit outages."""
    T = static.clock.n_steps
    change = static.static_change.copy()
    a = raw.anomaly_c
    change[1:] |= a[1:] != a[:-1]
    ev = raw.events
    for k in (static.clock.step_of(ev["t_h"][ev["mw"] != 0]), static.clock.step_of(raw.outage_t)):
        change[k[k < T]] = True
    starts = np.flatnonzero(change)
    pos = np.empty(T + 1, dtype=np.int64)
    pos[:T] = np.cumsum(change) - 1
    pos[T] = starts.size
    return Segments(starts, np.diff(np.append(starts, T)), pos)


def facility_load(static: Static, raw: Raw, seg: Segments | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Grey and licensed mining load on the grid per zone and step (MW), or per
    run of ``seg``."""
    Z = len(static.zones)
    seg = seg or Segments.every_step(static.clock.n_steps)
    t = raw.facilities
    acc = np.zeros((2, Z, seg.n + 1))
    init = t.connect_h <= 0
    np.add.at(acc, (t.licensed[init].astype(int), t.zone[init], 0), t.load_mw[init])
    ev = raw.events
    moved = ev["mw"] != 0
    if moved.any():
        ent = ev["entity"][moved]
        k = seg.pos[static.clock.step_of(ev["t_h"][moved])]
        np.add.at(acc, (t.licensed[ent].astype(int), ev["zone"][moved], k), ev["mw"][moved])
    level = np.cumsum(acc, axis=2)[:, :, : seg.n]
    return np.maximum(level[0], 0.0), np.maximum(level[1], 0.0)


def dispatch(static: Static, raw: Raw, compress: bool = True) -> Balance:
    """Balance every zone at every step: transfers, imports, curtailment, shedding.

    Steps are independent and every input is piecewise constant, so the balance
    is computed once per run of identical steps (:func:`segments`) and copied to
    the others: exact, and the cost follows the changes, not the steps.
    ``compress=False`` solves every step (for tests).
    """
    T = static.clock.n_steps
    seg = segments(static, raw) if compress else Segments.every_step(T)
    if seg.n > 0.8 * T:  # too few repeated steps to pay for copying them back
        seg = Segments.every_step(T)
    cols = seg.starts
    weather = (raw.anomaly_c + static.cold_c)[cols]
    demand = np.maximum(static.base_demand[:, cols] - static.sensitivity[:, None] * weather[None, :], 0.0)
    grey, licensed = facility_load(static, raw, seg)
    allowed = licensed * static.allowed[:, cols]
    gen = generation.available_capacity(
        static.units,
        static.clock,
        len(static.zones),
        raw.outage_t,
        raw.outage_unit,
        raw.outage_up,
        pos=seg.pos,
        starts=cols,
    )
    import_cap = static.import_cap[:, cols]
    supply = gen + import_cap
    firm = demand + grey
    up, down = static.up_cap[:, cols], static.down_cap[:, cols]
    flow, shed, curtailed, left = _solve_balance(static, supply, firm, allowed, up, down)
    imports = np.clip(supply - left - gen, 0.0, import_cap)
    x = seg.expand
    return Balance(
        demand=x(demand),
        grey=x(grey),
        licensed=x(licensed),
        allowed=x(allowed),
        generation=x(gen),
        import_cap=static.import_cap,
        imports=x(imports),
        served=x(firm - shed),
        shed=x(shed),
        curtailed=x(np.clip(curtailed, 0.0, allowed)),
        flow_up=x(flow),
        up_cap=static.up_cap,
        down_cap=static.down_cap,
    )


def _solve_balance(
    static: Static,
    supply: np.ndarray,
    firm: np.ndarray,
    allowed: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    sc, net = static.scenario, static.network
    block = sc.operator.shed_block_fraction
    if sc.operator.curtail_licensed_first:
        served, x, left = operator.solve(net, supply, firm, up, down)
        shed = _blocks(firm - served, firm, block)
        served_lic, x2, left = operator.solve(net, left, allowed, up - x, down + x)
        return x + x2, shed, allowed - served_lic, left
    total = firm + allowed
    served_all, flow, left = operator.solve(net, supply, total, up, down)
    lost = _blocks(total - served_all, total, block)
    share = np.divide(firm, total, out=np.zeros_like(total), where=total > 0)
    shed = lost * share
    return flow, shed, lost - shed, left


def _blocks(short: np.ndarray, load: np.ndarray, fraction: float) -> np.ndarray:
    """Shed ``short`` rounded up to blocks of ``fraction`` of ``load``."""
    short = np.where(short > EPS_MW, short, 0.0)
    if fraction == 0:
        return short
    size = fraction * load
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(size > 0, np.ceil(short / size - 1e-9), 0.0)
    return np.minimum(n * size, load)


def relief(static: Static, raw: Raw, licensed: np.ndarray) -> dict[str, np.ndarray]:
    """National relief per step (MW), in total and by kind."""
    T = static.clock.n_steps
    ev = raw.events
    out = {}
    k = static.clock.step_of(ev["t_h"])
    for name, kinds in (
        ("relief_voluntary_mw", ("closed_voluntarily",)),
        ("relief_forced_mw", ("disconnected_by_force", "reconnected")),
        ("relief_exit_mw", ("exited",)),
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


def _loss_stats(shed: np.ndarray, step_h: float) -> tuple[float, float, float, float]:
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
    by = ev["t_h"] <= t_target
    kind = ev["event"]
    s["closures_voluntary"] = float(np.sum(by & (kind == "closed_voluntarily")))
    forced = by & (kind == "disconnected_by_force")
    s["closures_forced"] = float(forced.sum())
    s["exits"] = float(np.sum(by & (kind == "exited")))
    s["inspections"] = float(np.sum(by & (kind == "inspected")))
    s["criminal_cases"] = float(ev["flag"][forced].sum())
    s["devices_seized"] = float(ev["count"][forced].sum())
    if sc.target is not None:
        s["within_target"] = float(abs(s["relief_mw"] - sc.target.relief_mw) <= sc.target.tolerance_mw)
    eue, lole, lolf, peak = _loss_stats(bal.shed.sum(axis=0), step_h)
    s.update(eue_mwh=eue, lole_h=lole, lolf=lolf, peak_shortfall_mw=peak)
    for z, name in enumerate(static.zones):
        e, lo, lf, pk = _loss_stats(bal.shed[z], step_h)
        s[f"eue_mwh.{name}"], s[f"lole_h.{name}"], s[f"lolf.{name}"] = e, lo, lf
        s[f"peak_shortfall_mw.{name}"] = pk
    s["curtailed_mwh"] = float(bal.curtailed.sum() * step_h)
    s["imports_mwh"] = float(bal.imports.sum() * step_h)
    national_load = (bal.demand + bal.grey + bal.licensed).sum(axis=0)
    s["peak_demand_mw"] = float(national_load.max())
    winter = np.isin(clock.month, (12, 1, 2))
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


def events_frame(static: Static, raw: Raw) -> pd.DataFrame:
    """Facility events and unit outages of one replication, with local timestamps."""
    ev = raw.events
    zones = np.asarray(static.zones, dtype=object)
    fac = pd.DataFrame(
        {
            "t_h": ev["t_h"],
            "entity": "facility",
            "id": ev["entity"],
            "zone": zones[ev["zone"]] if ev["zone"].size else np.zeros(0, object),
            "event": ev["event"],
            "mw": ev["mw"],
            "devices_seized": ev["count"],
            "criminal_case": ev["flag"].astype(bool),
        }
    )
    u = raw.outage_unit
    units = pd.DataFrame(
        {
            "t_h": raw.outage_t,
            "entity": "unit",
            "id": u,
            "zone": zones[static.units.zone[u]] if u.size else np.zeros(0, object),
            "event": np.where(raw.outage_up, "repaired", "failed"),
            "mw": np.where(raw.outage_up, 1.0, -1.0) * static.units.capacity_mw[u],
            "devices_seized": 0,
            "criminal_case": False,
        }
    )
    df = pd.concat([fac, units], ignore_index=True).sort_values("t_h", kind="stable", ignore_index=True)
    df.insert(0, "replication", raw.replication)
    df.insert(2, "time", _timestamps(static, df["t_h"].to_numpy()))
    return df


def facilities_frame(static: Static, raw: Raw) -> pd.DataFrame:
    """One row per facility of one replication, with its final state."""
    t = raw.facilities
    ev = raw.events
    state = np.where(t.connect_h <= static.clock.horizon_h, "operating", "pending").astype(object)
    closed_at = np.full(t.n, np.nan)
    for i, e, th in zip(ev["entity"], ev["event"], ev["t_h"], strict=True):
        state[i] = e
        if e in CLOSURES:
            closed_at[i] = th
        elif e == "reconnected":
            closed_at[i] = np.nan
    return pd.DataFrame(
        {
            "replication": raw.replication,
            "facility": np.arange(t.n),
            "zone": np.asarray(static.zones, dtype=object)[t.zone],
            "legal_status": np.where(t.licensed, "licensed", "grey"),
            "capacity_mw": t.capacity_mw,
            "load_mw": t.load_mw,
            "devices": t.devices,
            "connect_h": np.maximum(t.connect_h, 0.0),
            "state": state,
            "closed_at_h": closed_at,
        }
    )


def _timestamps(static: Static, t_h: np.ndarray) -> pd.DatetimeIndex:
    start = static.clock.index[0] if static.clock.n_steps else pd.Timestamp(static.scenario.start)
    return start + pd.to_timedelta(t_h, unit="h")
