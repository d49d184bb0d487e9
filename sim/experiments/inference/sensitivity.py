"""Global sensitivity of the answer to the unknowns, with SALib.

The unknowns vary over their priors: SALib's points in the unit cube go through
each prior's quantile function (squeezed into ``[0.0005, 0.9995]`` so that
unbounded priors stay finite). Every point runs the same replications with the
scenario's own seed (common random numbers), so an output is a smooth function
of the unknowns rather than a noisy one: a column's mean over the replications,
or a verdict's probability. Sobol' (Saltelli's scheme, first-order and total
indices with bootstrap intervals) or Morris (mu*, sigma) on the same outputs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.experiments.inference.particles import ParameterMap, chunked, run_points
from sim.experiments.inference.pool import Pool
from sim.experiments.inference.spec import Calibration

#: SALib's unit cube is squeezed into this range of prior quantiles.
SQUEEZE = (0.0005, 0.9995)
#: Bootstrap resamples of the index intervals.
RESAMPLES = 500
#: Points per pool task.
TASK = 4


@dataclass
class SensitivityResult:
    """Indices of every output against every unknown, and the points behind them."""

    method: str
    outputs: tuple[str, ...]
    indices: pd.DataFrame
    """``output, unknown, index, value, conf`` (``conf``: half-width of the 95 % interval)."""
    points: pd.DataFrame
    """One row per point: the unknowns and the outputs."""
    elapsed_s: float
    settings: dict[str, Any]


def _problem(pmap: ParameterMap) -> dict[str, Any]:
    return {"num_vars": len(pmap.names), "names": list(pmap.names), "bounds": [[0.0, 1.0]] * len(pmap.names)}


def unit_points(pmap: ParameterMap, method: str, samples: int, seed: int) -> np.ndarray:
    """SALib's sample of the unit cube (Sobol': N (D + 2) rows; Morris: r (D + 1))."""
    problem = _problem(pmap)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, samples, calc_second_order=False, scramble=True, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, samples, num_levels=4, seed=seed)


def output_values(rows: list[dict[str, float]], cal: Calibration) -> dict[str, float]:
    """Each output over a point's replications: a column's mean or a verdict's probability."""
    frame = pd.DataFrame(rows)
    out = {}
    for name in cal.sensitivity.outputs:
        v = cal.verdicts.get(name)
        if v is None:
            out[name] = float(frame[name].mean())
            continue
        out[name] = float(np.mean(v.holds(frame[v.column].to_numpy(dtype=float))))
    return out


def run_sensitivity(pmap: ParameterMap, cal: Calibration, pool: Pool, seed: int) -> SensitivityResult:
    """Evaluate SALib's points and analyse every output."""
    s = cal.sensitivity
    method, samples, reps = s.method, s.samples, s.replications
    start = time.perf_counter()
    unit = unit_points(pmap, method, samples, seed)
    u = SQUEEZE[0] + unit * (SQUEEZE[1] - SQUEEZE[0])
    names = list(pmap.names)
    params = [{n: float(pmap.priors[n].ppf(ui[k])) for k, n in enumerate(names)} for ui in u]
    base_seed = pmap.scenario_.seed
    points = [(p, base_seed, reps) for p in params]
    rows = [rs for task in pool.map(run_points, chunked(points, TASK), pmap) for rs in task]
    bad = [i for i, r in enumerate(rows) if not r]
    if bad:
        where = ", ".join(f"{k}={v:g}" for k, v in pmap.values(params[bad[0]]).items())
        text = f"{len(bad)} points give scenarios the schema rejects (first: {where}); narrow the priors"
        raise ScenarioError(Problem(text))
    values = [{**pmap.values(p), **output_values(r, cal)} for p, r in zip(params, rows, strict=True)]
    table = pd.DataFrame(values)
    indices = pd.DataFrame(
        [r for name in s.outputs for r in _analyse(pmap, method, unit, table[name].to_numpy(), name, seed)]
    )
    settings = {"method": method, "samples": samples, "replications": reps, "seed": seed}
    settings["points"] = len(points)
    return SensitivityResult(method, tuple(s.outputs), indices, table, time.perf_counter() - start, settings)


def _analyse(
    pmap: ParameterMap, method: str, unit: np.ndarray, y: np.ndarray, output: str, seed: int
) -> list[dict[str, Any]]:
    problem = _problem(pmap)
    if np.ptp(y) == 0:  # a constant output: nothing drives it
        kinds = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
        zero = {"output": output, "value": 0.0, "conf": 0.0}
        return [{**zero, "unknown": n, "index": k} for n in pmap.names for k in kinds]
    if method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(
            problem, y, calc_second_order=False, num_resamples=RESAMPLES, conf_level=0.95, seed=seed
        )
        pairs = (("S1", "S1_conf"), ("ST", "ST_conf"))
    else:
        from SALib.analyze import morris

        res = morris.analyze(problem, unit, y, num_resamples=RESAMPLES, conf_level=0.95, seed=seed)
        pairs = (("mu_star", "mu_star_conf"), ("sigma", None))
    return [
        {
            "output": output,
            "unknown": n,
            "index": k,
            "value": float(res[k][i]),
            "conf": float(res[c][i]) if c else float("nan"),
        }
        for i, n in enumerate(pmap.names)
        for k, c in pairs
    ]
