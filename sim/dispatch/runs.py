"""Series constant on runs of steps: stored once per run, expanded on demand.

Every input of the balance is piecewise constant over the steps, and so are
its outputs; a :class:`Steps` keeps one column per run, so that work that
follows the changes (not the steps) stays that way until a per-step array is
really needed. Everything here is exact: a :class:`Steps` expands to exactly
the per-step array it stands for, bit for bit, and the helpers apply the same
floating-point operations, in the same order, as their per-step counterparts.
Pure numpy.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Steps:
    """A series over ``n`` steps that is constant on runs of steps.

    Run ``j`` covers steps ``starts[j]`` to ``starts[j + 1] - 1`` (the last to
    ``n - 1``) with the value ``values[..., j]`` (any leading shape: zones x
    runs, or runs only). Units are those of the series (MW for power).
    """

    starts: np.ndarray
    """First step of each run (increasing, ``starts[0] == 0``)."""
    values: np.ndarray
    """Value of each run, runs on the last axis."""
    n: int
    """Number of steps."""

    @classmethod
    def full(cls, value: float, shape: tuple[int, ...], n: int) -> Steps:
        """One run of ``value`` over all ``n`` steps (``shape``: leading shape)."""
        return cls(np.zeros(1, dtype=np.int64), np.full((*shape, 1), value), n)

    @property
    def k(self) -> int:
        """Number of runs."""
        return self.starts.size

    def lengths(self) -> np.ndarray:
        """Steps in each run."""
        out = np.empty(self.k, dtype=np.int64)
        np.subtract(self.starts[1:], self.starts[:-1], out=out[:-1])
        out[-1] = self.n - self.starts[-1]
        return out

    def expand(self) -> np.ndarray:
        """The per-step array (leading shape x ``n``)."""
        if self.k == self.n:
            return self.values
        if self.k == 1:
            return np.repeat(self.values, self.n, axis=-1)
        # A gather through the run of every step: faster than ``np.repeat``
        # along the last axis, and shared by the series of one axis of runs.
        return self.values.take(run_of_step(self.starts, self.n), axis=-1)

    def window(self, a: int, b: int) -> np.ndarray:
        """``expand()[..., a:b]``, without expanding the other steps."""
        if self.k == self.n:
            return self.values[..., a:b]
        first = int(np.searchsorted(self.starts, a, side="right")) - 1
        last = int(np.searchsorted(self.starts, b, side="left"))
        edges = self.starts[first:last].copy()
        edges[0] = a
        return np.repeat(self.values[..., first:last], np.diff(edges, append=b), axis=-1)

    def tail(self, a: int) -> Steps:
        """The series from step ``a`` on (``n - a`` steps, ``0 <= a < n``)."""
        if a == 0:
            return self
        first = int(np.searchsorted(self.starts, a, side="right")) - 1
        starts = self.starts[first:] - a
        starts[0] = 0
        return Steps(starts, self.values[..., first:], self.n - a)

    def on(self, starts: np.ndarray) -> np.ndarray:
        """Values on the runs of a finer axis ``starts`` (a superset of ours)."""
        if starts is self.starts or starts.size == self.k:
            return self.values
        if self.k == 1:
            return np.repeat(self.values, starts.size, axis=-1)
        return self.values.take(np.searchsorted(self.starts, starts, side="right") - 1, axis=-1)

    def at(self, step: int) -> np.ndarray:
        """The value at one step."""
        if self.k == 1:
            return self.values[..., 0]
        return self.values[..., int(np.searchsorted(self.starts, step, side="right")) - 1]

    def squeeze(self, worth: float = 1.0) -> Steps:
        """The same series with consecutive runs of bit-identical values merged
        (unless that keeps more than ``worth`` of the runs)."""
        if self.k < 2:
            return self
        bits = np.ascontiguousarray(self.values).reshape(-1, self.k).view(np.int64)
        keep = np.zeros(self.k, dtype=bool)
        keep[0] = True
        new, limit = keep[1:], worth * self.k
        # Row by row: once the runs kept so far are too many, all are.
        for row in bits:
            new |= row[1:] != row[:-1]
            if np.count_nonzero(keep) > limit:
                return self
        kept = np.flatnonzero(keep)
        if kept.size == self.k or kept.size > limit:
            return self
        return Steps(self.starts[kept], self.values.take(kept, axis=-1), self.n)

    def total(self) -> np.float64:
        """``np.sum`` of the per-step array, to the last bit (expanded only when
        not all zero: the pairwise sum depends on where the values are)."""
        if not self.values.any():
            return self.values.sum()
        return self.expand().sum()

    def totals(self) -> tuple[np.float64, list[np.float64]]:
        """:meth:`total`, and that of each row (leading axis) alone, expanding
        at most once."""
        full = self.expand() if self.values.any() else self.values
        return (self.total() if full is self.values else full.sum()), [row.sum() for row in full]

    def zone_sum(self) -> Steps:
        """Sum over the leading (zone) axis, as ``expand().sum(axis=0)`` does it."""
        return Steps(self.starts, zone_sum(self.values, self.n), self.n)


#: The most recent indexes of :func:`run_of_step`, newest first: ``(starts, n, index)``.
_RUN_OF_STEP: list[tuple[np.ndarray, int, np.ndarray]] = []


def run_of_step(starts: np.ndarray, n: int) -> np.ndarray:
    """The run of each of ``n`` steps for the runs ``starts`` (read-only; the
    last few are kept, by the identity of ``starts``, since the series of one
    balance share their runs)."""
    for s, m, index in _RUN_OF_STEP:
        if s is starts and m == n:
            return index
    lengths = np.diff(starts, append=n)
    index = np.repeat(np.arange(starts.size), lengths)
    index.setflags(write=False)
    _RUN_OF_STEP[:] = [(starts, n, index), *_RUN_OF_STEP[:3]]
    return index


@functools.lru_cache(maxsize=8)
def every_step(n: int) -> np.ndarray:
    """The run starts of a series that may change at every one of ``n`` steps
    (one shared, read-only array per ``n``)."""
    out = np.arange(n)
    out.setflags(write=False)
    return out


def zone_sum(values: np.ndarray, n: int) -> np.ndarray:
    """``values.sum(axis=0)`` of a zones x runs array, with the rounding of the
    zones x ``n`` steps array it stands for: numpy adds rows one by one, except
    when a single column is left, where it sums pairwise (from 8 rows)."""
    values = np.ascontiguousarray(values)
    if values.shape[-1] == 1 and n > 1:
        return np.repeat(values, 2, axis=-1).sum(axis=0)[..., :1]
    return values.sum(axis=0)


def union(n: int, *starts: np.ndarray) -> np.ndarray:
    """Sorted union of run starts over ``n`` steps (each includes step 0)."""
    parts = [s for s in starts if s.size > 1]
    if not parts:
        return starts[0]
    if all(s is parts[0] for s in parts):
        return parts[0]
    size = sum(s.size for s in parts)
    if size * 16 < n:
        return unique(np.concatenate(parts))
    mask = np.zeros(n + 1, dtype=bool)
    for s in parts:
        mask[s] = True
    return np.flatnonzero(mask[:n])


def align(*series: Steps) -> tuple[np.ndarray, list[np.ndarray]]:
    """The runs of several series on one axis: ``(starts, values of each)``;
    the values of a constant series keep one run, to broadcast."""
    starts = union(series[0].n, *(s.starts for s in series))
    return starts, [s.values if s.k == 1 else s.on(starts) for s in series]


def unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array (by sorting: faster than
    ``np.unique`` on the few hundred values of a replication)."""
    a = np.sort(a)
    keep = np.empty(a.size, dtype=bool)
    keep[:1] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def spikes(n: int, steps: np.ndarray) -> np.ndarray:
    """Run starts over ``n`` steps that isolate each of ``steps`` (sorted, unique)."""
    ends = steps + 1
    return unique(np.concatenate([[0], steps, ends[ends < n]]))


