"""Generating units: the unit table (sizes, failure and repair rates, the
operating-time warp of ``outage_rate`` shocks: ``tau(t) = integral of the rate
factor``), planned outages, derating and the available capacity that follows
from a replication's outages (drawn by :mod:`sim.model.outages`).

Planned outages and ``unit_trip`` shocks hold given units out over windows
whatever their random state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.clock import Clock
from sim.scenario.schema import OutageRate, Scenario, UnitTrip


@dataclass(frozen=True)
class UnitTable:
    """Every generating unit, flattened from the fleets (arrays of length U)."""

    fleet: np.ndarray
    """Fleet index of each unit."""
    zone: np.ndarray
    """Zone index."""
    capacity_mw: np.ndarray
    """Capacity, MW."""
    mttf_h: np.ndarray
    """Mean time to failure, hours (inf: never fails)."""
    mttr_h: np.ndarray
    """Mean time to repair, hours."""
    derating: np.ndarray
    """Fraction of capacity lost in winter months."""
    winter: np.ndarray
    """Boolean (U, n_months=12): months in which derating applies."""
    held_out: tuple[tuple[int, float, float], ...]
    """(unit, start_h, end_h): planned outages and trips."""
    warp_t: np.ndarray
    """Breakpoints (hours) of the outage-rate factor, shared by all zones."""
    warp_tau: np.ndarray
    """(Z, len(warp_t)) cumulative operating time at the breakpoints."""
    patterns: np.ndarray
    """Distinct rows of ``winter`` (G, 12)."""
    group: np.ndarray
    """Index in ``patterns`` of each unit's winter months."""

    @property
    def n(self) -> int:
        """Number of units."""
        return self.capacity_mw.size


def unit_table(sc: Scenario, clock: Clock) -> UnitTable:
    """Flatten the scenario's fleets into a :class:`UnitTable`."""
    zones = list(sc.zones)
    fleets = sc.generation.units
    counts = np.array([f.count for f in fleets], dtype=np.int64)
    fleet = np.repeat(np.arange(len(fleets)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(fleets) else np.zeros(0, int)

    def per_unit(values: list) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=float), counts)

    winter = np.zeros((len(fleets), 12), dtype=bool)
    for i, f in enumerate(fleets):
        winter[i, [m - 1 for m in f.winter_months]] = True
    held: list[tuple[int, float, float]] = []
    end_h = clock.horizon_h
    for i, f in enumerate(fleets):
        for po in f.planned_outages:
            for u in range(min(po.units, f.count)):
                held.append((int(first[i] + u), clock.hours(po.start), clock.hours(po.end)))
    names = [f.name for f in fleets]
    for shock in sc.shocks:
        if isinstance(shock, UnitTrip):
            i = names.index(shock.fleet)
            stop = end_h if shock.end is None else clock.hours(shock.end)
            for u in range(shock.units):
                held.append((int(first[i] + u), clock.hours(shock.start), stop))
    # Outage-rate factor: piecewise constant per zone, breakpoints shared.
    rate_shocks = [s for s in sc.shocks if isinstance(s, OutageRate)]
    cuts = {0.0, end_h}
    for s in rate_shocks:
        cuts.add(min(max(clock.hours(s.start), 0.0), end_h))
        cuts.add(end_h if s.end is None else min(max(clock.hours(s.end), 0.0), end_h))
    bps = np.array(sorted(cuts))
    factor = np.ones((len(zones), max(bps.size - 1, 0)))
    mids = (bps[:-1] + bps[1:]) / 2
    for s in rate_shocks:
        a = clock.hours(s.start)
        b = end_h if s.end is None else clock.hours(s.end)
        rows = [zones.index(z) for z in s.zones] if s.zones else range(len(zones))
        inside = (mids >= a) & (mids < b)
        for z in rows:
            factor[z, inside] *= s.factor
    tau = np.concatenate([np.zeros((len(zones), 1)), np.cumsum(factor * np.diff(bps), axis=1)], axis=1)
    unit_winter = winter[fleet] if len(fleets) else np.zeros((0, 12), dtype=bool)
    patterns, group = np.unique(unit_winter, axis=0, return_inverse=True)
    return UnitTable(
        fleet=fleet,
        zone=np.repeat(np.array([zones.index(f.zone) for f in fleets], dtype=np.int64), counts),
        capacity_mw=per_unit([f.capacity_mw for f in fleets]),
        mttf_h=per_unit([f.mttf for f in fleets]),
        mttr_h=per_unit([f.mttr_h for f in fleets]),
        derating=per_unit([f.winter_derating for f in fleets]),
        winter=unit_winter,
        held_out=tuple(held),
        warp_t=bps,
        warp_tau=tau,
        patterns=patterns,
        group=group.reshape(-1),
    )


def available_capacity(
    units: UnitTable,
    clock: Clock,
    n_zones: int,
    time_h: np.ndarray,
    unit: np.ndarray,
    is_up: np.ndarray,
    up0: np.ndarray,
    pos: np.ndarray | None = None,
    starts: np.ndarray | None = None,
) -> np.ndarray:
    """Available capacity per zone and step (MW) from the outage record
    (:func:`sample_outages`: the changes and ``up0``, the state at time 0).

    Applies winter derating and holds units out during planned outages and trips.
    Built from deltas and one cumulative sum, so the cost grows with the number
    of outages, not with units x steps. With ``pos`` (the column of every step,
    and the number of columns at index T) and ``starts`` (the first step of each
    column), one column per run of steps in which nothing changes; ``starts``
    alone must include every step at which a unit changes state, a month
    begins or a planned outage or trip starts or ends.
    """
    T = clock.n_steps
    if starts is None:
        pos, starts = np.arange(T + 1), np.arange(T)
    n = starts.size
    if pos is None:
        cols = starts

        def column(step: np.ndarray) -> np.ndarray:
            return np.where(step >= T, n, np.searchsorted(cols, step, side="right") - 1)
    else:
        where = pos

        def column(step: np.ndarray) -> np.ndarray:
            return where[step]

    k = column(clock.step_of(time_h))
    sign = np.where(is_up, 1.0, -1.0)
    out = np.zeros((n_zones, n))
    # Units with the same winter months share one pair of accumulators.
    patterns, group = units.patterns, units.group
    # Without derating, both accumulators of a group hold the same levels.
    derates = bool(units.derating.any())
    months = clock.month[starts] - 1 if derates else None
    for g in range(len(patterns)):
        cap = np.where(group == g, units.capacity_mw, 0.0)
        for derated in (False, True) if derates else (None,):
            c = cap * (1 - units.derating) if derated else cap
            acc = np.zeros((n_zones, n + 1))
            np.add.at(acc[:, 0], units.zone, c * up0)
            np.add.at(acc, (units.zone[unit], k), sign * c[unit])
            for u, a, b in units.held_out:
                if c[u] == 0:
                    continue
                ka = int(column(clock.step_of(max(a, 0.0))))
                kb = int(column(clock.step_of(min(b, clock.horizon_h))))
                if kb <= ka:
                    continue
                mine = unit == u
                st = np.zeros(n + 1)
                st[0] = float(up0[u])
                np.add.at(st, k[mine], sign[mine])
                s = np.cumsum(st)[ka:kb] * c[u]  # its capacity while it would be up
                z = units.zone[u]
                acc[z, ka:kb] -= s
                acc[z, ka + 1 : kb] += s[:-1]
                acc[z, kb] += s[-1]
            level = np.cumsum(acc, axis=1)[:, :n]
            out += level if months is None else np.where(patterns[g][months] == derated, level, 0.0)
    return out
