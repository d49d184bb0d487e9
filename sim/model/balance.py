"""The operator's balance of one replication: its inputs, built from the
replication's records and the scenario's arrays, solved by :mod:`sim.dispatch`.

Steps are independent and every input is piecewise constant, so the balance is
solved once per run of identical steps (:class:`Segments`) and copied to the
others: exact, and the cost follows the changes, not the steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.dispatch.balance import solve_balance
from sim.model import generation
from sim.model.mining import licensed_after
from sim.model.replication import Raw, Static
from sim.vocab import FacilityState

#: Solve every step when runs of identical steps are more than this share of
#: the steps: too few repeats to pay for copying the runs back out.
MAX_RUN_SHARE = 0.8


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
        k = seg.pos[static.clock.step_of(ev["t_h"][moved])]
        zone, mw = ev["zone"][moved], ev["mw"][moved]
        np.add.at(acc, (licensed_after(t, ev)[moved].astype(int), zone, k), mw)
        # A licensed site going grey moves its load out of the licensed pool.
        went = ev["event"][moved] == FacilityState.WENT_GREY
        np.add.at(acc, (1, zone[went], k[went]), -mw[went])
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
    if seg.n > MAX_RUN_SHARE * T:
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
    op = static.scenario.operator
    flow, shed, curtailed, left = solve_balance(
        static.network, supply, firm, allowed, up, down, op.shed_block_fraction, op.curtail_licensed_first
    )
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
