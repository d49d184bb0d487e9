"""The adequacy batch path: a chunk of replications of a single-zone adequacy
case at once, with the same numbers as one replication at a time.

A scenario is eligible (:func:`eligible`) when nothing in it but the units'
forced outages is random and nothing acts where load is served: one zone, no
links and no outside links, no mining, enforcement, economics or shocks, no
weather anomaly, no seasonal supply, reserve, security limits or sudden cuts,
and a fleet without planned outages, trips or winter derating. Its
replications then differ only in their outages, and the regular path
(:func:`sim.model.balance.adequacy_balance`, :func:`sim.results.metrics.evaluate`)
spends most of its time on per-replication overheads. Here:

- the outages of every replication are drawn from its own ``outages`` stream,
  as :func:`sim.model.replication.draw_grid` draws them, the rounds of all the
  replications side by side (:mod:`sim.model.outage_batch`);
- available capacity is built for the whole chunk on each replication's runs
  of steps, with the same additions in the same order as
  :func:`sim.model.generation.available_capacity`;
- the balance is solved once, at the steps of every replication where
  generation may fall short (the fast path's test: per run, then per step);
- one replication runs the regular way (the first of the first chunk a process
  batches for the scenario, and any whose records are kept): its summary gives
  every metric, and its series every series, that is the same in every
  replication, and the batch checks that it reproduces these replications'
  rows to the bit; otherwise (or in a case it does not cover) the chunk runs
  the regular way.

Results are identical to the regular path's, to the last bit
(tests/experiments/test_adequacy_batch.py). ``GRIDSHED_ADEQUACY_BATCH=0`` in
the environment (or :data:`ENABLED` set false) forces the regular path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd

from sim.dispatch.adequacy import SLACK
from sim.dispatch.balance import EPS_MW
from sim.dispatch.runs import Steps, every_step, patch_all, ranges, unique
from sim.dispatch.security import solve_secure
from sim.model import cold, flows, outage_batch, outages, outside
from sim.model.balance import MAX_RUN_SHARE, fast_eligible, unshed
from sim.model.generation import UnitTable
from sim.model.openloop import open_loop_signals
from sim.model.replication import Static, simulate, streams
from sim.results.metrics import WINTER_MONTHS, ReplicationResult, evaluate, loss_stats
from sim.results.stats import Moments, Sums

#: Take the batch path where eligible (tests set it false for the reference).
ENABLED = os.environ.get("GRIDSHED_ADEQUACY_BATCH", "1") != "0"


#: The last scenario batched here and a replication of it the regular way: its
#: metrics and series that do not vary serve the chunks that follow.
_FIRST: list[tuple[Static, ReplicationResult]] = []


@dataclass
class Batch:
    """What the replications of a chunk produced, as :func:`run_batch` returns it."""

    rows: list[dict[str, float]] = field(default_factory=list)
    moments: dict[str, tuple[np.ndarray, Moments]] = field(default_factory=dict)
    """Moments over the replications of every series: run starts and moments."""
    events: list[pd.DataFrame] = field(default_factory=list)
    facilities: list[pd.DataFrame] = field(default_factory=list)
    sim_events: int = 0


def eligible(static: Static) -> bool:
    """Whether the scenario's replications differ only in their forced outages,
    and the batch path covers everything they compute (see the module's docstring)."""
    sc, units = static.scenario, static.units
    return (
        len(static.zones) == 1
        and not sc.links
        and static.outside.n == 0
        and not sc.mining.populations
        and not sc.shocks
        and not sc.enforcement.enabled
        and static.market is None
        and sc.weather.anomaly_sd_c == 0
        and static.supply is None
        and not static.reserve.any()
        and static.up_limit is None
        and not static.cuts
        and units.n > 0
        and not units.held_out
        and not units.derating.any()
        and len(units.patterns) == 1
        and static.clock.n_steps > 1
    )


def _regular(static: Static, rep: int, keep: bool) -> tuple[ReplicationResult, bool]:
    """One replication the regular way, and whether it took the fast path."""
    raw = simulate(static, rep, open_loop_signals(static, rep))
    ok = raw.facilities.n == 0 and fast_eligible(static, raw) and not raw.anomaly_c.any()
    return evaluate(static, raw, keep_records=keep), ok


def run_batch(static: Static, start: int, stop: int, keep_records: int) -> Batch | None:
    """Replications ``start .. stop - 1`` of an eligible scenario (their records
    kept below ``keep_records``), or None where the regular path must run them."""
    if not (ENABLED and eligible(static)) or stop <= start:
        return None
    cached = _FIRST[0][1] if _FIRST and _FIRST[0][0] is static else None
    regular = {}
    for rep in range(start, max(start + (cached is None), min(stop, keep_records))):
        res, ok = _regular(static, rep, rep < keep_records)
        if not ok:
            return None
        regular[rep] = res
    first = cached if cached is not None else regular[start]
    out = _vectorised(static, start, stop, first)
    if out is None:
        return None
    for rep, res in regular.items():
        row = out.rows[rep - start]
        if list(row) != ["replication", *res.summary] or not _same(
            list(row.values())[1:], res.summary.values()
        ):
            return None
        if res.events is not None:
            out.events.append(res.events)
            out.facilities.append(res.facilities)
    _FIRST[:] = [(static, first)]
    return out


def _same(a: object, b: object) -> bool:
    """Bit for bit (tells -0.0 from 0.0, and nan from nan)."""
    x, y = np.array(list(a), dtype=float), np.array(list(b), dtype=float)
    return x.shape == y.shape and bool((x.view(np.int64) == y.view(np.int64)).all())


def _firm(static: Static) -> tuple[np.ndarray, np.ndarray]:
    """Firm load on its runs, as :func:`~sim.model.balance.adequacy_balance`
    computes it without weather: ``(run starts, zones x runs)``."""
    T = static.clock.n_steps
    change = static.static_change
    anomaly = np.zeros(T)
    if np.count_nonzero(change) > MAX_RUN_SHARE * T:
        d, weather, base = every_step(T), anomaly + static.cold_c, static.base_demand
    else:
        d = np.flatnonzero(change)
        weather, base = (anomaly + static.cold_c)[d], static.base_demand[:, d]
    demand = np.maximum(base - static.sensitivity[:, None] * weather[None, :], 0.0)
    return d, demand + 0.0


def _capacity(static: Static, start: int, stop: int) -> _Runs:
    """Available capacity of every replication on its runs of steps, from
    outages drawn as :func:`~sim.model.replication.draw_grid` draws them.

    :func:`~sim.model.generation.available_capacity` adds, from 0.0 and in
    order, the capacity of the units up at time 0 and then every change of
    state into the run of steps it starts, and sums the runs up; so does this,
    for all the replications at once (``np.bincount`` adds its weights in order)."""
    sc, clock, units = static.scenario, static.clock, static.units
    T, R = clock.n_steps, stop - start
    drawn = cold.with_cold(units, clock, np.zeros(T) + static.cold_c, sc.generation.cold_outage_per_c)
    cap = np.where(units.group == 0, units.capacity_mw, 0.0)
    rep, t, u, up, first = _outages(
        drawn, clock.horizon_h, [streams(sc.seed, r)["outages"] for r in range(start, stop)]
    )
    # Step 0 (the units up at time 0, then changes in it), then each step of a
    # change, replication by replication.
    key = np.concatenate(
        [np.repeat(np.arange(R) * (T + 1), units.n), rep * (T + 1) + np.minimum(clock.step_of(t), T)]
    )
    order = np.argsort(key, kind="stable")
    weights = np.concatenate([(cap * first).ravel(), np.where(up, 1.0, -1.0) * cap[u]])[order]
    key = key[order]
    new = np.empty(key.size, dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    acc = np.bincount(np.cumsum(new) - 1, weights)
    key = key[new]
    rep, step = np.divmod(key, T + 1)
    bounds = np.searchsorted(rep, np.arange(R + 1))
    level = np.concatenate([np.cumsum(acc[a:b]) for a, b in pairwise(bounds)])
    # Each run lasts to the next one of its replication (the last to step T).
    ends = np.append(step[1:], T)
    ends[bounds[1:] - 1] = T
    # No level is -0.0 (a sum from 0.0 of capacities), so ``0.0 + level`` of
    # available_capacity leaves it as it is.
    return _Runs(rep, step, ends - step, level)


def _outages(units: UnitTable, horizon_h: float, rngs: list[np.random.Generator]) -> tuple[np.ndarray, ...]:
    """``(rep, time_h, unit, up, up0)`` of :func:`~sim.model.outage_batch.sample_chunk`,
    one replication at a time where it does not apply."""
    if outage_batch.covers(units):
        return outage_batch.sample_chunk(units, horizon_h, rngs)
    drawn = [outages.sample_outages(units, horizon_h, rng) for rng in rngs]
    rep = np.repeat(np.arange(len(rngs)), [d[0].size for d in drawn])
    return rep, *(np.concatenate([d[j] for d in drawn]) for j in range(3)), np.array([d[3] for d in drawn])


@dataclass
class _Runs:
    """Runs of steps of constant available capacity, replication by replication."""

    rep: np.ndarray
    """Replication of each run (from 0, increasing)."""
    start: np.ndarray
    """First step of each run."""
    length: np.ndarray
    """Steps in each run (0 for a change at the last step or later)."""
    level: np.ndarray
    """Available capacity (MW)."""

    def expand(self, n_reps: int, n_steps: int) -> np.ndarray:
        """Per step (replications x steps)."""
        return np.repeat(self.level, self.length).reshape(n_reps, n_steps)

    def short(self, firm: np.ndarray, room: float) -> tuple[np.ndarray, np.ndarray]:
        """Replication and step where ``firm`` (per step) exceeds available
        capacity less the fast path's slack, in order: the test of
        :func:`~sim.dispatch.adequacy.short_steps`, per run, then per step in
        the runs that may be short."""
        keep = self.length > 0
        start, length, level, rep = self.start[keep], self.length[keep], self.level[keep], self.rep[keep]
        head = level - SLACK * (level + room)
        bounds = np.empty(2 * start.size, dtype=np.int64)
        bounds[0::2], bounds[1::2] = start, start + length
        peak = np.maximum.reduceat(np.append(firm, -np.inf), bounds)[0::2]
        maybe = np.flatnonzero(peak > head)
        steps = ranges(start[maybe], length[maybe])
        run = np.repeat(maybe, length[maybe])
        short = firm[steps] > head[run]
        return rep[run[short]], steps[short]


def _vectorised(static: Static, start: int, stop: int, first: ReplicationResult) -> Batch | None:
    """The batch of an eligible scenario; ``first``: a replication the regular
    way (its summary gives the metrics, and its series the series, that do not
    vary between replications)."""
    clock = static.clock
    T, R = clock.n_steps, stop - start
    d, firm = _firm(static)
    firm_s = Steps(d, firm, T).expand()[0]
    runs = _capacity(static, start, stop)
    imax = outside.zone_imports(static.outside, np.zeros((0, T)), d, 1)
    rep, k = runs.short(firm_s, (imax.scheduled + imax.room).max(axis=1, initial=0.0)[0])
    gen = runs.expand(R, T)
    base = unshed(firm, d, static.scenario.operator.shed_block_fraction, T)
    b = base.expand()[0]
    if not np.isfinite(firm_s).all():
        return None
    shed_k = np.zeros(0)
    if k.size:
        gen_k, firm_k = gen[rep, k][None, :], firm_s[k][None, :]
        allowed = np.zeros_like(firm_k)
        raw = _NoRaw(np.zeros((0, T)))
        res, _ = flows.solve(static, raw, gen_k, firm_k, allowed, k, solve_secure)  # type: ignore[arg-type]
        imports, curtailed = res.scheduled + res.unscheduled, np.clip(res.curtailed, 0.0, allowed)
        if _bits(imports).any() or _bits(curtailed).any():
            return None  # not the constant zero series of the first replication
        shed_k = res.shed[0]
    batch = Batch(sim_events=first.sim_events * R)
    _rows(static, batch, first, start, (rep, k, shed_k), base, gen)
    # Moments over the replications: the series that vary, per step (shed,
    # served and loss of load only where some replication is short), and the
    # others from the first replication.
    varying = {"generation_mw": (every_step(T), _dense(gen[:, None, :]))}
    touched = unique(k)
    x = np.repeat(b[touched][None, :], R, axis=0)
    x[rep, np.searchsorted(touched, k)] = shed_k
    for name, full, part in (
        ("shed_mw", b, x),
        ("served_mw", firm_s - b, firm_s[touched] - x),
        ("loss_of_load", (b > EPS_MW).astype(float), (x > EPS_MW).astype(float)),
    ):
        m = _constant(full[None, :], R)
        m.mean[:, touched], m.m2[:, touched] = (
            _dense(part[:, None, :]).mean[0],
            _dense(part[:, None, :]).m2[0],
        )
        varying[name] = (every_step(T), m)
    for series in (first.zone_series, first.relief_series, first.link_series):
        for name, steps in series.runs.items():
            if name in varying:
                batch.moments[name] = varying[name]
            elif not np.isfinite(steps.values).all():
                return None
            else:
                batch.moments[name] = (steps.starts, _constant(steps.values, R))
    return batch


def _rows(
    static: Static,
    batch: Batch,
    first: ReplicationResult,
    start: int,
    solved: tuple[np.ndarray, np.ndarray, np.ndarray],
    base: Steps,
    gen: np.ndarray,
) -> None:
    """Append the summary rows of the batch's replications. ``solved``: replication, step and load shed at the
    steps where some replication is short; ``base``: load shed elsewhere (signed
    zeros, :func:`~sim.model.balance.unshed`); ``gen``: available capacity (replications x steps)."""
    clock, step_h = static.clock, static.clock.step_h
    rep, k, shed_k = solved
    none = loss_stats(base.zone_sum(), step_h)  # a replication never short: as the regular path
    b = base.expand()[0]
    winter = np.isin(clock.month, WINTER_MONTHS)
    wg = gen[:, winter].mean(axis=1) if winter.any() else np.full(gen.shape[0], np.nan)
    bounds = np.searchsorted(rep, np.arange(gen.shape[0] + 1))
    zone = static.zones[0]
    for i in range(gen.shape[0]):
        row = {"replication": start + i, **first.summary}
        a, z = bounds[i], bounds[i + 1]
        if z > a:
            ki, vi = k[a:z], shed_k[a:z]
            peak = float(vi.max())
            if peak > 0:
                per_step = b.copy()
                per_step[ki] = vi
                lost = ki[vi > EPS_MW]
                entries = np.count_nonzero(np.diff(lost, prepend=-2) != 1)
                stats = (float(per_step.sum() * step_h), float(lost.size * step_h), float(entries), peak)
            else:  # short by the slack only, nothing shed: a max of signed zeros, taken as regularly
                stats = loss_stats(patch_all([base], ki, [vi[None, :]])[0].zone_sum(), step_h)
        else:
            stats = none
        row["eue_mwh"], row["lole_h"], row["lolf"], row["peak_shortfall_mw"] = stats
        row[f"eue_mwh.{zone}"], row[f"lole_h.{zone}"], row[f"lolf.{zone}"] = stats[:3]
        row[f"peak_shortfall_mw.{zone}"] = stats[3]
        row["winter_generation_mw"] = float(wg[i])
        batch.rows.append(row)


def _bits(a: np.ndarray) -> np.ndarray:
    """The bit patterns of a float array (0.0 is 0, -0.0 is not)."""
    return np.ascontiguousarray(a, dtype=float).view(np.int64)


def _dense(x: np.ndarray) -> Moments:
    """Moments over replications of ``x`` (replications x zones x runs), with the
    operations of :func:`sim.experiments.ensemble.run_moments`."""
    sums = Sums()
    sums.n, sums.shift = x.shape[0], x[0].copy()
    dev = x - sums.shift
    sums.s = dev.sum(axis=0)
    dev *= dev
    sums.q = dev.sum(axis=0)
    return sums.moments()


def _constant(values: np.ndarray, n: int) -> Moments:
    """Moments of ``n`` replications that all have ``values`` (finite): what
    :func:`_dense` gives, without the replications."""
    sums = Sums()
    zero = np.zeros_like(values, dtype=float)
    sums.n, sums.shift, sums.s, sums.q = n, values, zero, zero
    return sums.moments()


@dataclass
class _NoRaw:
    """What :func:`~sim.model.flows.solve` reads of a replication without outside links."""

    availability: np.ndarray
