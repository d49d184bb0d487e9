"""Mining facilities: the population, their life cycle, connections and exits.

Life cycle (docs/architecture.md)::

    pending -> operating -> inspected -> compliant | closed_voluntarily | disconnected_by_force
                         -> exited | moved_abroad | gone_dark
                         -> went_grey (licensed only) -> inspected | moved_abroad | gone_dark
    disconnected_by_force -> reconnected

Curtailment of licensed miners by the operator (shortage) and limits by its
orders are computed by the vectorised balance (:mod:`sim.dispatch.transfer`), not as
per-facility events: they depend on the hour's balance, not on the facility.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.model.clock import Clock
from sim.model.recorder import Recorder
from sim.scenario.schema import Exodus, MiningWave, Population, Scenario, SizeDistribution
from sim.vocab import ON_GRID, OPERATING, LegalStatus
from sim.vocab import FacilityState as S

#: States in which a facility draws its load from the grid.
#: Offset used for facilities that were connected before the scenario starts.
ALREADY_CONNECTED = -1.0


@dataclass(frozen=True)
class FacilityTable:
    """The sampled population of one replication (arrays of length F)."""

    @property
    def n(self) -> int:
        """Number of facilities."""
        return self.zone.size

    zone: np.ndarray
    """Zone index of each facility."""
    licensed: np.ndarray
    """True for licensed facilities, False for grey ones."""
    capacity_mw: np.ndarray
    """Nameplate capacity, MW."""
    load_mw: np.ndarray
    """Load drawn while on the grid (capacity x utilisation), MW."""
    devices: np.ndarray
    """Number of mining devices."""
    connect_h: np.ndarray
    """Hours from the start at which it connects (negative: already connected)."""
    hardware: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Index of its hardware class in ``mining.hardware`` (empty: not drawn)."""


