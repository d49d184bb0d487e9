"""The adequacy fast path against a bare numpy Monte Carlo of the same system.

The IEEE RTS-79 generation and load (:mod:`rts79`), a single zone without
mining: gridshed's whole ensemble (``run_ensemble`` on one core, which takes
the adequacy batch path of :mod:`sim.experiments.adequacy_batch`: outages,
balance, metrics, moments of the time series) against a sequential
Monte Carlo written here in plain numpy (two-state Markov units with
exponential up and down times, hourly load, LOLE and EUE counted), in CPU
milliseconds per sample year. Both are checked against the exact LOLE and EUE
of the capacity outage probability table, so that they time the same model.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import rts79

from sim.experiments.ensemble import run_ensemble
from sim.scenario.load import load_scenario


def bare_year(
    rng: np.random.Generator, cap: np.ndarray, mttf: np.ndarray, mttr: np.ndarray, load: np.ndarray
) -> tuple[float, float]:
    """One sample year: LOLE (h) and EUE (MWh). Units start in their stationary
    state; each hour sees the state at its start."""
    hours = load.size
    up = rng.random(cap.size) < mttf / (mttf + mttr)
    delta = np.zeros(hours + 1)
    delta[0] = cap[up].sum()
    t = np.zeros(cap.size)
    c, mean_now, mean_next = cap, np.where(up, mttf, mttr), np.where(up, mttr, mttf)
    while t.size:
        t = t + rng.standard_exponential(t.size) * mean_now
        up = ~up
        inside = t < hours
        t, up, c, mean_now, mean_next = t[inside], up[inside], c[inside], mean_next[inside], mean_now[inside]
        np.add.at(delta, np.ceil(t).astype(np.int64), np.where(up, c, -c))
    short = load - np.cumsum(delta)[:hours]
    lost = short > 0
    return float(lost.sum()), float(short[lost].sum())


def exact_copt(cap: np.ndarray, mttf: np.ndarray, mttr: np.ndarray, load: np.ndarray) -> tuple[float, float]:
    """Exact expected LOLE (h) and EUE (MWh) of a year from the capacity outage
    probability table (unit-addition recursion on 1 MW steps)."""
    table = np.zeros(int(cap.sum()) + 1)
    table[0] = 1.0
    for c, q in zip(cap.astype(int), mttr / (mttf + mttr), strict=True):
        table = table * (1 - q) + np.concatenate([np.zeros(c), table[:-c]]) * q
    avail = cap.sum() - np.arange(table.size)
    short = np.maximum(load[:, None] - avail[None, :], 0.0)
    return float(((short > 0) * table).sum()), float((short * table).sum())


def cpu_per_year(years: int = 1000, rounds: int = 3) -> dict[str, float]:
    """CPU ms per sample year of gridshed (one core) and of the bare Monte Carlo,
    best of ``rounds`` taken in turns, and both estimates against the exact ones."""
    cap, mttf, mttr = rts79.units()
    load = rts79.hourly_load()
    with tempfile.TemporaryDirectory() as tmp:
        sc = load_scenario(rts79.write_scenario(Path(tmp), replications=years))
        ours = bare = float("inf")
        for r in range(rounds):
            t = time.process_time()
            result = run_ensemble(sc, workers=1, progress=False)
            ours = min(ours, time.process_time() - t)
            rng = np.random.default_rng(r)
            t = time.process_time()
            sample = np.array([bare_year(rng, cap, mttf, mttr, load) for _ in range(years)])
            bare = min(bare, time.process_time() - t)
    lole, eue = exact_copt(cap, mttf, mttr, load)
    ours_lole, ours_eue = result.estimate("lole_h"), result.estimate("eue_mwh")
    return {
        "rts79_gridshed_cpu_ms_per_year": 1000 * ours / years,
        "rts79_bare_numpy_cpu_ms_per_year": 1000 * bare / years,
        "rts79_gridshed_vs_bare_numpy": ours / bare,
        "rts79_exact_lole_h": lole,
        "rts79_gridshed_lole_h": ours_lole.mean,
        "rts79_gridshed_lole_ci95_halfwidth": ours_lole.ci95_high - ours_lole.mean,
        "rts79_bare_lole_h": float(sample[:, 0].mean()),
        "rts79_exact_eue_mwh": eue,
        "rts79_gridshed_eue_mwh": ours_eue.mean,
        "rts79_bare_eue_mwh": float(sample[:, 1].mean()),
        "rts79_years": years,
    }
