"""A pyabc sampler whose particles do not depend on the executor or the workers.

pyabc's own parallel samplers reseed numpy from the operating system in every
worker, so their populations differ from run to run. Here candidate ``j`` of
generation ``t`` seeds numpy's global generator (which pyabc's priors and
kernels draw from) with ``SeedSequence(seed, spawn_key=(SALT, t + 1, j))``
before it is proposed and simulated, and a generation accepts the first ``n``
accepted candidates in the order of ``j``: candidates run in rounds on any
:class:`~sim.experiments.inference.pool.Pool` and those after the ``n``-th
acceptance are dropped. The same seed gives the same populations serially,
with any number of local processes, or on Dask.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

from sim.experiments.inference.pool import Pool

#: Spawn-key salt of candidate seeds (other streams of the scenario's seed use others).
SALT = 0xABC
#: Candidates per pool task.
BATCH = 4
#: Pool tasks per worker in each round.
TASKS_PER_WORKER = 4

_loaded: tuple[int, Any] = (0, None)


def seed_global(seed: int, *key: int) -> None:
    """Seed numpy's and Python's global generators from ``seed`` and a spawn key."""
    state = np.random.SeedSequence(seed, spawn_key=(SALT, *key)).generate_state(4)
    np.random.seed(state)
    random.seed(int(state[0]))


def run_candidates(payload: bytes, task: tuple[int, int, range]) -> list[Any]:
    """A pool task: simulate candidates ``ids`` of generation ``t``, each from its own seed."""
    global _loaded
    seed, t, ids = task
    if _loaded[0] != hash(payload):
        _loaded = (hash(payload), cloudpickle.loads(payload))
    simulate_one = _loaded[1]
    out = []
    for j in ids:
        seed_global(seed, t + 1, j)
        out.append(simulate_one())
    return out


class SeededSampler(Sampler):
    """Deterministic rounds of candidates on a pool (see the module docstring)."""

    def __init__(self, pool: Pool, seed: int, progress: Callable[[int, int], None] | None = None) -> None:
        super().__init__()
        self.pool, self.seed = pool, seed
        self.progress = progress or (lambda k, t: None)

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        payload = cloudpickle.dumps(simulate_one)
        per_round = self.pool.workers * TASKS_PER_WORKER * BATCH
        done: list[Any] = []
        accepted = 0
        while accepted < n:
            first = len(done)
            tasks = [
                (self.seed, t, range(a, min(a + BATCH, first + per_round)))
                for a in range(first, first + per_round, BATCH)
            ]
            for part in self.pool.map(run_candidates, tasks, payload):
                done.extend(part)
            now = sum(1 for p in done if p.accepted)
            self.progress(min(now, n) - accepted, t)
            accepted = min(now, n)
        counts = itertools.accumulate(int(p.accepted) for p in done)
        used = next(i for i, c in enumerate(counts, start=1) if c == n)
        sample = self._create_empty_sample()
        for particle in done[:used]:
            sample.append(particle)
        self.nr_evaluations_ = used
        return sample
