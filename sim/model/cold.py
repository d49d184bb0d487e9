"""Failure rates that rise with the cold: ``generation.cold_outage_per_c``.

Every unit's failure rate is multiplied at each step by ``1 + k x cold`` where
``cold`` is how far the day is below normal (minus the temperature anomaly plus
cold snaps, 0 on warm days) and ``k`` the scenario's ``cold_outage_per_c``. The
outages are drawn as before (:func:`sim.model.outages.sample_outages`), in
each zone's operating time ``tau(t)``, now the integral of the outage-rate
shocks' factor times this one: exact, and one replication's table per weather.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.model.clock import Clock
from sim.model.generation import UnitTable


def cold_factor(anomaly_c: np.ndarray, per_c: float) -> np.ndarray:
    """The failure-rate multiplier at each step from the temperature change (C)."""
    return 1.0 + per_c * np.maximum(-anomaly_c, 0.0)


def with_cold(units: UnitTable, clock: Clock, anomaly_c: np.ndarray, per_c: float) -> UnitTable:
    """The unit table whose operating time also runs faster in the cold
    (``anomaly_c``: temperature change per step, C)."""
    if per_c == 0 or clock.n_steps == 0:
        return units
    factor = cold_factor(anomaly_c, per_c)
    # Breakpoints where the factor or the shocks' warp changes (days, mostly).
    steps = np.flatnonzero(np.diff(factor, prepend=np.nan) != 0)
    edges = np.union1d(steps * clock.step_h, units.warp_t[units.warp_t < clock.horizon_h])
    edges = np.append(edges, clock.horizon_h)
    tau = np.vstack([np.interp(edges, units.warp_t, row) for row in units.warp_tau])
    rate = np.diff(tau, axis=1) * factor[clock.step_of(edges[:-1])][None, :]
    warped = np.concatenate([np.zeros((tau.shape[0], 1)), np.cumsum(rate, axis=1)], axis=1)
    if (warped == warped[0]).all():
        # No shock singles a zone out: one clock for all (the table serves only
        # to draw the outages, which read the zones for the warp alone).
        return replace(units, zone=np.zeros_like(units.zone), warp_t=edges, warp_tau=warped[:1])
    return replace(units, warp_t=edges, warp_tau=warped)
