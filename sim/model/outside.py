"""Outside systems: what each link from a neighbouring system brings into its
zone, step by step.

Per outside link: a monthly schedule of imports and exports (flat over each
calendar month), a capacity after cuts, a daily availability (the share of
capacity the neighbour can deliver; an AR(1) that may follow the cold) and a
cap on unscheduled flows beyond the schedule. The operator's balance sees, per
zone, the scheduled imports that flow, the scheduled exports it owes, and the
unscheduled room: free for any load, or (``operator.unscheduled_imports:
firm_only``) only for firm load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.clock import Clock
from sim.model.processes import ar1, daily, n_days
from sim.scenario.schema import Availability, Scenario

#: MWh in a GWh.
MWH_PER_GWH = 1000.0


@dataclass(frozen=True)
class OutsideLinks:
    """The scenario's outside links (arrays of L_o rows, in scenario order)."""

    index: np.ndarray
    """Index of each in ``scenario.links``; ``names`` their names and ``zone``
    the zone each feeds."""
    names: tuple[str, ...]
    system: tuple[str, ...]
    """The outside system each comes from."""
    zone: np.ndarray
    capacity: np.ndarray
    """Import capacity after cuts (L_o x T, MW); ``reverse``, the export capacity
    after cuts."""
    reverse: np.ndarray
    scheduled_in: np.ndarray
    """Scheduled imports (L_o x T, MW)."""
    scheduled_out: np.ndarray
    """Scheduled exports, within the export capacity (L_o x T, MW)."""
    unscheduled: np.ndarray
    """Cap on unscheduled imports (L_o, MW; inf: none)."""
    availability: tuple[Availability | None, ...]
    """Availability process of each (none: always all)."""
    firm_only: bool
    """Whether unscheduled imports may serve only firm load."""

    @property
    def n(self) -> int:
        """Number of outside links."""
        return self.index.size

    @property
    def random(self) -> bool:
        """Whether any link's availability varies."""
        return any(a is not None and a.sd > 0 for a in self.availability)


def monthly_mw(gwh: tuple[float, ...], clock: Clock) -> np.ndarray:
    """A flat rate per step (MW) from energy per calendar month (GWh, January to December)."""
    hours = clock.index.days_in_month.to_numpy() * 24.0
    return np.asarray(gwh, dtype=float)[clock.month - 1] * MWH_PER_GWH / hours


def outside_links(sc: Scenario, clock: Clock, fwd: np.ndarray, back: np.ndarray) -> OutsideLinks:
    """The outside links of ``sc`` with their capacities after cuts (``fwd``,
    ``back``: every link's, L x T)."""
    zones = list(sc.zones)
    idx = [i for i, lk in enumerate(sc.links) if lk.from_ not in sc.zones]
    links = [sc.links[i] for i in idx]
    T = clock.n_steps
    sched_in = np.zeros((len(idx), T))
    sched_out = np.zeros((len(idx), T))
    for j, lk in enumerate(links):
        if lk.schedule is not None:
            sched_in[j] = monthly_mw(lk.schedule.import_gwh, clock)
            sched_out[j] = monthly_mw(lk.schedule.export_gwh, clock)
    cap = fwd[idx].reshape(len(idx), T)
    rev = back[idx].reshape(len(idx), T)
    return OutsideLinks(
        index=np.array(idx, dtype=np.int64),
        names=tuple(lk.name for lk in links),
        system=tuple(lk.from_ for lk in links),
        zone=np.array([zones.index(lk.to) for lk in links], dtype=np.int64),
        capacity=cap,
        reverse=rev,
        scheduled_in=sched_in,
        scheduled_out=np.minimum(sched_out, rev),
        unscheduled=np.array([np.inf if lk.unscheduled_mw is None else lk.unscheduled_mw for lk in links]),
        availability=tuple(lk.availability for lk in links),
        firm_only=sc.operator.unscheduled_imports == "firm_only",
    )


def draw_availability(
    ol: OutsideLinks, sc: Scenario, clock: Clock, anomaly_c: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The share of each link's capacity available at every step (L_o x T).

    One AR(1) per outside system and availability process, in link order (so
    adding a link does not change the draws of the links before it): the ties
    of one neighbour with the same process share it, as the neighbour is short
    or not for all of them. Mixed with the standardised daily temperature anomaly."""
    out = np.ones((ol.n, clock.n_steps))
    days = n_days(clock)
    sd_w = sc.weather.anomaly_sd_c
    warmth = daily(anomaly_c, clock) / sd_w if sd_w > 0 else np.zeros(days)
    drawn: dict[tuple[str, Availability], np.ndarray] = {}
    for j, a in enumerate(ol.availability):
        if a is None:
            continue
        key = (ol.system[j], a)
        if key not in drawn:
            own = ar1(rng, days, a.persistence)
            c = a.cold_correlation if sd_w > 0 else 0.0
            z = c * warmth + np.sqrt(1.0 - c**2) * own
            drawn[key] = np.clip(a.mean + a.sd * z, 0.0, 1.0)[clock.day]
        out[j] = drawn[key]
    return out


@dataclass
class ZoneImports:
    """What the outside links give each zone over some steps (Z x K, MW)."""

    scheduled: np.ndarray
    """Scheduled imports that can flow (within the available capacity)."""
    room: np.ndarray
    """Unscheduled room: available capacity beyond the schedule, within the caps."""
    export: np.ndarray
    """Scheduled exports owed."""
    link_scheduled: np.ndarray
    """The same per link (L_o x K)."""
    link_room: np.ndarray
    link_export: np.ndarray


def columns(a: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The steps ``cols`` of a per-step array (the array itself when they are all)."""
    return a if cols.size == a.shape[-1] else a.take(cols, axis=-1)


def zone_imports(ol: OutsideLinks, avail: np.ndarray, cols: np.ndarray, n_zones: int) -> ZoneImports:
    """Scheduled imports, unscheduled room and scheduled exports per zone at the
    steps ``cols`` (``avail``: the links' availability, L_o x T)."""
    K = cols.size
    able = columns(ol.capacity, cols) * columns(avail, cols)
    sched = np.minimum(columns(ol.scheduled_in, cols), able)
    room = np.minimum(able - sched, ol.unscheduled[:, None])
    export = columns(ol.scheduled_out, cols)
    per_zone = [np.zeros((n_zones, K)) for _ in range(3)]
    for j, z in enumerate(ol.zone):
        for total, a in zip(per_zone, (sched, room, export), strict=True):
            total[z] += a[j]
    return ZoneImports(*per_zone, sched, room, export)


def link_flows(
    ol: OutsideLinks, zi: ZoneImports, scheduled: np.ndarray, unscheduled: np.ndarray, exported: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per link: imports (scheduled and unscheduled), unscheduled imports and
    exports (L_o x K, MW), from the zone totals the balance used, shared among a
    zone's links in proportion to their schedules and room."""

    def share(part: np.ndarray, total_zone: np.ndarray, used_zone: np.ndarray) -> np.ndarray:
        if single:  # one outside link per zone: all of the zone's
            return used_zone[ol.zone]
        tot = total_zone[ol.zone]
        frac = np.divide(used_zone[ol.zone], tot, out=np.zeros_like(tot), where=tot > 0)
        return part * np.minimum(frac, 1.0)

    single = np.unique(ol.zone).size == ol.n
    sched = share(zi.link_scheduled, zi.scheduled, scheduled)
    unsched = share(zi.link_room, zi.room, unscheduled)
    out = share(zi.link_export, zi.export, exported)
    return sched + unsched, unsched, out
