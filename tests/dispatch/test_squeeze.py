"""Steps.squeeze stops looking once too many runs are kept; it must give the
series the plain rule gives: runs of bit-identical values merged unless more
than ``worth`` of the runs would stay."""

from __future__ import annotations

import numpy as np

from sim.dispatch.runs import Steps


def plain_squeeze(s: Steps, worth: float) -> Steps:
    if s.k < 2:
        return s
    bits = np.ascontiguousarray(s.values).reshape(-1, s.k).view(np.int64)
    keep = np.ones(s.k, dtype=bool)
    keep[1:] = (bits[:, 1:] != bits[:, :-1]).any(axis=0)
    if keep.all() or keep.sum() > worth * s.k:
        return s
    return Steps(s.starts[keep], s.values[..., keep], s.n)


def test_squeeze_is_the_plain_rule() -> None:
    rng = np.random.default_rng(3)
    for trial in range(2000):
        k = int(rng.integers(1, 30))
        lead = [(), (0,), (1,), (3,), (2, 2)][trial % 5]
        values = rng.integers(0, 3, (*lead, k)).astype(float)
        values[..., rng.random(k) < 0.1] = -0.0  # -0.0 is not merged with 0.0
        starts = np.r_[0, np.sort(rng.choice(np.arange(1, 60), k - 1, replace=False))]
        worth = float(rng.choice([0.2, 0.5, 0.8, 1.0]))
        s = Steps(starts, values, 64)
        got, want = s.squeeze(worth), plain_squeeze(s, worth)
        assert got.starts.tolist() == want.starts.tolist()
        assert got.values.tobytes() == want.values.tobytes()
        assert got.expand().tobytes() == s.expand().tobytes()
