"""The operator's orders as outcomes: when each replication first rationed and
first cut off its licensed miners, and how those dates spread over the ensemble.

Per replication the dates are days from the scenario's start (NaN: never), the
:data:`~sim.vocab.DATED` metrics; the ensemble's ``orders`` block of
``summary.json`` gives their median and 5-95 % range as dates ("never" past the
end), the share of replications in the target's window and the reported dates
beside them (sources E6, E4 in the flagship).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.model.clock import Clock
from sim.model.replication import Raw, Static
from sim.results.stats import wilson
from sim.scenario.schema import Scenario
from sim.vocab import DATED

HOURS_PER_DAY = 24.0
#: Quantiles of the first dates reported (5 %, median, 95 %).
QUANTILES = {"p05": 0.05, "median": 0.5, "p95": 0.95}
#: What each dated metric is called in the ``orders`` block, and its target key.
ORDER_NAMES = {"first_rationing_day": "first_rationing", "first_cutoff_day": "first_cutoff"}


def first_orders(static: Static, raw: Raw) -> dict[str, float]:
    """Days from the start to the replication's first rationing (any order
    limiting licensed miners) and first cut-off; NaN if never."""
    sig = raw.signals or static.scripted_signals()

    def days(h: float) -> float:
        return h / HOURS_PER_DAY if math.isfinite(h) else math.nan

    return {"first_rationing_day": days(sig.first_limit_h), "first_cutoff_day": days(sig.first_cutoff_h)}


def _date(sc: Scenario, day: float) -> str:
    """The local date ``day`` days from the start (``never`` if not finite)."""
    if not math.isfinite(day):
        return "never"
    return (pd.Timestamp(sc.start) + pd.Timedelta(days=day)).date().isoformat()


def orders_block(sc: Scenario, reps: pd.DataFrame) -> dict[str, Any]:
    """The ``orders`` block of ``summary.json``: per first order, its dates'
    median and 5-95 % range (a replication that never ordered counts as later
    than any date), the share that never did, the reported date if the target
    gives one; and the share of first rationings in the target's window with its
    Wilson interval."""
    clock = Clock(sc.start, sc.timezone, sc.step_h, sc.n_steps)
    t = sc.target
    out: dict[str, Any] = {}
    for key in DATED:
        if key not in reps:
            continue
        v = reps[key].to_numpy(dtype=float)
        v = np.where(np.isnan(v), math.inf, v)
        name = ORDER_NAMES[key]
        never = float(np.mean(np.isinf(v))) if v.size else math.nan
        block: dict[str, Any] = {"n": int(v.size), "never": never}
        for q, p in QUANTILES.items():
            day = float(np.quantile(v, p, method="inverted_cdf")) if v.size else math.nan
            block[q] = _date(sc, day)
            block[f"{q}_day"] = day if math.isfinite(day) else None
        reported = None if t is None else getattr(t, name)
        block["reported"] = None if reported is None else reported.date().isoformat()
        out[name] = block
    if t is not None and t.first_rationing_window is not None and "first_rationing_day" in reps:
        a, b = (clock.hours(d) / HOURS_PER_DAY for d in t.first_rationing_window)
        v = reps["first_rationing_day"].to_numpy(dtype=float)
        hits = float(np.sum((v >= math.floor(a)) & (v < math.floor(b) + 1.0)))
        lo, hi = wilson(hits, v.size)
        out["first_rationing_in_window"] = {
            "from": t.first_rationing_window[0].date().isoformat(),
            "to": t.first_rationing_window[1].date().isoformat(),
            "share": hits / v.size if v.size else math.nan,
            "ci95_low": lo,
            "ci95_high": hi,
        }
    return out
