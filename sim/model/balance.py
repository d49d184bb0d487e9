"""The operator's balance of one replication: its inputs, built from the
replication's records and the scenario's arrays, solved by :mod:`sim.dispatch`.

Steps are independent and every input is piecewise constant, so the balance is
solved once per run of identical steps (:class:`Segments`) and copied to the
others: exact, and the cost follows the changes, not the steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.dispatch.adequacy import SLACK, short_steps
from sim.dispatch.balance import shed_blocks
from sim.dispatch.runs import Steps, every_step, expand_fields, patch_all, unique, zone_sum
from sim.dispatch.security import solve_secure
from sim.model import flows, generation, outside, supply
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
    """Import capacity available from outside systems."""
    imports: np.ndarray
    """Imports from outside systems that flowed (scheduled and unscheduled)."""
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
    links: flows.LinkFlows
    """Flows per link, exports, reserve and dispatched generation."""


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
        return cls(every_step(n_steps), np.ones(n_steps, dtype=np.int64), np.arange(n_steps + 1))

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
    rows = [raw.anomaly_c, *raw.availability, *raw.variable]
    share = order_share(static, raw)
    if share is not static.allowed:  # the replication's own orders
        rows += list(share)
    new, differs = change[1:], np.empty(max(T - 1, 0), dtype=bool)
    for row in rows:  # one row at a time, into one buffer
        np.not_equal(row[1:], row[:-1], out=differs)
        new |= differs
    ev = raw.events
    for k in (static.clock.step_of(ev["t_h"][ev["mw"] != 0]), static.clock.step_of(raw.outage_t)):
        change[k[k < T]] = True
    starts = np.flatnonzero(change)
    lengths = np.diff(starts, append=T)
    pos = np.empty(T + 1, dtype=np.int64)
    pos[:T] = np.repeat(np.arange(starts.size), lengths)
    pos[T] = starts.size
    return Segments(starts, lengths, pos)


def order_share(static: Static, raw: Raw) -> np.ndarray:
    """Share of licensed load the operator's orders allow (Z x T): the replication's
    own signals', or the scripted orders'."""
    return static.allowed if raw.signals is None else raw.signals.allowed


def facility_load(static: Static, raw: Raw, seg: Segments | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Grey and licensed mining load on the grid per zone and step (MW), or per
    run of ``seg``."""
    Z = len(static.zones)
    seg = seg or Segments.every_step(static.clock.n_steps)
    t = raw.facilities
    ev = raw.events
    moved = ev["mw"] != 0
    k = seg.pos[static.clock.step_of(ev["t_h"][moved])]
    # Sums on the runs where some load changes only (run seg.n: past the end),
    # then carried over the others: adding 0.0 changes no sum (none is -0.0).
    at = unique(np.concatenate([np.zeros(1, dtype=np.int64), k]))
    col = np.searchsorted(at, k)
    acc = np.zeros((2, Z, at.size))
    init = t.connect_h <= 0
    np.add.at(acc, (t.licensed[init].astype(int), t.zone[init], 0), t.load_mw[init])
    if moved.any():
        zone, mw = ev["zone"][moved], ev["mw"][moved]
        np.add.at(acc, (licensed_after(t, ev)[moved].astype(int), zone, col), mw)
        # A licensed site going grey moves its load out of the licensed pool.
        went = ev["event"][moved] == FacilityState.WENT_GREY
        np.add.at(acc, (1, zone[went], col[went]), -mw[went])
    level = np.maximum(np.cumsum(acc, axis=2), 0.0)
    if at.size == seg.n + 1:  # a change at every run (and past the end)
        return level[0, :, : seg.n], level[1, :, : seg.n]
    run = np.searchsorted(at, np.arange(seg.n), side="right") - 1
    return level[0].take(run, axis=-1), level[1].take(run, axis=-1)


@dataclass
class RunBalance:
    """The operator's dispatch of one replication as series constant on runs of
    steps (all zones x runs, MW); fields as in :class:`Balance`."""

    demand: Steps
    grey: Steps
    licensed: Steps
    allowed: Steps
    generation: Steps
    imports: Steps
    served: Steps
    shed: Steps
    curtailed: Steps
    flow_up: Steps
    relief_limits: Steps
    """Licensed load held back by lasting orders, national (MW)."""
    import_cap: Steps
    up_cap: np.ndarray
    down_cap: np.ndarray
    links: flows.RunLinkFlows

    def expand(self) -> Balance:
        """The per-step :class:`Balance`."""
        return Balance(**expand_fields(self, Balance))


