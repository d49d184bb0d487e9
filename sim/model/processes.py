"""Daily stochastic processes shared by the model's random inputs (outside
links' availability, wind), drawn from the generator they are given."""

from __future__ import annotations

from itertools import accumulate

import numpy as np

from sim.model.clock import Clock


def ar1(rng: np.random.Generator, n: int, persistence: float) -> np.ndarray:
    """``n`` successive values of a stationary AR(1) with unit variance and lag-1
    autocorrelation ``persistence`` (exactly ``n`` standard normals are drawn).

    The recursion ``y[i] = e[i] + persistence * y[i - 1]`` runs in Python floats
    (a few hundred days): the same values as ``scipy.signal.lfilter``, bit for
    bit (tested), without importing scipy.signal, which takes most of a second."""
    e = rng.standard_normal(n)
    e[1:] *= np.sqrt(1.0 - persistence**2)
    p = float(persistence)
    return np.fromiter(accumulate(e.tolist(), lambda y, x: x + p * y), dtype=float, count=n)


def n_days(clock: Clock) -> int:
    """Number of (local) days the steps touch."""
    return int(clock.day[-1]) + 1 if clock.n_steps else 0


def daily(values: np.ndarray, clock: Clock) -> np.ndarray:
    """The value of each day from a per-step series that is constant within days."""
    first = np.flatnonzero(np.diff(clock.day, prepend=-1) != 0)
    return values[..., first]
