"""Running moments of a chunk's time series over its replications.

A replication's series are :class:`~sim.dispatch.runs.Steps` (constant on runs of
steps); a chunk's moments are kept on the union of its replications' runs, so
their cost follows the changes, not the steps (:func:`run_moments`), and are
summed in replication order, a slice at a time, so that they are the same bits
whatever the executor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.dispatch.runs import Steps, union
from sim.results.stats import Moments, Sums

#: Runs of steps per block when summing a series over a chunk's replications.
BLOCK = 2048


@dataclass
class RunMoments:
    """Moments of a series over replications, constant on runs of steps."""

    starts: np.ndarray
    """First step of each run."""
    moments: Moments
    """Count, mean and sum of squared deviations, runs on the last axis."""
    n_steps: int
    """Number of steps."""

    def merge(self, other: RunMoments) -> RunMoments:
        """Combine with the moments of the replications that follow (exactly
        :meth:`Moments.merge` of the per-step arrays)."""
        if self.moments.n == 0:
            return other
        if other.moments.n == 0:
            return self
        starts = union(self.n_steps, self.starts, other.starts)
        a, b = _on(self, starts), _on(other, starts)
        a.merge(b)
        return RunMoments(starts, a, self.n_steps)

    def expand(self) -> Moments:
        """The per-step :class:`Moments`."""
        m = _on(self, self.starts)
        if m.n:
            m.mean = Steps(self.starts, m.mean, self.n_steps).expand()
            m.m2 = Steps(self.starts, m.m2, self.n_steps).expand()
        return m


def _on(rm: RunMoments, starts: np.ndarray) -> Moments:
    m = Moments()
    m.n = rm.moments.n
    if m.n:
        m.mean = Steps(rm.starts, rm.moments.mean, rm.n_steps).on(starts)
        m.m2 = Steps(rm.starts, rm.moments.m2, rm.n_steps).on(starts)
    return m


def run_moments(series: list[Steps]) -> RunMoments:
    """Moments over replications of one series each (in order): the same
    numbers as adding the per-step arrays one by one to :class:`Sums`, computed
    on the runs of the union of their changes, for all replications at once
    (by blocks of :data:`BLOCK` runs, which stay in the cache)."""
    n, r = series[0].n, len(series)
    values = np.concatenate([s.values for s in series], axis=-1)
    ks = np.array([s.k for s in series])
    starts = series[0].starts
    if all(s.starts is starts or (s.k == starts.size and np.array_equal(s.starts, starts)) for s in series):
        idx = None  # the same runs in every replication
    else:
        # The union of the runs' starts, and each replication's run at each of
        # them: its runs follow the previous replications' in ``values``, so
        # that is a count of all the runs started up to there.
        own = np.concatenate([s.starts for s in series])
        mask = np.zeros(n, dtype=bool)
        mask[own] = True
        starts = np.flatnonzero(mask)
        begins = np.zeros(r * starts.size, dtype=bool)
        begins[(np.cumsum(mask) - 1)[own] + np.repeat(np.arange(r) * starts.size, ks)] = True
        idx = (np.cumsum(begins) - 1).reshape(r, starts.size)
    shape = (*values.shape[:-1], starts.size)
    sums = Sums()
    sums.n, sums.shift, sums.s, sums.q = r, np.empty(shape), np.empty(shape), np.empty(shape)
    for a in range(0, starts.size, BLOCK):
        if idx is None:
            x = values.reshape(*shape[:-1], r, starts.size)[..., a : a + BLOCK]
        else:
            x = np.take(values, idx[:, a : a + BLOCK], axis=-1)  # replications on the last axis but one
        shift = x[..., 0, :]
        sums.shift[..., a : a + BLOCK] = shift
        d = x - shift[..., None, :]
        sums.s[..., a : a + BLOCK] = _sequential_sum(d)
        d *= d
        sums.q[..., a : a + BLOCK] = _sequential_sum(d)
    return RunMoments(starts, sums.moments(), n)


def _sequential_sum(a: np.ndarray) -> np.ndarray:
    """Sum over the last axis but one, a slice at a time, as ``+=`` in a loop
    does (numpy sums pairwise instead when the slices are single elements)."""
    if a.shape[-1] > 1:
        return a.sum(axis=-2)
    return np.add.accumulate(a, axis=-2)[..., -1, :]
