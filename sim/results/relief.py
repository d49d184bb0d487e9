"""Relief three ways, and who left: the measures of one replication that compare
the model with the reported 600 MW (sources M17) and "a third of licensed miners
left" (M28, unverified).

- **accounting** (:func:`sim.results.metrics.relief`): the load of the facilities
  closed or gone by the target date plus the licensed load held back by lasting
  limits, at that time;
- **before and after** (:func:`before_after`): the fall in mining consumption
  between the reference day (default: the day the campaign starts) and the
  target day, whatever caused it: closures and exits, but also orders starting
  or ending. This is how a government reading its meters measures it, and how
  M17 reports it ("consumption down by 600 MW a day since the inspections
  started");
- **counterfactual**: mining consumption on the target day without the
  crackdown minus with it, paired replication by replication (common random
  numbers). It needs a second ensemble, so only ``gridshed run --counterfactual``
  computes it (:func:`counterfactual`), from the paired differences of
  ``mining_at_target_mw``.

Mining consumption is the grey load on the grid plus the licensed load drawn
(allowed by orders, less curtailment for shortage), national, in MW, as a mean
over a local day.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.dispatch.runs import Steps, align
from sim.model.balance import RunBalance
from sim.model.clock import Clock
from sim.model.replication import Raw, Static
from sim.scenario.schema import Target
from sim.vocab import FacilityState


def mining_consumption(bal: RunBalance) -> Steps:
    """National mining consumption: grey load plus licensed load drawn (MW)."""
    starts, (grey, allowed, curtailed) = align(bal.grey, bal.allowed, bal.curtailed)
    return Steps(starts, grey + np.maximum(allowed - curtailed, 0.0), bal.grey.n).zone_sum()


def day_mean(series: Steps | np.ndarray, clock: Clock, t_h: float) -> float:
    """Mean of ``series`` (T, or constant on runs of steps) over the local day
    that contains hour ``t_h``; nan outside the run."""
    if not 0.0 <= t_h < clock.horizon_h:
        return math.nan
    a, b = clock.day_steps(min(int(clock.step_of(t_h)), clock.n_steps - 1))
    return float((series[a:b] if isinstance(series, np.ndarray) else series.window(a, b)).mean())


def reference_h(static: Static, raw: Raw) -> float:
    """Hour of the reference of the before-and-after relief: the target's
    ``reference``, else the campaign's start in this replication."""
    t = static.scenario.target
    if t is not None and t.reference is not None:
        return static.clock.hours(t.reference)
    return raw.campaign_start_h


def before_after(
    static: Static, raw: Raw, consumption: Steps | np.ndarray, t_target: float
) -> tuple[float, float]:
    """Mining consumption on the target day (MW) and its fall since the reference
    day (MW; negative if it rose; 0 when the reference is the campaign's start and
    the campaign has not started by the target day, or never starts)."""
    clock = static.clock
    at_target = day_mean(consumption, clock, t_target)
    ref = reference_h(static, raw)
    t = static.scenario.target
    if (t is None or t.reference is None) and not ref < t_target:
        return at_target, 0.0  # the campaign had not started by the target day: nothing measured since
    return at_target, day_mean(consumption, clock, ref) - at_target


def licensed_left(raw: Raw, t_target: float) -> tuple[float, float]:
    """Share of the licensed facilities connected by ``t_target`` that left the
    country by then (moved abroad or exited), by count and by load; nan if none."""
    t, ev = raw.facilities, raw.events
    was = t.licensed & (t.connect_h <= t_target)
    gone = np.isin(ev["event"], (FacilityState.MOVED_ABROAD, FacilityState.EXITED)) & (ev["t_h"] <= t_target)
    left = np.zeros(t.n, dtype=bool)
    left[ev["entity"][gone]] = True
    left &= was
    n, load = was.sum(), t.load_mw[was].sum()
    share = float(left.sum() / n) if n else math.nan
    share_mw = float(t.load_mw[left].sum() / load) if load > 0 else math.nan
    return share, share_mw


def counterfactual(diff: pd.DataFrame) -> dict[str, Any] | None:
    """Counterfactual relief from paired differences this run minus the run
    without the crackdown (:func:`sim.results.paired.paired_table`): the mining
    consumption the crackdown took off on the target day, with its interval."""
    row = diff[diff["metric"] == "mining_at_target_mw"]
    if row.empty:
        return None
    r = row.iloc[0]
    return {
        "mean": -float(r["mean"]),
        "ci95_low": -float(r["ci95_high"]),
        "ci95_high": -float(r["ci95_low"]),
        "std": float(r["std"]),
        "n": int(r["n"]),
    }


def summary_blocks(target: Target, est: Callable[[str], dict[str, float]]) -> dict[str, Any]:
    """The ``relief`` and ``licensed_left`` blocks of a run's ``summary.json``:
    which definition the verdict uses, the relief by each definition (``est``:
    a metric's estimate as a dict) and the share of licensed miners gone beside
    the reported share, if any. ``counterfactual`` is filled in by
    ``gridshed run --counterfactual`` (else null)."""
    return {
        "relief": {
            "definition": target.definition,
            "by": target.by.isoformat(),
            "reference": target.reference.isoformat() if target.reference else "campaign start",
            "before_after": est("relief_before_after_mw"),
            "accounting": est("relief_accounting_mw"),
            "counterfactual": None,
        },
        "licensed_left": {
            "by": target.by.isoformat(),
            "share": est("licensed_left_share"),
            "share_mw": est("licensed_left_share_mw"),
            "reported_share": target.licensed_left_share,
        },
    }