def dispatch(static: Static, raw: Raw, compress: bool = True, fast: bool = True) -> Balance:
    """Balance every zone at every step: transfers, imports, curtailment, shedding.

    Per-step arrays of :func:`dispatch_runs`; ``compress=False`` solves every
    step, ``fast=False`` never takes the adequacy fast path (for tests).
    """
    return dispatch_runs(static, raw, compress, fast).expand()


def dispatch_runs(static: Static, raw: Raw, compress: bool = True, fast: bool = True) -> RunBalance:
    """Balance every zone at every step, as series constant on runs of steps.

    Steps are independent and every input is piecewise constant, so the balance
    is computed once per run of identical steps (:func:`segments`) and copied to
    the others: exact, and the cost follows the changes, not the steps. A
    replication without mining load (and without the mechanisms that hold or
    move power where nothing is short: :func:`fast_eligible`) takes the adequacy fast path
    (:func:`adequacy_balance`), which solves only the steps where generation
    can fall short of load. ``compress=False`` solves every step.
    """
    if compress and fast and fast_eligible(static, raw):
        return adequacy_balance(static, raw)
    T = static.clock.n_steps
    seg = segments(static, raw) if compress else Segments.every_step(T)
    if seg.n > MAX_RUN_SHARE * T:
        seg = Segments.every_step(T)
    cols = seg.starts
    at = outside.columns  # the steps ``cols`` of a per-step array (itself if all)
    weather = at(raw.anomaly_c, cols) + at(static.cold_c, cols)
    demand = np.maximum(at(static.base_demand, cols) - static.sensitivity[:, None] * weather[None, :], 0.0)
    grey, licensed = facility_load(static, raw, seg)
    allowed = licensed * at(order_share(static, raw), cols)
    outages = (raw.outage_t, raw.outage_unit, raw.outage_up, raw.outage_up0)
    gen = supply.available(static.units, static.supply, raw.variable, static.clock, len(static.zones),
                           outages, seg.pos, cols)  # fmt: skip
    firm = demand + grey
    events = flows.sudden_cuts(static, raw, gen, firm, allowed, seg.pos, cols, solve_secure)
    res, zi = flows.solve(static, raw, gen, firm, allowed, cols, solve_secure)
    flows.shed_by_stages(events, res, firm, allowed, seg.pos)

    def x(a: np.ndarray) -> Steps:
        return Steps(cols, a, T)

    return RunBalance(
        demand=x(demand),
        grey=x(grey),
        licensed=x(licensed),
        allowed=x(allowed),
        generation=x(gen),
        import_cap=x(zi.scheduled + zi.room),
        imports=x(res.scheduled + res.unscheduled),
        served=x(firm - res.shed),
        shed=x(res.shed),
        curtailed=x(np.clip(res.curtailed, 0.0, allowed)),
        flow_up=x(res.flow),
        relief_limits=x(zone_sum(licensed * (1.0 - at(static.lasting, cols)), T)),
        up_cap=static.up_cap,
        down_cap=static.down_cap,
        links=flows.link_flows(static, res, zi, x, events),
    )


def fast_eligible(static: Static, raw: Raw) -> bool:
    """Whether :func:`adequacy_balance` is exact for a replication: no mining
    load, and nothing that acts where no zone is short (operating reserve,
    scheduled imports or exports, unscheduled imports for firm load only,
    security limits, under-frequency load shedding at sudden cuts), nor a
    capacity that changes between outage events (seasonal supply classes,
    outside links' random availability)."""
    ol = static.outside
    return (
        raw.facilities.n == 0
        and static.supply is None
        and not static.reserve.any()
        and static.up_limit is None
        and (not static.cuts or static.scenario.operator.ufls is None)
        and not ol.random
        and not ol.firm_only
        and not ol.scheduled_in.any()
        and not ol.scheduled_out.any()
    )


