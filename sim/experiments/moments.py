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
    on the runs of the union of their changes. When every replication has the
    same runs, all at once (by blocks of :data:`BLOCK` runs, which stay in the
    cache); else one replication at a time, its runs spread onto the union's."""
    n, r = series[0].n, len(series)
    starts = series[0].starts
    same = (s.starts is starts or (s.k == starts.size and np.array_equal(s.starts, starts)) for s in series)
    if not all(same):
        return _on_union(series)
    values = np.concatenate([s.values for s in series], axis=-1)
    shape = (*values.shape[:-1], starts.size)
    sums = Sums()
    sums.n, sums.shift, sums.s, sums.q = r, np.empty(shape), np.empty(shape), np.empty(shape)
    for a in range(0, starts.size, BLOCK):
        x = values.reshape(*shape[:-1], r, starts.size)[..., a : a + BLOCK]
        shift = x[..., 0, :]
        sums.shift[..., a : a + BLOCK] = shift
        d = x - shift[..., None, :]
        sums.s[..., a : a + BLOCK] = _sequential_sum(d)
        d *= d
        sums.q[..., a : a + BLOCK] = _sequential_sum(d)
    return RunMoments(starts, sums.moments(), n)


def _on_union(series: list[Steps]) -> RunMoments:
    """:func:`run_moments` of replications whose runs differ: each replication
    is spread onto the union of the runs and added as :meth:`Sums.add` adds it
    (the same operations, in the same order, on the union's runs)."""
    n = series[0].n
    first = np.zeros(n, dtype=bool)
    for s in series:
        first[s.starts] = True
    starts = np.flatnonzero(first)
    # Union run of each step that starts a run (plus one).
    rank = np.cumsum(first)
    run = np.empty(starts.size, dtype=np.int64)
    sums = Sums()
    for s in series:
        if s.k in (1, starts.size):
            x = s.values  # one run (broadcast), or the union's own runs
        else:
            # The run of ``s`` at each union run: a count of its starts so far.
            run.fill(0)
            run[rank[s.starts[1:]] - 1] = 1
            np.cumsum(run, out=run)
            x = s.values.take(run, axis=-1)
        if sums.shift is None:
            sums.add(np.broadcast_to(x, (*x.shape[:-1], starts.size)))
        else:
            sums.add(x)
    return RunMoments(starts, sums.moments(), n)


def _sequential_sum(a: np.ndarray) -> np.ndarray:
    """Sum over the last axis but one, a slice at a time, as ``+=`` in a loop
    does (numpy sums pairwise instead when the slices are single elements)."""
    if a.shape[-1] > 1:
        return a.sum(axis=-2)
    return np.add.accumulate(a, axis=-2)[..., -1, :]
