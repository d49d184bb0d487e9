"""Forced outages of many replications at once, each from its own generator.

:func:`sample_chunk` gives, for every replication, exactly what
:func:`sim.model.outages.sample_outages` gives it (the same draws from the
same generator, in the same order, and the same floating-point operations),
for a unit table without warp of operating time: the rounds of residual times
are taken for all the replications side by side, so numpy's cost per call is
paid once a round, not once a round per replication. Each replication still
reads its own variates, a column per unit (:class:`~sim.model.outages.UnitDraws`,
drawn from its generator right after the initial states), as
:func:`~sim.model.outages._renewals` reads them (its rounds in numpy and its
last rounds in Python floats alike).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.model import outages
from sim.model.generation import UnitTable


def sample_chunk(
    units: UnitTable, horizon_h: float, rngs: Sequence[np.random.Generator]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Outages of ``len(rngs)`` replications, replication ``i`` from ``rngs[i]``.

    Returns ``(rep, time_h, unit, up, up0)``: every change of state, by
    replication and then as ``sample_outages`` orders them (by time, stable),
    and the state of every unit at time 0 (replications x units). Only for a
    table whose operating time runs as clock time (no outage-rate shock).
    """
    n, R = units.n, len(rngs)
    mttf, mttr = units.mttf_h, units.mttr_h
    finite = np.isfinite(mttf)
    p_up = np.ones(n)
    p_up[finite] = mttf[finite] / (mttf[finite] + mttr[finite])
    up0 = np.array([rng.random(n) < p_up for rng in rngs]).reshape(R, n)
    draws = [outages.UnitDraws(n, rng) for rng in rngs]
    first = np.stack([d.round_block() for d in draws]) if R else np.zeros((0, 0, n))
    active = np.tile(np.flatnonzero(finite), R)
    rep = np.repeat(np.arange(R), np.count_nonzero(finite))
    state = up0[rep, active]
    t = np.zeros(active.size)
    now = np.where(state, mttf[active], mttr[active])
    nxt = np.where(state, mttr[active], mttf[active])
    times, who, reps, odd = [], [], [], []
    r = 0
    while active.size:
        if r < first.shape[1]:
            e = first[rep, r, active]
        else:  # past the first block: each replication extends its own columns
            e = np.empty(active.size)
            for i in np.unique(rep).tolist():
                mine = rep == i
                e[mine] = draws[i].round(r, active[mine])
        t = t + e * now
        keep = t < horizon_h
        if not keep.all():
            t, active, rep, now, nxt = t[keep], active[keep], rep[keep], now[keep], nxt[keep]
        times.append(t)
        who.append(active)
        reps.append(rep)
        odd.append(np.full(t.size, r % 2 == 1))
        now, nxt = nxt, now
        r += 1
    time_h = np.concatenate(times) if times else np.zeros(0)
    unit = np.concatenate(who) if who else np.zeros(0, dtype=np.int64)
    rep = np.concatenate(reps) if reps else np.zeros(0, dtype=np.int64)
    # Round r (from 0) leaves a unit in the opposite of its initial state if r is even.
    up = up0[rep, unit] == (np.concatenate(odd) if odd else np.zeros(0, dtype=bool))
    order = np.lexsort((time_h, rep))  # stable: ties keep the order of the rounds
    return rep[order], time_h[order], unit[order], up[order], up0


def covers(units: UnitTable) -> bool:
    """Whether :func:`sample_chunk` draws these units as ``sample_outages`` does
    (operating time runs as clock time)."""
    return outages._identity_warp(units)
