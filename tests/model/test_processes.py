"""The daily AR(1) process: scipy.signal.lfilter's values without scipy.signal."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import lfilter

from sim.model.processes import ar1


@pytest.mark.parametrize("persistence", [0.0, 0.3, 0.9, 0.99, -0.5])
def test_ar1_is_lfilter_bit_for_bit(persistence: float) -> None:
    n = 731
    ours = ar1(np.random.default_rng(5), n, persistence)
    e = np.random.default_rng(5).standard_normal(n)
    e[1:] *= np.sqrt(1.0 - persistence**2)
    assert ours.dtype == np.float64 and ours.shape == (n,)
    assert np.array_equal(ours, lfilter([1.0], [1.0, -persistence], e))


def test_ar1_draws_exactly_n_normals() -> None:
    rng = np.random.default_rng(3)
    ar1(rng, 40, 0.8)
    follow = np.random.default_rng(3)
    follow.standard_normal(40)
    assert rng.random() == follow.random()
