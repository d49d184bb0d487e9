"""Statistics over replications: running moments merged exactly, estimates
with intervals, binomial intervals and the verdict against a target band."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Two-sided confidence level of every interval the project reports.
CONFIDENCE = 0.95
#: Standard normal quantile of :data:`CONFIDENCE` (two-sided): ``scipy.special.ndtri(0.975)``
#: (tested), written out because importing scipy takes a good share of start-up.
Z = 1.959963984540054


#: What seeds a bootstrap: an int, a sequence of ints, or nothing (fresh entropy).
Seed = int | Sequence[int] | None


def t_quantile(n: int) -> float:
    """Student-t quantile of :data:`CONFIDENCE` (two-sided) for ``n`` observations."""
    from scipy.special import stdtrit  # what scipy.stats.t.ppf calls; far cheaper to import

    return float(stdtrit(n - 1, 0.5 + CONFIDENCE / 2)) if n > 1 else float("nan")


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


def estimate(values: np.ndarray, non_negative: bool = False, seed: Seed = None) -> Estimate:
    """Mean of independent replications with a :data:`CONFIDENCE` interval.

    Signed quantities (differences, relief) get the Student-t interval. Quantities
    that cannot be negative (EUE, LOLE, LOLF, shortfalls) are often zero-inflated
    and heavy-tailed, where the t interval leaves the range and under-covers: they
    get a bias-corrected and accelerated (BCa) bootstrap interval
    (:func:`bca_interval`), which stays within the range of the data. ``seed``
    makes the bootstrap draws reproducible.
    """
    v = np.asarray(values, dtype=float)
    n = v.size
    mean = float(v.mean()) if n else float("nan")
    sd = float(v.std(ddof=1)) if n > 1 else 0.0
    if n < 2:
        return Estimate(mean, float("nan"), float("nan"), sd, n)
    if non_negative and np.all(v >= 0):
        lo, hi = bca_interval(v, seed)
        return Estimate(mean, lo, hi, sd, n)
    half = t_quantile(n) * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, sd, n)


#: Bootstrap resamples of :func:`bca_interval`: the Monte Carlo error of its
#: end points is small against their sampling error from this many on.
BOOTSTRAP_RESAMPLES = 2000
#: Resamples drawn per batch (bounds the memory: batch x n indices).
BOOTSTRAP_BATCH_VALUES = 4_000_000


def bca_interval(values: np.ndarray, seed: Seed = None) -> tuple[float, float]:
    """BCa bootstrap interval of the mean (Efron 1987), at :data:`CONFIDENCE`.

    The same interval as ``scipy.stats.bootstrap(method="BCa")`` (tested against
    it), computed for the mean directly: the jackknife means are
    ``(sum - x_i) / (n - 1)`` in one vector operation instead of n resampled
    statistics, so the cost is O(resamples x n) rather than O(n^2). Constant data
    give a zero-width interval.
    """
    # scipy.stats.norm's ppf and cdf call these; scipy.special is far cheaper to import.
    from scipy.special import ndtr, ndtri

    v = np.asarray(values, dtype=float)
    n = v.size
    mean = float(v.mean())
    if np.all(v == v[0]):
        return mean, mean
    rng = np.random.default_rng(seed)
    per = max(1, BOOTSTRAP_BATCH_VALUES // n)
    # 32-bit indices where they fit: numpy draws the same integers below 2**32
    # for either width (tested), in half the time.
    width = np.int32 if n < 2**31 else np.int64
    boot = np.concatenate(
        [
            v[rng.integers(0, n, size=(min(per, BOOTSTRAP_RESAMPLES - k), n), dtype=width)].mean(axis=1)
            for k in range(0, BOOTSTRAP_RESAMPLES, per)
        ]
    )
    # Bias correction: the share of resampled means below the mean.
    share = (np.sum(boot < mean) + 0.5 * np.sum(boot == mean)) / boot.size
    z0 = ndtri(share)
    # Acceleration from the jackknife means.
    jack = (v.sum() - v) / (n - 1)
    d = jack.mean() - jack
    denom = 6.0 * np.sum(d * d) ** 1.5
    accel = float(np.sum(d**3) / denom) if denom > 0 else 0.0
    z = ndtri(np.array([0.5 - CONFIDENCE / 2, 0.5 + CONFIDENCE / 2]))
    adj = ndtr(z0 + (z0 + z) / (1 - accel * (z0 + z)))
    if not np.all(np.isfinite(adj)):
        adj = np.array([0.5 - CONFIDENCE / 2, 0.5 + CONFIDENCE / 2])
    lo, hi = np.quantile(boot, adj)
    return float(lo), float(hi)


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