def lognormal_sizes(sizes: SizeDistribution, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` facility sizes (MW): lognormal by median and 90th percentile,
    truncated to ``[min_mw, cap_mw]`` by redrawing."""
    mu = np.log(sizes.median_mw)
    sigma = np.log(sizes.p90_mw / sizes.median_mw) / 1.2815515655446004
    out = rng.lognormal(mu, sigma, n)
    bad = (out > sizes.cap_mw) | (out < sizes.min_mw)
    while bad.any():
        out[bad] = rng.lognormal(mu, sigma, int(bad.sum()))
        bad = (out > sizes.cap_mw) | (out < sizes.min_mw)
    return out


def _draw(
    total_mw: float | None, count: int | None, sizes: SizeDistribution, rng: np.random.Generator
) -> np.ndarray:
    if count is not None:
        return lognormal_sizes(sizes, count, rng)
    assert total_mw is not None
    draws = np.zeros(0)
    batch = max(8, int(2 * total_mw / sizes.median_mw))
    while draws.sum() < total_mw:
        draws = np.concatenate([draws, lognormal_sizes(sizes, batch, rng)])
    n = int(np.searchsorted(np.cumsum(draws), total_mw)) + 1
    chosen = draws[:n]
    # The last facility overshoots the total: scale so the population is exact.
    return chosen * (total_mw / chosen.sum())


def sample_population(sc: Scenario, clock: Clock, rng: np.random.Generator) -> FacilityTable:
    """Draw every facility of the scenario: sizes, devices, connection times."""
    zones = list(sc.zones)
    m = sc.mining
    pops: list[Population] = list(m.populations)
    waves: list[tuple[Population, float, float]] = []
    for shock in sc.shocks:
        if isinstance(shock, MiningWave):
            pop = Population(
                zone=shock.zone,
                legal_status=shock.legal_status,
                total_mw=shock.total_mw,
                sizes=shock.sizes,
                utilisation=shock.utilisation,
            )
            end = clock.horizon_h if shock.end is None else clock.hours(shock.end)
            waves.append((pop, clock.hours(shock.start), end))
    kw = np.array([h.kw for h in m.hardware]) * m.overhead
    shares = np.array([h.share for h in m.hardware])
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("zone", "lic", "cap", "util", "conn")}
    for pop, window in [(p, None) for p in pops] + [(p, (a, b)) for p, a, b in waves]:
        total, count = pop.total_mw, pop.count
        if pop.legal_status == LegalStatus.GREY:
            total = None if total is None else total * m.grey_scale
            count = None if count is None else max(1, round(count * m.grey_scale))
        cap = _draw(total, count, pop.sizes, rng)
        n = cap.size
        if window is None and pop.connect is not None:
            window = (clock.hours(pop.connect.start), clock.hours(pop.connect.end))
        conn = np.full(n, ALREADY_CONNECTED) if window is None else rng.uniform(window[0], window[1], n)
        cols["zone"].append(np.full(n, zones.index(pop.zone)))
        cols["lic"].append(np.full(n, pop.legal_status == LegalStatus.LICENSED))
        cols["cap"].append(cap)
        cols["util"].append(np.full(n, pop.utilisation))
        cols["conn"].append(conn)
    if not cols["cap"]:
        empty = np.zeros(0)
        return FacilityTable(
            empty.astype(int), empty.astype(bool), empty, empty, empty.astype(int), empty, empty.astype(int)
        )
    cap = np.concatenate(cols["cap"])
    # Each facility runs one hardware class, drawn from the mix.
    cls = rng.choice(kw.size, size=cap.size, p=shares) if kw.size else np.zeros(cap.size, int)
    devices = np.rint(cap * 1000.0 / kw[cls]).astype(np.int64) if kw.size else np.zeros(cap.size, int)
    return FacilityTable(
        zone=np.concatenate(cols["zone"]).astype(np.int64),
        licensed=np.concatenate(cols["lic"]),
        capacity_mw=cap,
        load_mw=cap * np.concatenate(cols["util"]),
        devices=devices,
        connect_h=np.concatenate(cols["conn"]),
        hardware=cls.astype(np.int64),
    )


def licensed_after(table: FacilityTable, events: dict[str, np.ndarray]) -> np.ndarray:
    """For each recorded event, whether its facility is licensed once the event has
    happened (its load is in the licensed pool), or grey: licensed facilities stay
    licensed until they go grey (``went_grey``, at most once each)."""
    ent = events["entity"]
    lic = table.licensed[ent]
    went = np.flatnonzero(events["event"] == S.WENT_GREY)
    if went.size:
        first = np.full(table.n, np.iinfo(np.int64).max)
        first[ent[went]] = went
        lic = lic & (np.arange(ent.size) < first[ent])
    return lic


class Facilities:
    """The state of every facility in one replication, and the changes to it.

    Every change goes through :meth:`set_state`, which records it with the load
    change it causes (MW, signed).
    """

    def __init__(self, env: simpy.Environment, table: FacilityTable, record: Recorder) -> None:
        self.env = env
        self.table = table
        self.record = record
        self.state = [S.OPERATING if c <= 0 else S.PENDING for c in table.connect_h]
        #: Whether each facility is licensed now (it stops being so when it goes grey).
        self.licensed = table.licensed.copy()
        #: Whether each facility has been picked for inspection (Python bools, as
        #: ``operating``: read and written one site at a time).
        self.inspected: list[bool] = [False] * table.n
        #: Whether each facility is operating (or reconnected): the sites an agency may visit.
        self.operating: list[bool] = (table.connect_h <= 0).tolist()
        #: Facilities in the order they started operating (the agency reads it).
        self.arrivals: list[int] = [i for i, on in enumerate(self.operating) if on]
        # Loads and zones as Python numbers (the same values), read at every change.
        self._load: list[float] = table.load_mw.tolist()
        self._zone: list[int] = table.zone.tolist()
        self._append = record.rows.append

    def on_grid(self, i: int) -> bool:
        """Whether facility ``i`` draws its load now."""
        return self.state[i] in ON_GRID

    def set_state(self, i: int, new: S, count: int = 0, flag: int = 0) -> None:
        """Move facility ``i`` to ``new`` and record the load change (MW, signed;
        for ``went_grey`` the load that moves from the licensed to the grey pool)."""
        state = self.state
        before = state[i] in ON_GRID
        state[i] = new
        self.operating[i] = new in OPERATING
        load = self._load[i]
        if new == S.WENT_GREY:
            self.arrivals.append(i)
            self.licensed[i] = False
            mw = load
        else:
            if new == S.OPERATING:
                self.arrivals.append(i)
            mw = ((new in ON_GRID) - before) * load
        self._append((self.env.now, new, i, self._zone[i], mw, count, flag))  # as self.record(...)

    def can(self, i: int, new: S) -> bool:
        """Whether facility ``i`` can still make a planned move to ``new`` now: a
        licensed site goes grey only while it operates; a grey site goes dark only
        while it operates (not under inspection); other exits need it on the grid."""
        if new == S.WENT_GREY:
            return bool(self.licensed[i]) and self.state[i] in (S.OPERATING, S.COMPLIANT, S.RECONNECTED)
        if new == S.GONE_DARK:
            return not self.licensed[i] and self.state[i] in OPERATING
        return self.on_grid(i)

    def follow(self, plan: list[tuple[float, int, S]]):
        """Process: make the planned moves ``(hours, facility, state)`` in order, each
        only if the facility can still make it (:meth:`can`)."""
        for t, i, new in plan:
            yield self.env.timeout(max(t - self.env.now, 0.0))
            if self.can(i, new):
                self.set_state(i, new)

    def connections(self):
        """Process: connect the facilities that arrive during the run, in time order."""
        t = self.table.connect_h
        for i in np.argsort(t, kind="stable"):
            if t[i] <= 0:
                continue
            yield self.env.timeout(t[i] - self.env.now)
            self.set_state(int(i), S.OPERATING)

    def exodus(self, shock: Exodus, clock: Clock, rng: np.random.Generator):
        """Process: each operating facility of the status leaves with chance ``share``
        at a uniform time in the shock's window."""
        start = clock.hours(shock.start)
        end = clock.horizon_h if shock.end is None else clock.hours(shock.end)
        yield self.env.timeout(max(start - self.env.now, 0.0))
        lic = shock.legal_status == LegalStatus.LICENSED
        who = [i for i in range(self.table.n) if self.licensed[i] == lic and self.on_grid(i)]
        leave = rng.random(len(who)) < shock.share
        times = rng.uniform(start, end, len(who))
        plan = sorted((times[j], who[j], S.EXITED) for j in range(len(who)) if leave[j])
        yield from self.follow([p for p in plan if p[0] < clock.horizon_h])

    def reconnect(self, i: int, delay_h: float):
        """Process: a site disconnected by force comes back after ``delay_h``."""
        yield self.env.timeout(delay_h)
        if self.state[i] == S.DISCONNECTED_BY_FORCE:
            self.set_state(i, S.RECONNECTED)
