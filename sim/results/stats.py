"""Statistics over replications: running moments merged exactly, estimates
with intervals, binomial intervals and the verdict against a target band."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

#: Two-sided confidence level of every interval the project reports.
CONFIDENCE = 0.95
#: Standard normal quantile of :data:`CONFIDENCE` (two-sided).
Z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))


def t_quantile(n: int) -> float:
    """Student-t quantile of :data:`CONFIDENCE` (two-sided) for ``n`` observations."""
    return float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) if n > 1 else float("nan")


class Moments:
    """Running count, mean and sum of squared deviations (Welford, Chan merge)."""

    __slots__ = ("m2", "mean", "n")

    def __init__(self) -> None:
        self.n = 0
        self.mean: Any = 0.0
        self.m2: Any = 0.0

    def add(self, x: np.ndarray) -> None:
        """Add one observation (an array of any shape)."""
        self.n += 1
        d = x - self.mean
        self.mean = self.mean + d / self.n
        self.m2 = self.m2 + d * (x - self.mean)

    def merge(self, other: Moments) -> None:
        """Combine with the moments of a disjoint set of observations."""
        if other.n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.m2 = other.n, other.mean, other.m2
            return
        n = self.n + other.n
        d = other.mean - self.mean
        self.mean = self.mean + d * (other.n / n)
        self.m2 = self.m2 + other.m2 + d * d * (self.n * other.n / n)
        self.n = n

    @property
    def std(self) -> Any:
        """Sample standard deviation (0 for fewer than two observations)."""
        return np.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else self.mean * 0.0


class Sums:
    """Shifted sums of a batch of arrays, updated in place (no temporaries but one).

    Cheaper per observation than Welford's update; turned into :class:`Moments`
    once per chunk. Shifting by the first observation keeps the sum of squares
    free of cancellation.
    """

    __slots__ = ("buf", "n", "q", "s", "shift")

    def __init__(self) -> None:
        self.n = 0
        self.shift: np.ndarray | None = None

    def add(self, x: np.ndarray) -> None:
        """Add one observation."""
        if self.shift is None:
            self.shift = np.array(x, dtype=float)
            self.s = np.zeros_like(self.shift)
            self.q = np.zeros_like(self.shift)
            self.buf = np.empty_like(self.shift)
        np.subtract(x, self.shift, out=self.buf)
        self.s += self.buf
        self.buf *= self.buf
        self.q += self.buf
        self.n += 1

    def moments(self) -> Moments:
        """Count, mean and sum of squared deviations."""
        m = Moments()
        if self.n:
            m.n = self.n
            m.mean = self.shift + self.s / self.n
            m.m2 = np.maximum(self.q - self.s * self.s / self.n, 0.0)
        return m


@dataclass
class Estimate:
    """Mean of a metric over replications with its 95 % confidence interval."""

    mean: float
    ci95_low: float
    ci95_high: float
    std: float
    n: int

    def as_dict(self) -> dict[str, float]:
        """Plain dict for JSON."""
        return {
            "mean": self.mean,
            "ci95_low": self.ci95_low,
            "ci95_high": self.ci95_high,
            "std": self.std,
            "n": self.n,
        }


def estimate(values: np.ndarray) -> Estimate:
    """Mean and Student-t 95 % interval of independent replications."""
    v = np.asarray(values, dtype=float)
    n = v.size
    mean = float(v.mean()) if n else float("nan")
    sd = float(v.std(ddof=1)) if n > 1 else 0.0
    half = t_quantile(n) * sd / math.sqrt(n) if n > 1 else float("nan")
    return Estimate(mean, mean - half, mean + half, sd, n)


def wilson(successes: float, n: int) -> tuple[float, float]:
    """Wilson 95 % interval of a binomial proportion."""
    if n == 0:
        return float("nan"), float("nan")
    z = Z
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def verdict(rel: Estimate, target: float, tol: float) -> str:
    """Where the 95 % interval of mean relief lies against ``target +- tol``.

    ``consistent``: inside the band; ``short``: below it; ``above``: above it;
    ``inconclusive``: it straddles an edge (more replications may settle it).
    """
    lo, hi = target - tol, target + tol
    if rel.ci95_low >= lo and rel.ci95_high <= hi:
        return "consistent"
    if rel.ci95_high < lo:
        return "short"
    if rel.ci95_low > hi:
        return "above"
    return "inconclusive"
