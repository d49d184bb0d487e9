"""The prior of one unknown: a scipy distribution, truncated to its bounds.

Every draw goes through the quantile function (``ppf``) of a uniform number, so
pyabc (which draws with numpy's seeded global generator) and SALib (which hands
over points of the unit cube) use the same prior. An integer unknown is a
continuous uniform on ``[low - 0.5, high + 0.5]`` rounded to the nearest integer:
every integer in ``[low, high]`` is equally likely and pyabc's kernels can move
it like any other number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from sim.experiments.inference.spec import Unknown


@dataclass(frozen=True)
class Prior:
    """A truncated prior; ``low``/``high`` bound the continuous value."""

    name: str
    dist: Any
    """A frozen ``scipy.stats`` distribution."""
    low: float = -math.inf
    high: float = math.inf
    integer: bool = False
    _mass: tuple[float, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_mass", (float(self.dist.cdf(self.low)), float(self.dist.cdf(self.high))))

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """The continuous value at quantile ``u`` of the truncated prior."""
        a, b = self._mass
        return np.clip(self.dist.ppf(a + np.asarray(u, dtype=float) * (b - a)), self.low, self.high)

    def pdf(self, x: float) -> float:
        """Density of the truncated prior at the continuous value ``x``."""
        if not self.low <= x <= self.high:
            return 0.0
        a, b = self._mass
        return float(self.dist.pdf(x)) / (b - a)

    def value(self, x: float) -> float | int:
        """What the scenario gets: ``x``, rounded for an integer unknown."""
        return int(np.clip(round(x), self.low + 0.5, self.high - 0.5)) if self.integer else float(x)

    def quantiles(self, qs: tuple[float, ...]) -> list[float]:
        """Prior quantiles, as the scenario would get them."""
        return [float(self.value(float(x))) for x in self.ppf(np.asarray(qs))]


def make_prior(name: str, u: Unknown) -> Prior:
    """The prior that an unknown of the calibration file declares."""
    lo = -math.inf if u.low is None else u.low
    hi = math.inf if u.high is None else u.high
    if u.prior == "uniform":
        return Prior(name, stats.uniform(loc=lo, scale=hi - lo), lo, hi)
    if u.prior == "integer":
        return Prior(name, stats.uniform(loc=lo - 0.5, scale=hi - lo + 1), lo - 0.5, hi + 0.5, integer=True)
    if u.prior == "lognormal":
        return Prior(name, stats.lognorm(s=u.sigma, scale=u.median), max(lo, 0.0), hi)
    if u.prior == "normal":
        return Prior(name, stats.norm(loc=u.mean, scale=u.sd), lo, hi)
    a, b = (0.0 if u.low is None else u.low), (1.0 if u.high is None else u.high)
    return Prior(name, stats.beta(u.a, u.b, loc=a, scale=b - a), a, b)
