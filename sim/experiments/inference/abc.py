"""ABC-SMC with pyabc: the posterior of a calibration's unknowns.

Each candidate particle runs **one** replication of the scenario at its
parameters, seeded from the candidate's own seed (:mod:`.sampler`): the record is
one realisation of the campaign, so it is compared with one simulated
realisation and the posterior carries the model's chance as well as the
parameters (the mean of several replications would fit the average campaign
instead, and claim too much). The distance is the largest standardised miss:

    d = max_i |x_i - centre_i| / half_width_i

with the band of each record (a count ``N``: ``N +- sds * sqrt(N)``; a band: its
ends), so ``d <= 1`` means "every fitted record inside its band". Epsilon is a
quantile of the last generation's distances, never below ``final_epsilon``;
sampling stops at the first generation run at ``final_epsilon`` (or after
``generations``): that population is the posterior of the ABC model "every
record within its band".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.epsilon import QuantileEpsilon

from sim.experiments.inference.particles import ParameterMap, run_points
from sim.experiments.inference.pool import Pool
from sim.experiments.inference.sampler import SeededSampler, seed_global
from sim.experiments.inference.spec import Calibration, Record


class JointPrior(pyabc.DistributionBase):
    """The independent priors of the unknowns, drawn through their quantile functions."""

    def __init__(self, pmap: ParameterMap) -> None:
        self.priors = pmap.priors

    def rvs(self, *args: Any, **kwargs: Any) -> pyabc.Parameter:
        return pyabc.Parameter({n: float(p.ppf(np.random.random_sample())) for n, p in self.priors.items()})

    def pdf(self, x: Any) -> float:
        return math.prod(p.pdf(float(x[n])) for n, p in self.priors.items())

    def get_parameter_names(self) -> list[str]:
        return list(self.priors)


class ParticleModel:
    """pyabc's model: the fitted columns of one replication at the parameters."""

    def __init__(self, pmap: ParameterMap, columns: list[str]) -> None:
        self.pmap, self.columns = pmap, columns

    def __call__(self, pars: Any) -> dict[str, float]:
        seed = int(np.random.randint(0, 2**31 - 1))  # from the candidate's seeded generator
        rows = run_points(self.pmap, [(dict(pars), seed, 1)])[0]
        return {c: float(rows[0][c]) if rows else math.nan for c in self.columns}


class BandDistance:
    """The largest miss of the fitted records, in half-widths of their bands."""

    def __init__(self, records: tuple[Record, ...]) -> None:
        self.columns = [str(r.column) for r in records]
        bands = [r.band for r in records]
        self.centre = np.array([(a + b) / 2 for a, b in bands])
        self.half = np.array([(b - a) / 2 for a, b in bands])

    def __call__(self, x: dict[str, float], x_0: dict[str, float] | None = None) -> float:
        v = np.array([x[c] for c in self.columns], dtype=float)
        if not np.all(np.isfinite(v)):
            return math.inf
        return float(np.max(np.abs(v - self.centre) / self.half))


class FlooredQuantileEpsilon(QuantileEpsilon):
    """pyabc's quantile epsilon, never below ``floor``."""

    def __init__(self, alpha: float, floor: float) -> None:
        super().__init__(alpha=alpha, weighted=True)
        self.floor = floor

    def _update(self, t: int, weighted_distances: pd.DataFrame) -> None:
        super()._update(t, weighted_distances)
        self._look_up[t] = max(self._look_up[t], self.floor)


@dataclass
class Posterior:
    """The last population of an ABC-SMC run."""

    particles: pd.DataFrame
    """One row per particle: the unknowns (as the scenario gets them), ``weight``
    (summing to 1), ``distance`` and the fitted columns it simulated."""
    generations: pd.DataFrame
    """Per generation: ``t, epsilon, evaluations, acceptance``."""
    elapsed_s: float
    final_epsilon: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def reached(self) -> bool:
        """Whether the last generation ran at the final epsilon."""
        return bool(self.generations["epsilon"].iloc[-1] <= self.final_epsilon + 1e-12)


def run_abc(
    pmap: ParameterMap,
    cal: Calibration,
    pool: Pool,
    db: Path,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> Posterior:
    """Run ABC-SMC; the history goes to the SQLite file ``db``; ``progress(k, t)`` hears
    of ``k`` more particles accepted in generation ``t``."""
    inf = cal.inference
    n, g = inf.population, inf.generations
    obs = cal.observations
    columns = [str(r.column) for r in obs]
    seed_global(seed)  # pyabc's own draws in this process, if any
    sampler = SeededSampler(pool, seed, progress=progress)
    abc = pyabc.ABCSMC(
        ParticleModel(pmap, columns),
        JointPrior(pmap),
        BandDistance(obs),
        population_size=n,
        eps=FlooredQuantileEpsilon(inf.quantile, inf.final_epsilon),
        sampler=sampler,
    )
    centres = {c: float(m) for c, m in zip(columns, BandDistance(obs).centre, strict=True)}
    abc.new(f"sqlite:///{db}", centres)
    start = time.perf_counter()
    history = abc.run(minimum_epsilon=inf.final_epsilon, max_nr_populations=g)
    elapsed = time.perf_counter() - start
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    gens = pd.DataFrame(
        {
            "t": pops["t"].astype(int).to_numpy(),
            "epsilon": pops["epsilon"].to_numpy(dtype=float),
            "evaluations": pops["samples"].astype(int).to_numpy(),
        }
    )
    gens["acceptance"] = n / gens["evaluations"]
    last = history.get_population()
    rows = []
    for p in last.particles:
        values = pmap.values(p.parameter)
        rows.append({**values, "weight": p.weight, "distance": p.distance, **p.sum_stat})
    particles = pd.DataFrame(rows).sort_values([*pmap.names, "distance"], ignore_index=True)
    particles["weight"] /= particles["weight"].sum()
    settings = {"population": n, "generations": g, "quantile": inf.quantile, "seed": seed}
    return Posterior(particles, gens, elapsed, inf.final_epsilon, settings)
