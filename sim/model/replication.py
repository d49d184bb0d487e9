"""One replication: a :class:`simpy.Environment` with the scenario's processes.

:func:`prepare` builds what every replication shares (demand shape, units,
link capacities, orders) once per scenario; :func:`simulate` runs one
replication and returns its raw records; :func:`sim.results.metrics.evaluate` turns
those into results.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.dispatch.transfer import Network
from sim.model import cold, demand, economics, frequency, generation, network, outages, outside, supply
from sim.model.clock import Clock
from sim.model.enforcement import Agency, campaign_start_h
from sim.model.mining import Facilities, FacilityTable, sample_population
from sim.model.recorder import Recorder
from sim.model.signals import GridSignals
from sim.scenario.schema import Exodus, Scenario

#: Random streams of a replication, one per component (docs/architecture.md). New
#: streams go at the end, so that the existing ones keep their draws.
STREAMS = (
    "population",
    "outages",
    "enforcement",
    "shocks",
    "weather",
    "outside",
    "renewables",
    "economics",
    "deterrence",
)


@dataclass(frozen=True)
class Static:
    """What every replication of a scenario shares, computed once."""

    scenario: Scenario
    clock: Clock
    zones: tuple[str, ...]
    base_demand: np.ndarray
    """Ordinary demand before weather, Z x T (MW)."""
    cold_c: np.ndarray
    """Temperature change from cold snaps per step, C."""
    sensitivity: np.ndarray
    """MW per C of cold anomaly, per zone."""
    units: generation.UnitTable
    network: Network
    up_cap: np.ndarray
    """Capacity of each zone's link to its parent, towards the parent (Z x T)."""
    down_cap: np.ndarray
    """... and from the parent (Z x T)."""
    import_cap: np.ndarray
    """Import capacity from outside systems into each zone (Z x T)."""
    outside: outside.OutsideLinks
    """Outside links: schedules, capacities, availability processes."""
    up_limit: np.ndarray | None
    """Security limit of each zone's link to its parent, towards the parent
    (Z x T; none: no link has one)."""
    down_limit: np.ndarray | None
    """... and from the parent."""
    reserve: np.ndarray
    """Operating reserve each zone holds (Z, MW)."""
    supply: supply.SupplyClasses | None
    """Units grouped by seasonal keys (none: no fleet has one)."""
    cuts: tuple[frequency.SuddenCut, ...]
    """Sudden cuts of links (under-frequency load shedding)."""
    allowed: np.ndarray
    """Fraction of licensed mining load allowed by orders (Z x T)."""
    lasting: np.ndarray
    """Same, lasting orders only (Z x T)."""
    static_change: np.ndarray
    """Steps at which an input that is the same in every replication changes:
    hours of the load shape, cold snaps, orders, links, imports, months
    (derating), maintenance and trips; and step 0. T booleans."""
    signals: GridSignals | None = None
    """The scripted operator's signals (from ``allowed``), for replications not
    given their own."""
    market: economics.Market | None = None
    """Hashprice and levy per day, when the miners' economics are on."""

    def scripted_signals(self) -> GridSignals:
        """The scripted operator's signals: :attr:`signals`, or built from
        :attr:`allowed` for a ``Static`` made without them."""
        return self.signals or GridSignals.scripted(self.allowed, self.clock)


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules (for the
    per-event cost in ``make bench``), through SimPy's public ``schedule``."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled = 0

    def schedule(self, event: simpy.events.Event, priority: int = NORMAL, delay: float = 0) -> None:
        """Schedule ``event`` (see :meth:`simpy.Environment.schedule`) and count it."""
        self.scheduled += 1
        super().schedule(event, priority, delay)


