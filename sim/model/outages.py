"""Forced outages of generating units: two-state Markov chains drawn as
alternating renewal processes for all units at once with numpy (the same law as
one SimPy process per unit: exponential times to failure and to repair, initial
state from the stationary distribution) at a fraction of the cost. Outage-rate
shocks and the cold warp the units' operating time (``tau(t)``), in which times
to failure are drawn exactly; each unit reads its own column of variates
(:class:`UnitDraws`), so that scenarios differing only in rates share them.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from sim.model.generation import UnitTable


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
    order = by_time(time_h)
    return time_h[order], unit[order], is_up[order], up0


def by_time(time_h: np.ndarray) -> np.ndarray:
    """``np.argsort(time_h, kind="stable")``: the default sort, several times
    faster, gives the same order when no two times are equal and none is nan
    (it may only break ties differently), which is checked; else the stable sort."""
    order = np.argsort(time_h)
    ordered = time_h[order]
    if (ordered[1:] == ordered[:-1]).any() or (ordered.size and np.isnan(ordered[-1])):
        return np.argsort(time_h, kind="stable")
    return order


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
