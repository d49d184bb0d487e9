"""What the grid tells the miners and the agency in one replication.

:class:`GridSignals` is the interface between the operator and the actors that
respond to it: the miners' economics read the share of their load the operator
allows (``allowed``), the campaign's trigger reads the times of the first limit,
the first cut-off and the first shedding. Today the operator is scripted, so
:meth:`GridSignals.scripted` builds the signals from the scenario's orders, the
same in every replication, and, when a trigger asks for it,
:func:`sim.model.openloop.open_loop_signals` adds the first shedding from a
dispatch of the replication's grid before anyone responds. A
closed-loop operator (a SimPy process issuing orders from the day-ahead margin)
builds one per replication from its own orders and passes it to
:func:`sim.model.replication.simulate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.model.clock import Clock

#: Signals a campaign trigger may follow (``enforcement.trigger.after``), besides ``date``.
SIGNALS = ("first_limit", "first_cutoff", "first_shedding")


def first_time(mask: np.ndarray, step_h: float) -> float:
    """Start (h) of the first step where ``mask`` (T, or Z x T: any zone) holds; inf if never."""
    hit = mask.any(axis=0) if mask.ndim == 2 else mask
    return float(np.argmax(hit) * step_h) if hit.any() else math.inf


@dataclass(frozen=True)
class GridSignals:
    """The operator's limits and the grid's milestones, as one replication sees them."""

    allowed: np.ndarray
    """Share of licensed mining load the operator allows, per zone and step (Z x T,
    0 to 1): 1 runs freely, 0 is cut off."""
    first_limit_h: float
    """Start of the first step in which any zone limits licensed miners (h from the
    start; inf: never)."""
    first_cutoff_h: float
    """Start of the first step in which any zone cuts licensed miners off entirely (h; inf: never)."""
    first_shedding_h: float | None = None
    """Start of the first step in which firm load is shed anywhere (h; inf: never;
    None: not known, as for a scripted operator: see
    :func:`sim.model.openloop.open_loop_signals`)."""

    @classmethod
    def scripted(
        cls, allowed: np.ndarray, clock: Clock, first_shedding_h: float | None = None
    ) -> GridSignals:
        """Signals of a scripted operator whose orders allow ``allowed`` (Z x T)."""
        return cls(
            allowed=allowed,
            first_limit_h=first_time(allowed < 1.0, clock.step_h),
            first_cutoff_h=first_time(allowed <= 0.0, clock.step_h),
            first_shedding_h=first_shedding_h,
        )

    def time_of(self, signal: str) -> float:
        """Hours from the start at which ``signal`` (one of :data:`SIGNALS`) comes; inf: never."""
        if signal not in SIGNALS:
            raise ValueError(f"unknown grid signal {signal!r}; expected one of {SIGNALS}")
        when = getattr(self, f"{signal}_h")
        if when is None:
            raise ValueError(
                f"these grid signals do not know the {signal.replace('_', ' ')}: "
                "give the replication signals that do (sim.model.openloop.open_loop_signals)"
            )
        return float(when)

    def daily_allowed(self, clock: Clock) -> np.ndarray:
        """Mean allowed share per zone and local day (Z x D)."""
        return daily_mean(self.allowed, clock)


def day_starts(clock: Clock) -> np.ndarray:
    """Index of the first step of each local day (D; :attr:`Clock.day_starts`
    without its closing ``n_steps``, read-only)."""
    return clock.day_starts[:-1] if clock.n_steps else np.zeros(0, np.int64)


def daily_mean(a: np.ndarray, clock: Clock) -> np.ndarray:
    """Mean of ``a`` (... x T) over the steps of each local day (... x D)."""
    starts = day_starts(clock)
    sums = np.add.reduceat(a, starts, axis=-1)
    return sums / np.diff(np.r_[starts, clock.n_steps])