def adequacy_balance(static: Static, raw: Raw) -> RunBalance:
    """:func:`dispatch_runs` for a replication eligible for the fast path
    (:func:`fast_eligible`), exactly.

    Generation is constant between outage events (and month changes, planned
    outages and trips); where every zone's generation covers its load, less a
    slack of :data:`~sim.dispatch.adequacy.SLACK`, the balance is known: the
    load served, nothing shed, curtailed, imported or transferred. Only the
    other steps are solved (:func:`~sim.dispatch.adequacy.short_steps`), as
    :func:`dispatch_runs` solves them.
    """
    clock, units = static.clock, static.units
    T, Z = clock.n_steps, len(static.zones)
    # Demand changes with the scenario's inputs and the days of weather only.
    change = static.static_change
    a = raw.anomaly_c
    if a.any():
        change = change.copy()
        change[1:] |= a[1:] != a[:-1]
    if np.count_nonzero(change) > MAX_RUN_SHARE * T:  # as dispatch_runs: every step
        d, weather, base = every_step(T), a + static.cold_c, static.base_demand
    else:
        d = np.flatnonzero(change)
        weather, base = (a + static.cold_c)[d], static.base_demand.take(d, axis=1)
    demand = np.maximum(base - static.sensitivity[:, None] * weather[None, :], 0.0)
    firm = demand + 0.0  # plus a grey mining load of 0.0, as dispatch_runs adds it
    p = capacity_starts(static, raw)
    gen = generation.available_capacity(
        units, clock, Z, raw.outage_t, raw.outage_unit, raw.outage_up, raw.outage_up0, starts=p
    )
    # Import room changes only with the scenario's inputs (within ``d``).
    zi = outside.zone_imports(static.outside, raw.availability, d, Z)
    import_cap = zi.scheduled + zi.room
    slack = SLACK * (gen + import_cap.max(axis=1, initial=0.0)[:, None])
    k, run = short_steps(gen, p, firm, d, slack, T)
    op = static.scenario.operator
    zero = Steps.full(0.0, (Z,), T)
    n_out = static.outside.n
    zero_l, zero_o = Steps.full(0.0, (len(static.scenario.links),), T), Steps.full(0.0, (n_out,), T)
    shed = unshed(firm, d, op.shed_block_fraction, T)
    served = Steps(d, firm - shed.values, T)
    bases = [zero, shed, served, zero, zero, zero_l, zero_o, zero_o, zero_o, zero, zero, served]
    if k.size:
        col = k if d.size == T else np.searchsorted(d, k, side="right") - 1
        gen_k, firm_k = gen.take(run, axis=1), firm.take(col, axis=1)
        allowed = np.zeros_like(firm_k)  # licensed load 0.0 times the orders' limits
        res, zk = flows.solve(static, raw, gen_k, firm_k, allowed, k, solve_secure)
        flow, imports_l, unsched, exports = flows.per_link(static, res, zk)
        curtailed_k = np.clip(res.curtailed, 0.0, allowed)
        values = [res.scheduled + res.unscheduled, res.shed, firm_k - res.shed, curtailed_k, res.flow]
        values += [flow, imports_l, unsched, exports, res.exported, res.reserve, res.generation]
        out = patch_all(bases, k, values)
    else:
        out = bases
    imports, shed, served, curtailed, flow_up, flow_l, imp_l, unsched_l, exp_l, exported, reserve, gen_d = out
    return RunBalance(
        demand=Steps(d, demand, T),
        grey=zero,
        licensed=zero,
        allowed=zero,
        generation=Steps(p, gen, T),
        import_cap=Steps(d, import_cap, T),
        imports=imports,
        served=served,
        shed=shed,
        curtailed=curtailed,
        flow_up=flow_up,
        relief_limits=Steps.full(0.0, (), T),
        up_cap=static.up_cap,
        down_cap=static.down_cap,
        links=flows.RunLinkFlows(
            flow_l, imp_l, unsched_l, exp_l, exported, reserve, gen_d, static.up_limit, static.down_limit, []
        ),
    )


def unshed(firm: np.ndarray, starts: np.ndarray, fraction: float, n: int) -> Steps:
    """What :func:`~sim.dispatch.balance.solve_balance` sheds where nothing is
    short: 0.0, or -0.0 in blocks of a positive load (signed zeros, kept to
    the bit), one run per zone when it does not change."""
    if fraction == 0:
        return Steps.full(0.0, (firm.shape[0],), n)
    zero = shed_blocks(np.zeros_like(firm), firm, fraction)
    sign = np.signbit(zero)
    if (sign == sign[:, :1]).all():
        return Steps(starts[:1], zero[:, :1], n)
    return Steps(starts, zero, n)


def capacity_starts(static: Static, raw: Raw) -> np.ndarray:
    """Steps at which available capacity may change (sorted): step 0, unit
    outages and returns, planned outages and trips, and months (if derated)."""
    clock, units = static.clock, static.units
    T = clock.n_steps
    parts = [np.zeros(1, dtype=np.int64), clock.step_of(raw.outage_t)]
    if units.held_out:
        bounds = np.array([[a, b] for _, a, b in units.held_out]).ravel()
        parts.append(clock.step_of(np.clip(bounds, 0.0, clock.horizon_h)))
    if (units.derating != 0).any():
        m = clock.month
        parts.append(np.flatnonzero(m[1:] != m[:-1]) + 1)
    k = np.concatenate(parts)
    return unique(k[k < T])
