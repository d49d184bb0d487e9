"""A whole calibration: ABC-SMC, posterior and prior predictive draws, the
checks of every record, the verdicts and the summary that the report writes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.inference.abc import Posterior, run_abc
from sim.experiments.inference.particles import ParameterMap, prepare_calibration
from sim.experiments.inference.pool import Pool
from sim.experiments.inference.predictive import (
    checks,
    draw_points,
    point_estimate,
    posterior_summary,
    predict,
)
from sim.experiments.inference.spec import NEEDS, Calibration, read_calibration, with_settings

Progress = Callable[[int, int], None]
"""``progress(particles accepted, generation)``; generation -1 is the prior sample."""


@dataclass
class CalibrationRun:
    """What ``gridshed calibrate`` computed."""

    summary: dict[str, Any]
    posterior: Posterior
    draws: pd.DataFrame
    prior_draws: pd.DataFrame
    pmap: ParameterMap
    calibration: Calibration
    history: Path


def load(scenario: str | Path, calibration: str | Path) -> tuple[ParameterMap, Calibration]:
    """Read a calibration file and check it against its scenario."""
    cal, src = read_calibration(calibration)
    pmap, _ = prepare_calibration(scenario, cal, src)
    return pmap, cal


def calibrate(
    scenario: str | Path,
    calibration: str | Path,
    history: Path,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    seed: int | None = None,
    population: int | None = None,
    generations: int | None = None,
    draws: int | None = None,
    progress: Progress | None = None,
) -> CalibrationRun:
    """Calibrate ``scenario`` by ``calibration``; pyabc's history goes to ``history``."""
    start = time.perf_counter()
    pmap, cal = load(scenario, calibration)
    sizes = {"population": population, "generations": generations, "predictive_draws": draws}
    cal = with_settings(cal, "inference", **sizes)
    seed = pmap.scenario_.seed if seed is None else seed
    draws = cal.inference.predictive_draws
    with Pool(executor, workers, scheduler) as pool:
        post = run_abc(pmap, cal, pool, history, seed, progress=progress)
        t_abc = time.perf_counter() - start
        predictive = predict(pmap, draw_points(pmap, seed, draws, post.particles), pool)
        prior = predict(pmap, draw_points(pmap, seed, draws), pool)
    unknowns = posterior_summary(pmap, post.particles)
    for name, u in cal.unknowns.items():
        unknowns[name] = {"key": u.key, "label": u.label, "prior": _prior_text(u), **unknowns[name]}
    values = point_estimate(pmap, unknowns)
    post.settings["predictive_draws"] = draws
    prior_checks = checks(cal, prior)
    summary: dict[str, Any] = {
        "scenario": pmap.scenario_.name,
        "scenario_file": str(scenario),
        "calibration_file": str(calibration),
        "seed": seed,
        "settings": {**post.settings, "final_epsilon": cal.inference.final_epsilon},
        "elapsed_s": {"abc": t_abc, "total": time.perf_counter() - start},
        "generations": post.generations.to_dict("records"),
        "reached_final_epsilon": post.reached,
        "unknowns": unknowns,
        "posterior_scenario": pmap.keys(values),
        **checks(cal, predictive),
        "prior_predictive": {"held_out": prior_checks["held_out"], "verdicts": prior_checks["verdicts"]},
    }
    return CalibrationRun(summary, post, predictive, prior, pmap, cal, history)


def _prior_text(u: Any) -> str:
    """``lognormal(median 1, sigma 0.4) on [0.3, 2]``."""
    shape = ", ".join(f"{k} {getattr(u, k):g}" for k in NEEDS[u.prior] if k not in ("low", "high"))
    bounds = f" on [{u.low:g}, {u.high:g}]" if u.low is not None and u.high is not None else ""
    if u.prior in ("uniform", "integer"):
        return f"{u.prior}{bounds}"
    return f"{u.prior}({shape}){bounds}"
