"""Moments of a chunk's series summed on runs of steps are those of the per-step
series added one by one, to the bit: national series (no zone axis), series
with one run, and replications that share their runs or not, merged in order."""

from __future__ import annotations

import numpy as np

from sim.dispatch.runs import Steps
from sim.experiments.moments import run_moments
from sim.results.stats import Moments, Sums


def per_step(series: list[Steps]) -> Moments:
    sums = Sums()
    for s in series:
        sums.add(s.expand())
    return sums.moments()


def random_series(rng: np.random.Generator, n: int, lead: tuple[int, ...], runs: int | None = None) -> Steps:
    k = runs or int(rng.integers(1, n + 1))
    starts = np.r_[0, np.sort(rng.choice(np.arange(1, n), k - 1, replace=False))].astype(np.int64)
    values = rng.choice([0.0, -0.0, 1.0, 2.5, 1e3, 7.25], size=(*lead, k))
    return Steps(starts, values, n)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return np.asarray(a).tobytes() == np.asarray(b).tobytes()


def test_moments_on_runs_are_the_per_step_moments_for_every_shape_of_series():
    rng = np.random.default_rng(11)
    for trial in range(300):
        n = int(rng.integers(2, 40))
        lead = [(), (1,), (3,)][trial % 3]
        reps = int(rng.integers(1, 8))
        series = [random_series(rng, n, lead, 1 if rng.random() < 0.2 else None) for _ in range(reps)]
        got, want = run_moments(series).expand(), per_step(series)
        assert got.n == want.n == reps
        assert same(got.mean, want.mean) and same(got.m2, want.m2), trial


def test_chunks_merged_in_order_are_the_moments_of_all_replications():
    rng = np.random.default_rng(12)
    n = 30
    series = [random_series(rng, n, (2,)) for _ in range(9)]
    merged = run_moments(series[:4]).merge(run_moments(series[4:])).expand()
    whole = per_step(series[:4])
    whole.merge(per_step(series[4:]))
    assert same(merged.mean, whole.mean) and same(merged.m2, whole.m2)