def prepare(sc: Scenario) -> Static:
    """Precompute the parts of the model that do not depend on randomness."""
    clock = Clock(sc.start, sc.timezone, sc.step_h, sc.n_steps)
    net = network.build_network(sc)
    fwd, back = network.link_capacity(sc, clock)
    T = clock.n_steps
    up, down = network.zone_capacities(net, fwd, back)
    limits = network.security_limits(sc, fwd, back)
    up_lim, down_lim = (None, None) if limits is None else network.zone_capacities(net, *limits)
    allowed, lasting = network.limit_factors(sc, clock)
    base = demand.static_demand(sc, clock)
    cold = demand.cold_offset(sc, clock)
    units = generation.unit_table(sc, clock)
    imports = network.import_capacity(sc, fwd)
    change = np.zeros(T, dtype=bool)
    change[:1] = True
    links = outside.outside_links(sc, clock, fwd, back)
    classes = supply.supply_classes(sc, clock, units, base)
    changing = [base, cold[None, :], allowed, lasting, up, down, imports, clock.month[None, :]]
    changing += [a for a in (up_lim, down_lim) if a is not None]
    changing += [links.capacity, links.reverse, links.scheduled_in, links.scheduled_out]
    changing += [] if classes is None else [classes.factor]
    for arr in changing:
        if arr.size and T > 1:
            change[1:] |= np.any(arr[:, 1:] != arr[:, :-1], axis=0)
    cuts = frequency.sudden_cuts(sc, clock)
    change[frequency.change_steps(cuts, sc.operator.ufls, clock)] = True
    for _, a, b in units.held_out:
        for when in (a, b):
            k = int(clock.step_of(min(max(when, 0.0), clock.horizon_h)))
            if k < T:
                change[k] = True
    return Static(
        scenario=sc,
        clock=clock,
        zones=tuple(sc.zones),
        base_demand=base,
        cold_c=cold,
        sensitivity=np.array([z.temperature_sensitivity_mw_per_c for z in sc.zones.values()]),
        units=units,
        network=net,
        up_cap=up,
        down_cap=down,
        import_cap=imports,
        outside=links,
        up_limit=up_lim,
        down_limit=down_lim,
        reserve=network.reserve_requirement(sc, units.zone, units.capacity_mw),
        supply=classes,
        cuts=cuts,
        allowed=allowed,
        lasting=lasting,
        static_change=change,
        signals=GridSignals.scripted(allowed, clock),
        market=economics.market(sc, clock),
    )


class Streams(Mapping[str, np.random.Generator]):
    """The generators of one replication, by name (:data:`STREAMS`), each made
    when first used: a replication without mining or enforcement never pays for
    theirs. The ``i``-th is ``SeedSequence(seed, spawn_key=(replication, i))``,
    what ``SeedSequence(seed, spawn_key=(replication,)).spawn(len(STREAMS))[i]`` is."""

    __slots__ = ("_made", "replication", "seed")

    def __init__(self, seed: int, replication: int) -> None:
        self.seed, self.replication = seed, replication
        self._made: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        rng = self._made.get(name)
        if rng is None:
            i = STREAMS.index(name) if name in STREAMS else None
            if i is None:
                raise KeyError(name)
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.replication, i)))
            self._made[name] = rng
        return rng

    def __iter__(self) -> Iterator[str]:
        return iter(STREAMS)

    def __len__(self) -> int:
        return len(STREAMS)


def streams(seed: int, replication: int) -> Streams:
    """The independent generators of one replication.

    Replication ``i`` uses ``SeedSequence(seed, spawn_key=(i,))`` (what
    ``SeedSequence(seed).spawn`` gives as its ``i``-th child), so it does not
    depend on which worker runs it or on how many replications there are.
    """
    return Streams(seed, replication)


