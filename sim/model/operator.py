"""The operator as a process that watches the grid: the day-ahead rule.

Causal order (docs/architecture.md): the operator sees the grid of its
replication (unit outages, derating, hydro and wind, the weather, the outside
systems' availability, the links' limits, and the mining load as it connects)
and nothing the miners or the agency do in response to its orders (exits,
licensed sites going grey, the campaign's closures). So its orders come first:
:func:`rule_signals` draws the replication's grid and population from their own
streams, forecasts every zone's margin for every step with numpy
(:func:`margins`), works out on which days its rule rations, cuts off or lifts
(:func:`held_orders`, vectorised over days), and a SimPy process
(:func:`decide`) issues those orders at their decision hours, waking only when
they change, building the replication's
:class:`~sim.model.signals.GridSignals`. The miners' economics, the campaign's
trigger and the balance then read those signals. With common random numbers a
higher demand lowers every margin, and the rule's orders only grow as margins
fall, so more demand never means less rationing.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace

import numpy as np
import simpy

from sim.dispatch.transfer import Network
from sim.model import supply
from sim.model.clock import Clock
from sim.model.mining import FacilityTable
from sim.model.openloop import first_shedding_h, needs_first_shedding, open_loop_signals
from sim.model.outside import zone_imports
from sim.model.replication import Drawn, Raw, Static, draw_inputs, simulate
from sim.model.signals import GridSignals, day_starts, first_time

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Margins:
    """What the operator forecasts for one replication (Z x T, MW)."""

    margin: np.ndarray
    """Supply it can count on, less the reserve and the forecast firm load, with
    what the links bring from (or must send to) the other zones."""
    firm: np.ndarray
    """What firm load can count on beyond itself: the margin with the reserve,
    the room for unscheduled imports and the links' emergency capacity beyond
    their security limits (below zero, firm load is shed)."""
    licensed: np.ndarray
    """Licensed mining load connected."""


def connected_load(table: FacilityTable, clock: Clock, n_zones: int) -> tuple[np.ndarray, np.ndarray]:
    """Licensed and grey mining load connected per zone and step (Z x T each,
    MW), as the sites connect, before anyone responds to the operator or the agency."""
    T = clock.n_steps
    k = clock.step_of(np.maximum(table.connect_h, 0.0))
    on = k < T
    out = np.zeros((2, n_zones, T + 1))
    np.add.at(out, (table.licensed[on].astype(int), table.zone[on], k[on]), table.load_mw[on])
    level = np.cumsum(out, axis=2)[:, :, :T]
    return level[1], level[0]


def tree_margin(net: Network, own: np.ndarray, up: np.ndarray, down: np.ndarray) -> np.ndarray:
    """Each zone's margin with the rest of its tree (Z x T): its own margin plus,
    over each link, what the zones beyond it can send (their margin, if positive)
    or must draw (if negative), within the link's limits (``up``/``down``: each
    zone's link to its parent, towards it and back). Two short zones may each
    count the same surplus of a third."""
    Z, T = own.shape
    offer = np.zeros((Z, T))  # what each zone's subtree sends its parent (<0: draws)
    below = np.zeros((Z, T))  # sum of the children's offers
    for z in reversed(net.preorder):
        below[z] = sum((offer[c] for c in net.children[z]), np.zeros(T))
        if net.parent[z] >= 0:
            offer[z] = np.clip(own[z] + below[z], -down[z], up[z])
    inflow = np.zeros((Z, T))  # what the parent's side sends each zone (<0: draws)
    for z in net.preorder:
        p = net.parent[z]
        if p >= 0:
            inflow[z] = np.clip(own[p] + inflow[p] + below[p] - offer[z], -up[z], down[z])
    return own + below + inflow


def margins(static: Static, table: FacilityTable, grid: tuple) -> Margins:
    """The operator's forecast margin of every zone and step of one replication
    (``grid``: :func:`sim.model.replication.draw_grid`), vectorised over steps."""
    sc, clock = static.scenario, static.clock
    rule = sc.operator.rule
    assert rule is not None, "margins need operator.rule"
    Z, T = len(static.zones), clock.n_steps
    t, u, up_, up0, anomaly, avail, wind = grid
    every = np.arange(T)
    outages = (t, u, up_, up0)
    gen = supply.available(static.units, static.supply, wind, clock, Z, outages, np.arange(T + 1), every)
    zi = zone_imports(static.outside, avail, every, Z)
    weather = anomaly + static.cold_c
    demand = np.maximum(static.base_demand - static.sensitivity[:, None] * weather[None, :], 0.0)
    licensed, grey = connected_load(table, clock, Z)
    firm = gen + zi.scheduled - demand - rule.grey_share * grey
    # Licensed miners come after the reserve and the scheduled exports, and may
    # use unscheduled imports only if they are not reserved for firm load.
    own = firm - static.reserve[:, None] - zi.export + (0.0 if static.outside.firm_only else zi.room)
    up = static.up_cap if static.up_limit is None else np.minimum(static.up_limit, static.up_cap)
    down = static.down_cap if static.down_limit is None else np.minimum(static.down_limit, static.down_cap)
    net = static.network
    margin = tree_margin(net, own, up, down)
    return Margins(margin, tree_margin(net, firm + zi.room, static.up_cap, static.down_cap), licensed)


def held_orders(short: np.ndarray, lift_after_days: int) -> np.ndarray:
    """Whether each order holds on each day (rows x D booleans) from whether its
    condition holds (``short``, same shape): an order starts on a day its
    condition holds and is lifted on the ``lift_after_days``-th day in a row it
    does not, so it holds on a day with its condition in the last
    ``lift_after_days`` days (that day included)."""
    D = short.shape[1]
    days = np.arange(D)
    window = max(int(lift_after_days), 1)
    last = np.maximum.accumulate(np.where(short, days, -window - 1), axis=1) if D else short.astype(int)
    return days - last < window


def decide(
    env: simpy.Environment, when_h: list[float], held: np.ndarray, orders: np.ndarray
) -> Generator[simpy.Event, None, None]:
    """The operator's process: it issues its orders (``held``, rows x D: whether
    each zone's rationing and cut-off hold on day ``d``, :func:`held_orders`) at
    ``when_h[d]``, waking only on the days they change (and the first), and
    writes them into ``orders`` (same shape), where they stand until the next
    change."""
    D = held.shape[1]
    if not D:
        return
    change = np.flatnonzero(np.r_[True, (held[:, 1:] != held[:, :-1]).any(axis=0)]).tolist()
    for d, end in zip(change, [*change[1:], D], strict=True):
        yield env.timeout(max(when_h[d] - env.now, 0.0))
        orders[:, d:end] = held[:, d, None]


def day_orders(static: Static, m: Margins) -> tuple[np.ndarray, np.ndarray]:
    """Run the operator's process over the replication: which zones are rationed
    and which cut off on each local day (Z x D booleans each)."""
    sc, clock = static.scenario, static.clock
    rule = sc.operator.rule
    assert rule is not None
    starts = day_starts(clock)
    limit = rule.licensed_limit
    day_margin = np.minimum.reduceat(m.margin, starts, axis=1)
    day_limit = np.minimum.reduceat(m.firm - limit * m.licensed, starts, axis=1)
    applies = np.array([not rule.zones or z in rule.zones for z in static.zones])
    # Day d is decided at the decision hour of the day before (not before the start).
    when_h = np.maximum(starts * clock.step_h - HOURS_PER_DAY + rule.decision_hour, 0.0)
    Z, D = day_margin.shape
    # Rows: the zones' rationing, then their cut-off (the comparisons in numpy, once).
    short = np.concatenate([day_margin < rule.ration_below_mw, day_limit < rule.cutoff_below_mw])
    short &= np.concatenate([applies, applies])[:, None]
    orders = np.zeros((2 * Z, D), dtype=bool)
    env = simpy.Environment()
    env.process(decide(env, when_h.tolist(), held_orders(short, rule.lift_after_days), orders))
    env.run()
    both = orders.reshape(2, Z, D)
    ration, cut = both[0], both[1]
    return ration, cut


def allowed_share(static: Static, ration: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """Share of licensed load allowed per zone and step (Z x T): the rule's daily
    orders mixed with the scripted ones (the stricter wins)."""
    rule = static.scenario.operator.rule
    assert rule is not None
    clock = static.clock
    day = np.where(cut, 0.0, np.where(ration, rule.licensed_limit, 1.0))
    starts = day_starts(clock)
    of_step = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, clock.n_steps]))
    return np.minimum(static.allowed, day[:, of_step])


def rule_signals(static: Static, replication: int, drawn: Drawn | None = None) -> GridSignals:
    """The grid signals of replication ``replication`` under the day-ahead rule
    (the first shedding left unknown: see :func:`replication_signals`);
    ``drawn``: its population and grid, if already drawn."""
    clock = static.clock
    drawn = drawn or draw_inputs(static, replication)
    m = margins(static, drawn.table, drawn.grid)
    allowed = allowed_share(static, *day_orders(static, m))
    return GridSignals(
        allowed=allowed,
        first_limit_h=first_time(allowed < 1.0, clock.step_h),
        first_cutoff_h=first_time(allowed <= 0.0, clock.step_h),
    )


def replication_signals(static: Static, replication: int, drawn: Drawn | None = None) -> GridSignals | None:
    """What the grid tells the actors of replication ``replication``: the rule's
    signals when the scenario has ``operator.rule``, else the scripted operator's
    (:func:`sim.model.openloop.open_loop_signals`); with the first shedding (a
    dispatch of the replication before anyone responds) when the campaign waits
    for it. None: the scripted signals of ``static`` suffice. ``drawn``: the
    replication's population and grid, if already drawn."""
    if static.scenario.operator.rule is None:
        return open_loop_signals(static, replication)
    signals = rule_signals(static, replication, drawn)
    if needs_first_shedding(static):
        signals = replace(signals, first_shedding_h=first_shedding_h(static, replication, signals))
    return signals


def run_replication(static: Static, replication: int) -> Raw:
    """Replication ``replication`` with its own grid signals (the closed loop:
    the rule's orders from the replication's grid, or the scripted ones), drawn
    once: what every ensemble runs."""
    drawn = draw_inputs(static, replication) if static.scenario.operator.rule is not None else None
    return simulate(static, replication, replication_signals(static, replication, drawn), drawn)
