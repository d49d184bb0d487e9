"""Generating units: two-state Markov forced outages, planned outages, derating.

A unit's outages do not depend on anything else in the model, so they are drawn
as an alternating renewal process for all units at once with numpy rather than
by one SimPy process per unit: the same law (exponential times to failure and
to repair, initial state drawn from the stationary distribution) at a fraction
of the cost. ``outage_rate`` shocks multiply failure rates over windows; they
are handled exactly by drawing times to failure in the "operating time" of the
unit's zone, ``tau(t) = integral of the rate factor``.

Planned outages and ``unit_trip`` shocks hold given units out over windows
whatever their random state.
"""

from __future__ import annotations

from bisect import bisect_right
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


def sample_outages(
    units: UnitTable, horizon_h: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw forced outages of every unit over ``[0, horizon_h)``.

    Returns ``(time_h, unit, up, up0)``: every change of state, sorted by time,
    where ``up`` is True for a return to service and False for a failure, and the
    state of every unit at time 0 (a unit that starts down and is not repaired
    before the end has no change at all). Units start in their stationary state
    (up with probability MTTF / (MTTF + MTTR)).
    """
    n = units.n
    mttf, mttr = units.mttf_h, units.mttr_h
    finite = np.isfinite(mttf)
    p_up = np.ones(n)
    p_up[finite] = mttf[finite] / (mttf[finite] + mttr[finite])
    up = rng.random(n) < p_up
    up0 = up.copy()
    draws = UnitDraws(n, rng)
    if _identity_warp(units):
        time_h, unit, is_up = _renewals(np.flatnonzero(finite), up, mttf, mttr, horizon_h, draws)
    else:
        time_h, unit, is_up = _warped_renewals(units, up, horizon_h, draws)
    order = np.argsort(time_h, kind="stable")
    return time_h[order], unit[order], is_up[order], up0


#: Units left in the horizon under which outage rounds use Python floats.
FEW_UNITS = 8
#: Rounds of exponential variates drawn at once for every unit.
ROUNDS_BLOCK = 32


class UnitDraws:
    """The exponential variates of the outage rounds, one column per unit: round
    ``r`` of unit ``u`` always uses row ``r`` of column ``u``, whatever the other
    units do. Two replications whose units differ only in some rates (a cold
    snap, an outage-rate shock) then share every variate unit by unit (common
    random numbers): their outages differ only where and after the rates do,
    not everywhere because one unit's count of rounds changed. Rows are drawn
    in blocks of :data:`ROUNDS_BLOCK`, a further block only once some unit
    needs it."""

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self._rng, self._n = rng, n
        self._rows = rng.standard_exponential((ROUNDS_BLOCK, n))

    def round_block(self) -> np.ndarray:
        """The first :data:`ROUNDS_BLOCK` rounds of every unit (rounds x units)."""
        return self._rows[:ROUNDS_BLOCK]

    def round(self, r: int, units: np.ndarray) -> np.ndarray:
        """Variates of round ``r`` for ``units`` (indices)."""
        while r >= self._rows.shape[0]:
            more = self._rng.standard_exponential((ROUNDS_BLOCK, self._n))
            self._rows = np.concatenate([self._rows, more])
        return self._rows[r, units]


def _identity_warp(units: UnitTable) -> bool:
    """Whether no outage-rate shock warps operating time (``tau(t) = t``)."""
    return units.warp_t.size == 2 and bool((units.warp_tau[:, -1] == units.warp_t[-1]).all())


def _renewals(
    active: np.ndarray,
    up: np.ndarray,
    mttf: np.ndarray,
    mttr: np.ndarray,
    horizon_h: float,
    draws: UnitDraws,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Changes of state of the ``active`` units without warp, in rounds (each
    round, one residual time for every unit still inside the horizon, from the
    unit's own column of ``draws``): times (h), units and new states, round by
    round, not yet sorted.

    Every unit changes state in every round, so its mean time in the current
    state alternates between two arrays that are swapped, not rebuilt. Once
    :data:`FEW_UNITS` units or fewer are left, the rounds go on in plain Python
    floats (the same IEEE operations, without numpy's cost per call).
    """
    times, who, rounds = [], [], []
    t = np.zeros(active.size)
    now = np.where(up[active], mttf[active], mttr[active])
    nxt = np.where(up[active], mttr[active], mttf[active])
    while active.size > FEW_UNITS:
        t = t + draws.round(len(rounds), active) * now
        keep = t < horizon_h
        if not keep.all():
            t, active, now, nxt = t[keep], active[keep], now[keep], nxt[keep]
        times.append(t)
        who.append(active)
        rounds.append(active.size)
        now, nxt = nxt, now
    tail_t: list[float] = []
    tail_u: list[int] = []
    left = list(zip(t.tolist(), active.tolist(), now.tolist(), nxt.tolist(), strict=True))
    while left:
        e_r = draws.round(len(rounds), np.array([x[1] for x in left], dtype=np.int64)).tolist()
        left = [(ti + e * m, u, m2, m) for (ti, u, m, m2), e in zip(left, e_r, strict=True)]
        left = [x for x in left if x[0] < horizon_h]
        tail_t += [x[0] for x in left]
        tail_u += [x[1] for x in left]
        rounds.append(len(left))
    times.append(np.array(tail_t))
    who.append(np.array(tail_u, dtype=np.int64))
    unit = np.concatenate(who)
    # Round r (from 0) leaves a unit in the opposite of its initial state if r is even.
    odd = np.repeat(np.arange(len(rounds)) % 2 == 1, rounds)
    return np.concatenate(times), unit, up[unit] == odd


def _warped_renewals(
    units: UnitTable, up: np.ndarray, horizon_h: float, draws: UnitDraws
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`_renewals`, with times to failure drawn in operating time."""
    mttf, mttr = units.mttf_h, units.mttr_h
    t = np.zeros(units.n)
    times, who, state = [], [], []
    # Zone-wise operating-time warp: tau(t) and its inverse by interpolation.
    zt, ztau = units.warp_t, units.warp_tau
    active = np.flatnonzero(np.isfinite(mttf))
    # One warp for all zones: the last few units go on in Python floats.
    few = FEW_UNITS if ztau.shape[0] == 1 else 0
    # Initial state is already drawn: draw the residual time in that state.
    r = 0
    while active.size > few:
        e = draws.round(r, active)
        r += 1
        u_up = up[active]
        t_now = t[active]
        nxt = np.empty(active.size)
        # Down -> repair after Exp(mttr) in clock time.
        dn = ~u_up
        nxt[dn] = t_now[dn] + e[dn] * mttr[active[dn]]
        # Up -> failure after Exp(mttf) in operating time of the unit's zone.
        if u_up.any():
            idx = active[u_up]
            z = units.zone[idx]
            tau_now = _interp_rows(t_now[u_up], zt, ztau, z)
            nxt[u_up] = _inverse_rows(tau_now + e[u_up] * mttf[idx], zt, ztau, z)
        t[active] = nxt
        up[active] = ~u_up
        keep = nxt < horizon_h
        times.append(nxt[keep])
        who.append(active[keep])
        state.append(~u_up[keep])
        active = active[keep]
    if active.size:
        tail = _warped_tail(active, t, up, mttf, mttr, zt, ztau[0], horizon_h, draws, r)
        for part, values in zip((times, who, state), tail, strict=True):
            part.append(values)
    if times:
        return np.concatenate(times), np.concatenate(who), np.concatenate(state)
    return np.zeros(0), np.zeros(0, np.int64), np.zeros(0, bool)


def _warped_tail(
    active: np.ndarray,
    t: np.ndarray,
    up: np.ndarray,
    mttf: np.ndarray,
    mttr: np.ndarray,
    xp: np.ndarray,
    fp: np.ndarray,
    horizon_h: float,
    draws: UnitDraws,
    r: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rounds of :func:`_warped_renewals` for its last few ``active`` units,
    from round ``r`` on, in Python floats, with one warp ``tau`` (``fp`` at times
    ``xp``, factor 1 after the end): the same draws."""
    xs, fs = xp.tolist(), fp.tolist()

    def tau(x: float) -> float:
        if x >= xs[-1]:
            return fs[-1] + (x - xs[-1])
        i = bisect_right(xs, x) - 1
        return fs[i] + (fs[i + 1] - fs[i]) * (x - xs[i]) / (xs[i + 1] - xs[i])

    def inverse(y: float) -> float:
        if y >= fs[-1]:
            return xs[-1] + (y - fs[-1])
        i = bisect_right(fs, y) - 1
        while fs[i + 1] == fs[i]:  # a flat stretch (factor 0): the time it ends
            i += 1
        return xs[i] + (xs[i + 1] - xs[i]) * (y - fs[i]) / (fs[i + 1] - fs[i])

    times: list[float] = []
    who: list[int] = []
    state: list[bool] = []
    left = [(float(t[u]), int(u), bool(up[u])) for u in active]
    while left:
        e_r = draws.round(r, np.array([x[1] for x in left], dtype=np.int64)).tolist()
        r += 1
        nxt = []
        for (ti, u, is_up), e in zip(left, e_r, strict=True):
            tn = inverse(tau(ti) + e * mttf[u]) if is_up else ti + e * mttr[u]
            if tn < horizon_h:
                nxt.append((tn, u, not is_up))
        times += [x[0] for x in nxt]
        who += [x[1] for x in nxt]
        state += [x[2] for x in nxt]
        left = nxt
    return np.array(times), np.array(who, dtype=np.int64), np.array(state, dtype=bool)


def _interp_rows(x: np.ndarray, xp: np.ndarray, fp: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``tau`` at times ``x`` for zone rows, extrapolating with factor 1 after the end."""
    if xp.size == 2 and (fp[:, -1] == xp[-1]).all():  # no outage-rate shock: tau = t
        return x.copy()
    if fp.shape[0] == 1:  # one warp for all zones
        return np.interp(x, xp, fp[0]) + np.maximum(x - xp[-1], 0)
    out = np.empty_like(x)
    for z in np.unique(rows):
        m = rows == z
        out[m] = np.interp(x[m], xp, fp[z]) + np.maximum(x[m] - xp[-1], 0)
    return out


def _inverse_rows(y: np.ndarray, xp: np.ndarray, fp: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_interp_rows`: the time at which ``tau`` reaches ``y``."""
    if xp.size == 2 and (fp[:, -1] == xp[-1]).all():
        return y.copy()
    if fp.shape[0] == 1:  # one warp for all zones
        return np.where(y <= fp[0, -1], np.interp(y, fp[0], xp), xp[-1] + (y - fp[0, -1]))
    out = np.empty_like(y)
    for z in np.unique(rows):
        m = rows == z
        last = fp[z, -1]
        inside = y[m] <= last
        res = np.where(inside, np.interp(y[m], fp[z], xp), xp[-1] + (y[m] - last))
        out[m] = res
    return out


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