@dataclass
class Raw:
    """What one replication produced: records and the random inputs drawn."""

    replication: int
    facilities: FacilityTable
    events: dict[str, np.ndarray]
    outage_t: np.ndarray
    outage_unit: np.ndarray
    outage_up: np.ndarray
    outage_up0: np.ndarray
    """Whether each unit is up at time 0."""
    anomaly_c: np.ndarray
    sim_events: int
    """Events the SimPy environment scheduled."""
    availability: np.ndarray
    """Share of each outside link's capacity available per step (L_o x T)."""
    variable: np.ndarray
    """Capacity factor of each supply class with a random one, per step (W x T)."""
    campaign_start_h: float = float("nan")
    """When the campaign starts (or would start, were it enabled), hours from the
    start; inf if its trigger never comes, nan without window or trigger."""
    signals: GridSignals | None = None
    """What the grid told the replication's actors; its ``allowed`` is what the
    balance holds licensed miners to (none: the scripted ``static.allowed``)."""


@dataclass(frozen=True)
class Drawn:
    """The draws of a replication that its operator reads before it runs: the
    mining population and the grid (:func:`draw_grid`), from their own streams."""

    table: FacilityTable
    grid: tuple


def draw_inputs(static: Static, replication: int) -> Drawn:
    """The population and the grid of replication ``replication``: the same draws
    :func:`simulate` makes (their streams are used for nothing else)."""
    rng = streams(static.scenario.seed, replication)
    table = sample_population(static.scenario, static.clock, rng["population"])
    return Drawn(table, draw_grid(static, rng))


def simulate(
    static: Static, replication: int, signals: GridSignals | None = None, drawn: Drawn | None = None
) -> Raw:
    """Run one replication of the discrete-event model. ``signals``: what the grid
    tells the miners and the agency (default: the scripted operator's,
    ``static.signals``); ``drawn``: its population and grid if already drawn
    (:func:`draw_inputs`; default: drawn here, the same)."""
    sc, clock = static.scenario, static.clock
    rng = streams(sc.seed, replication)
    if signals is None:
        if sc.operator.rule is not None:
            raise ValueError(
                f"scenario {sc.name!r} has an operator rule: its orders come from each replication's "
                "grid, so give simulate() the replication's signals, or run it with "
                "sim.model.operator.run_replication"
            )
        signals = static.scripted_signals()
    env = CountingEnvironment()
    record = Recorder()
    table = sample_population(sc, clock, rng["population"]) if drawn is None else drawn.table
    facilities = Facilities(env, table, record)
    env.process(facilities.connections())
    if static.market is not None:
        moves = economics.plan(sc.mining.economics, static.market, table, signals, clock, rng["economics"])
        env.process(facilities.follow(moves))
    if sc.enforcement.enabled:
        agency = Agency(
            env, sc.enforcement, clock, facilities, rng["enforcement"], signals, rng["deterrence"]
        )
        agency.start()
    for shock in sc.shocks:
        if isinstance(shock, Exodus):
            env.process(facilities.exodus(shock, clock, rng["shocks"]))
    env.run(until=clock.horizon_h)
    grid = draw_grid(static, rng) if drawn is None else drawn.grid
    start = campaign_start_h(sc.enforcement, clock, signals)
    return Raw(replication, table, record.arrays(), *grid[:5], env.scheduled, *grid[5:], start, signals)


def draw_grid(static: Static, rng: Mapping[str, np.random.Generator]) -> tuple:
    """The grid's random inputs of one replication, from its own streams:
    ``(outage_t, outage_unit, outage_up, outage_up0, anomaly_c, availability,
    variable)`` in the order of :class:`Raw`'s fields. Separate streams, so the
    order of the draws changes none of them."""
    sc, clock = static.scenario, static.clock
    anomaly = demand.temperature_anomaly(sc, clock, rng["weather"])
    units = cold.with_cold(static.units, clock, anomaly + static.cold_c, sc.generation.cold_outage_per_c)
    t, u, up, up0 = outages.sample_outages(units, clock.horizon_h, rng["outages"])
    avail = outside.draw_availability(static.outside, sc, clock, anomaly, rng["outside"])
    wind = supply.draw_variable(static.supply, clock, rng["renewables"])
    return t, u, up, up0, anomaly, avail, wind
