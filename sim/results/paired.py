"""Paired differences between two sets of replications, and their summaries.

Two runs with the same seed and replications (common random numbers) see the
same population, outages and weather in replication ``i``: the difference of a
metric is estimated per replication, and the Student-t interval of those paired
differences is much tighter than the difference of two independent intervals.
With different seeds the pairs are independent and the interval is still valid,
only wider.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from sim.results.stats import Estimate, estimate, wilson


class Direction(StrEnum):
    """Where the 95 % interval of ``a - b`` lies against zero."""

    HIGHER = "higher"
    """The interval is above zero: ``a`` is higher than ``b``."""
    LOWER = "lower"
    """The interval is below zero: ``a`` is lower than ``b``."""
    UNCLEAR = "no clear difference"
    """The interval contains zero (or there is one pair only)."""


def direction(e: Estimate) -> Direction:
    """The :class:`Direction` of the estimate of a paired difference."""
    if e.n > 1 and e.ci95_low > 0:
        return Direction.HIGHER
    if e.n > 1 and e.ci95_high < 0:
        return Direction.LOWER
    return Direction.UNCLEAR


def paired_table(ra: pd.DataFrame, rb: pd.DataFrame, metrics: Sequence[str], crn: bool) -> pd.DataFrame:
    """``a - b`` replication by replication, for each metric.

    ``ra`` and ``rb`` are replication tables (one row per replication, a
    ``replication`` column, one column per metric in its own unit); pairs are
    matched on ``replication``. ``crn``: whether the runs share their seed.
    Returns one row per metric: ``metric, mean, ci95_low, ci95_high, std, n``
    (of the differences, Student t, in the metric's unit), ``mean_a, mean_b``,
    ``common_random_numbers`` and ``direction`` (:class:`Direction`).

    Raises :class:`ValueError` if the tables share no replication or lack a metric.
    """
    ra = ra.set_index("replication")
    rb = rb.set_index("replication")
    common = ra.index.intersection(rb.index)
    if common.empty:
        raise ValueError("the two runs share no replication index; run them with the same replications")
    missing = [m for m in metrics if m not in ra.columns or m not in rb.columns]
    if missing:
        known = sorted(set(ra.columns) & set(rb.columns))
        raise ValueError(f"unknown metric(s) {missing}; the runs have {known}")
    rows = []
    for m in metrics:
        xa = ra.loc[common, m].to_numpy(dtype=float)
        xb = rb.loc[common, m].to_numpy(dtype=float)
        e = estimate(xa - xb)
        rows.append(
            {
                "metric": m,
                "mean": e.mean,
                "ci95_low": e.ci95_low,
                "ci95_high": e.ci95_high,
                "std": e.std,
                "n": e.n,
                "mean_a": float(xa.mean()),
                "mean_b": float(xb.mean()),
                "common_random_numbers": crn,
                "direction": str(direction(e)),
            }
        )
    return pd.DataFrame(rows)


def baseline_summary(name: str, diff: pd.DataFrame) -> dict[str, Any]:
    """Paired differences (a :func:`paired_table`, this run minus the baseline
    ``name``) as stored in a run's ``summary.json`` under ``baseline``."""
    return {
        "scenario": name,
        "common_random_numbers": bool(diff["common_random_numbers"].all()),
        "difference": {
            r.metric: {
                "mean": r.mean,
                "ci95_low": r.ci95_low,
                "ci95_high": r.ci95_high,
                "this": r.mean_a,
                "baseline": r.mean_b,
                "direction": r.direction,
            }
            for r in diff.itertuples()
        },
    }


def share_at_least(values: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """Share of ``values`` at least ``threshold`` (same unit), with its Wilson
    95 % interval: ``(share, low, high)``, all NaN without values."""
    n = len(values)
    hits = float(np.sum(np.asarray(values, dtype=float) >= threshold))
    lo, hi = wilson(hits, n)
    return (hits / n if n else float("nan")), lo, hi
