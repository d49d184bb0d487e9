"""The clock's local days: each step's day as a stretch of steps, across the
changes of daylight-saving time (a 23-hour and a 25-hour day) and from a start
that is not midnight."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.model.clock import Clock


@pytest.mark.parametrize("step_h", [1.0, 0.25])
@pytest.mark.parametrize(
    ("start", "odd_day_h"), [(dt.datetime(2021, 3, 24, 5), 23.0), (dt.datetime(2021, 10, 27, 5), 25.0)]
)
def test_the_steps_of_a_local_day_are_those_with_its_day_number(step_h, start, odd_day_h):
    n = int(24 * 9 / step_h)
    clock = Clock(start, "Europe/Berlin", step_h, n)
    day = clock.day
    lengths = np.diff(clock.day_starts) * step_h
    assert lengths[0] == 19.0 and odd_day_h in lengths  # a first day from 05:00, and the clock's change
    for step in range(n):
        a, b = clock.day_steps(step)
        assert np.array_equal(np.flatnonzero(day == day[step]), np.arange(a, b))
