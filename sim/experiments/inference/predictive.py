"""Posterior (and prior) predictive draws, the checks of the records against
them, the verdicts, and the posterior summary of the unknowns.

A predictive draw is a parameter set (resampled from the posterior by weight, or
drawn from the prior) and one replication with its own seed: the draws are
independent, so a probability over them carries the uncertainty of the
parameters and the model's chance together, and its Wilson interval is the
Monte Carlo error only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.inference.particles import ParameterMap, Point, chunked, run_points
from sim.experiments.inference.pool import Pool
from sim.experiments.inference.spec import Calibration, Record, Verdict
from sim.results.stats import wilson

#: Spawn-key salts of the predictive streams.
POSTERIOR, PRIOR = 0x9051, 0x9121
#: Central interval of predictions and posteriors (5 % and 95 % quantiles).
LEVEL = (0.05, 0.5, 0.95)
#: Draws per pool task.
TASK = 10


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: tuple[float, ...] = LEVEL) -> list[float]:
    """Quantiles of ``x`` with weights ``w`` (the inverse of the weighted distribution function)."""
    order = np.argsort(x, kind="stable")
    x, cw = x[order], np.cumsum(w[order]) / np.sum(w)
    return [float(x[min(np.searchsorted(cw, q), len(x) - 1)]) for q in qs]


def draw_points(
    pmap: ParameterMap, seed: int, draws: int, particles: pd.DataFrame | None = None
) -> list[Point]:
    """Predictive points: from the posterior ``particles`` by weight, else from the prior."""
    salt = PRIOR if particles is None else POSTERIOR
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(salt,)))
    seeds = np.random.SeedSequence(seed, spawn_key=(salt, 1)).generate_state(draws)
    if particles is None:
        u = rng.random((draws, len(pmap.names)))
        names = list(pmap.names)
        params = [{n: float(pmap.priors[n].ppf(ui[k])) for k, n in enumerate(names)} for ui in u]
    else:
        w = particles["weight"].to_numpy(dtype=float)
        idx = rng.choice(len(particles), size=draws, p=w / w.sum())
        cols = list(pmap.names)
        params = [{n: float(v) for n, v in zip(cols, particles.iloc[i][cols], strict=True)} for i in idx]
    return [(p, int(s), 1) for p, s in zip(params, seeds, strict=True)]


def predict(pmap: ParameterMap, points: list[Point], pool: Pool) -> pd.DataFrame:
    """One row per draw (draws the schema rejects are left out): the unknowns and every column."""
    rows = [r for task in pool.map(run_points, chunked(points, TASK), pmap) for rs in task for r in rs]
    frame = pd.DataFrame(rows)
    frame.insert(0, "draw", np.arange(len(frame)))
    return frame


#: Stands for "never" while quantiles are interpolated (no inf - inf).
NEVER = 1e300


def check_record(rec: Record, draws: pd.DataFrame) -> dict[str, Any]:
    """A record against the predictive draws: interval, whether the record falls inside,
    and the share of draws at or below it."""
    out: dict[str, Any] = {"label": rec.label, "reported": rec.reported, "source": rec.source}
    out["column"] = rec.column
    if rec.column is None or rec.column not in draws.columns:
        return {**out, "status": "not an output yet"}
    if not rec.numeric:
        return {**out, "status": "not a number"}
    x = draws[rec.column].to_numpy(dtype=float)
    # A date that never came (NaN, as a first cut-off that never happened) ranks
    # after every date: a quantile that falls among them is infinite (shown "-").
    never = np.isnan(x)
    q05, q50, q95 = np.quantile(np.where(never, NEVER, x), LEVEL)
    q05, q50, q95 = (np.inf if q >= NEVER else float(q) for q in (q05, q50, q95))
    x = np.where(never, np.inf, x)
    value = float(rec.reported)
    lo, hi = rec.band
    return {
        **out,
        "status": "checked",
        "mean": float(x.mean()),
        "median": float(q50),
        "q05": float(q05),
        "q95": float(q95),
        "inside": bool(q05 <= value <= q95),
        "p_at_most": float(np.mean(x <= value)),
        "p_band": float(np.mean((x >= lo) & (x <= hi))),
        "band": [lo, hi],
    }


def verdict_probability(v: Verdict, draws: pd.DataFrame) -> dict[str, Any]:
    """The probability of a verdict over the draws, with its Wilson interval."""
    hit = v.holds(draws[v.column].to_numpy(dtype=float))
    lo, hi = wilson(float(hit.sum()), len(hit))
    p = float(hit.mean())
    return {"label": v.label, "probability": p, "ci95_low": lo, "ci95_high": hi, "n": len(hit)}


def posterior_summary(pmap: ParameterMap, particles: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per unknown: weighted mean, 5/50/95 % quantiles, the prior's, and how much of
    the prior's 90 % interval is left (``width_ratio``)."""
    w = particles["weight"].to_numpy(dtype=float)
    out = {}
    for n in pmap.names:
        x = particles[n].to_numpy(dtype=float)
        q05, q50, q95 = weighted_quantiles(x, w)
        p05, p50, p95 = pmap.priors[n].quantiles(LEVEL)
        width = (q95 - q05) / (p95 - p05) if p95 > p05 else float("nan")
        out[n] = {
            "mean": float(np.sum(w * x) / np.sum(w)),
            "median": q50,
            "q05": q05,
            "q95": q95,
            "prior_q05": p05,
            "prior_median": p50,
            "prior_q95": p95,
            "width_ratio": width,
        }
    return out


def point_estimate(pmap: ParameterMap, summary: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """The posterior medians, as the unknowns' values of a posterior scenario."""
    return pmap.values({n: summary[n]["median"] for n in pmap.names})


def checks(cal: Calibration, draws: pd.DataFrame) -> dict[str, Any]:
    """Fitted and held-out records against the draws, and the verdicts."""
    return {
        "fitted": [check_record(r, draws) for r in cal.observations],
        "held_out": [check_record(r, draws) for r in cal.held_out],
        "verdicts": {k: verdict_probability(v, draws) for k, v in cal.verdicts.items()},
    }
