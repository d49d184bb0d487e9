"""Simulation time: hours (float) from the scenario's start, on a fixed step.

A change at time ``t`` applies from the first step that starts at or after
``t``: the balance of step ``k`` (covering ``[k dt, (k + 1) dt)``) sees the state
at its start. With steps of 1 h, a 20-minute outage that starts and ends inside
an hour is not seen; use a finer ``step_h`` when such events matter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Clock:
    """Maps local wall-clock times to simulation hours and steps."""

    start: dt.datetime
    """Start, naive local time."""
    timezone: str
    """IANA time zone of the local times."""
    step_h: float
    """Step, hours."""
    n_steps: int
    """Number of steps."""

    @property
    def horizon_h(self) -> float:
        """Length of the simulation, hours."""
        return self.step_h * self.n_steps

    @cached_property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _start_utc(self) -> dt.datetime:
        return self.start.replace(tzinfo=self._tz).astimezone(dt.UTC)

    def hours(self, when: dt.datetime) -> float:
        """Hours from the start to a local time (may be negative or past the end)."""
        utc = when.replace(tzinfo=self._tz).astimezone(dt.UTC)
        return (utc - self._start_utc).total_seconds() / 3600.0

    def step_of(self, t_h: float | np.ndarray) -> np.ndarray:
        """First step index at or after ``t_h`` hours (clipped to ``[0, n_steps]``)."""
        k = np.ceil(np.asarray(t_h, dtype=float) / self.step_h - 1e-9)
        # As np.clip, without its overhead (most calls are for a few times).
        return np.minimum(np.maximum(k, 0), self.n_steps).astype(np.int64)

    def window_mask(self, start: dt.datetime, end: dt.datetime | None) -> np.ndarray:
        """Boolean mask of the steps in ``[start, end)`` (``end`` none: to the end)."""
        a = int(self.step_of(self.hours(start)))
        b = self.n_steps if end is None else int(self.step_of(self.hours(end)))
        mask = np.zeros(self.n_steps, dtype=bool)
        mask[a:b] = True
        return mask

    @cached_property
    def index(self) -> pd.DatetimeIndex:
        """Time-zone-aware timestamps of the steps' starts."""
        start = pd.Timestamp(self._start_utc).tz_convert(self.timezone)
        return pd.date_range(start, periods=self.n_steps, freq=pd.Timedelta(hours=self.step_h))

    @cached_property
    def hour(self) -> np.ndarray:
        """Local hour of day (0-23) of every step."""
        return self.index.hour.to_numpy()

    @cached_property
    def weekday(self) -> np.ndarray:
        """Local day of week (Monday 0) of every step."""
        return self.index.day_of_week.to_numpy()

    @cached_property
    def month(self) -> np.ndarray:
        """Local month (1-12) of every step."""
        return self.index.month.to_numpy()

    @cached_property
    def months(self) -> tuple[np.ndarray, tuple[str, ...]]:
        """First step of each local calendar month the horizon touches, and its
        label (``2021-11``)."""
        ym = self.index.year.to_numpy() * 12 + self.month - 1
        starts = np.flatnonzero(np.r_[True, ym[1:] != ym[:-1]]) if ym.size else np.zeros(0, np.int64)
        return starts, tuple(f"{v // 12}-{v % 12 + 1:02d}" for v in ym[starts])

    @cached_property
    def day(self) -> np.ndarray:
        """Local day number of every step, 0 for the first day (by the local
        calendar dates: a day of 23 or 25 hours, where the clock changes, is one day)."""
        days = self.index.tz_localize(None).normalize()
        return ((days - days[0]).days).to_numpy()

    @cached_property
    def day_starts(self) -> np.ndarray:
        """First step of each local day the horizon touches, and ``n_steps``
        (read-only: found once per clock)."""
        d = self.day
        out = np.flatnonzero(np.r_[True, d[1:] != d[:-1], True])
        out.setflags(write=False)
        return out

    def day_steps(self, step: int) -> tuple[int, int]:
        """The steps ``[a, b)`` of the local day of ``step`` (``0 <= step < n_steps``)."""
        bounds = self.day_starts
        i = int(np.searchsorted(bounds, step, side="right"))
        return int(bounds[i - 1]), int(bounds[i])