def patch(base: Steps, steps: np.ndarray, values: np.ndarray, axis: np.ndarray | None = None) -> Steps:
    """``base`` with its per-step values replaced at ``steps`` (sorted, unique);
    ``axis``: ``spikes(n, steps)`` if known."""
    if steps.size == 0:
        return base
    if base.k == base.n:
        out = base.values.copy()
        out[..., steps] = values
        return Steps(base.starts, out, base.n)
    starts = union(base.n, base.starts, spikes(base.n, steps) if axis is None else axis)
    shape = (*values.shape[:-1], starts.size)
    out = np.empty(shape)
    out[...] = base.values if base.k == 1 else base.on(starts)
    out[..., np.searchsorted(starts, steps)] = values
    return Steps(starts, out, base.n)


def patch_all(bases: list[Steps], steps: np.ndarray, values: list[np.ndarray]) -> list[Steps]:
    """:func:`patch` of several series at the same ``steps``, sharing the runs
    of the constant ones."""
    if steps.size == 0:
        return bases
    n = bases[0].n
    axis = at = None
    out = []
    for base, v in zip(bases, values, strict=True):
        if base.k > 1:
            out.append(patch(base, steps, v))
            continue
        if axis is None:
            axis = spikes(n, steps)
            at = np.searchsorted(axis, steps)
        arr = np.empty((*v.shape[:-1], axis.size))
        arr[...] = base.values
        arr[..., at] = v
        out.append(Steps(axis, arr, n))
    return out


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The steps of the ranges ``[starts[i], starts[i] + lengths[i])``, in order."""
    total = int(lengths.sum())
    offset = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return np.arange(total) + offset


class Series(Mapping[str, np.ndarray]):
    """Named :class:`Steps`, read as per-step arrays (expanded on access)."""

    def __init__(self, runs: dict[str, Steps]) -> None:
        self.runs = runs

    def __getitem__(self, name: str) -> np.ndarray:
        return self.runs[name].expand()

    def __iter__(self) -> Iterator[str]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)


def expand_fields(obj: object, target: type) -> dict[str, object]:
    """The fields of dataclass ``obj`` that dataclass ``target`` has, with every
    :class:`Steps` (or object with an ``expand`` method) expanded to per-step
    values and the rest as they are: the keyword arguments of ``target``."""
    names = {f.name for f in dataclasses.fields(target)}
    return {
        name: (v.expand() if hasattr(v := getattr(obj, name), "expand") else v)
        for name in (f.name for f in dataclasses.fields(obj))  # type: ignore[arg-type]
        if name in names
    }
