"""Series on runs of steps read without expanding every step: the per-step
array by a shared index, a window of steps and the tail from a step are the
slices of the per-step array, to the bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.dispatch.runs import Steps, run_of_step


@st.composite
def series(draw):
    n = draw(st.integers(1, 50))
    starts = np.array(sorted({0, *draw(st.lists(st.integers(0, n - 1), max_size=n))}), dtype=np.int64)
    lead = draw(st.sampled_from([(), (1,), (3,)]))
    pool = st.sampled_from([0.0, -0.0, 1.5, -2.0, 1e300, np.nan])
    size = int(np.prod(lead, dtype=int)) * starts.size
    values = np.array(draw(st.lists(pool, min_size=size, max_size=size))).reshape(*lead, starts.size)
    return Steps(starts, values, n)


def plain(s: Steps) -> np.ndarray:
    """The per-step array by ``np.repeat`` of the runs' lengths."""
    return np.repeat(s.values, s.lengths(), axis=-1)


@settings(max_examples=200, deadline=None)
@given(s=series(), data=st.data())
def test_windows_and_tails_are_slices_of_the_per_step_array(s, data):
    full = plain(s)
    assert s.expand().tobytes() == full.tobytes()
    a = data.draw(st.integers(0, s.n - 1))
    b = data.draw(st.integers(a + 1, s.n))
    assert s.window(a, b).tobytes() == full[..., a:b].tobytes()
    tail = s.tail(a)
    assert tail.n == s.n - a and tail.starts[0] == 0 and (np.diff(tail.starts) > 0).all()
    assert tail.expand().tobytes() == np.ascontiguousarray(full[..., a:]).tobytes()


def test_the_run_of_every_step_is_shared_by_series_of_the_same_runs():
    starts = np.array([0, 3, 4, 9])
    index = run_of_step(starts, 12)
    assert index.tolist() == [0, 0, 0, 1, 2, 2, 2, 2, 2, 3, 3, 3]
    assert run_of_step(starts, 12) is index  # kept, not recomputed
    assert run_of_step(starts.copy(), 12) is not index  # by identity: equal runs, another array
    assert not index.flags.writeable


def bits(x) -> bytes:
    return np.asarray(x, dtype=float).tobytes()


@settings(max_examples=200, deadline=None)
@given(s=series())
def test_totals_are_the_sums_of_the_per_step_array_and_of_each_row(s):
    full = plain(s)
    total, rows = s.totals()
    assert bits(total) == bits(full.sum()) == bits(s.total())
    if full.ndim == 2:
        assert len(rows) == full.shape[0]
        for got, row in zip(rows, full, strict=True):
            assert bits(got) == bits(row.sum())
