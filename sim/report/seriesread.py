"""Every replication's time series, read a column at a time, and per-step quantiles.

The series are in ``replication_timeseries.parquet``
(:mod:`sim.experiments.seriesfile`: written during the run with
``--keep-timeseries``, or by :func:`~sim.report.runfolder.write_run` from the
series an ensemble kept in memory). A :class:`ReplicationSeries` gives one
column as a ``(replications, steps)`` array, so memory holds one series of every
replication, never the whole ensemble.

Quantiles per step (:data:`QUANTILES`) are empirical quantiles over the
replications (numpy's default, linear interpolation). They need every
replication at each step, so they are computed only when the replications'
series are kept; a streaming approximation (a fixed-bin histogram per step and
series) would need bins x steps x series counters and bin edges known before the
run, and would still be an approximation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.errors import Problem, ScenarioError
from sim.experiments.seriesfile import column_name

#: Quantiles over replications added to the time series, and their column names.
QUANTILES = {"p05": 0.05, "p50": 0.5, "p95": 0.95}


class ReplicationSeries:
    """One column of every replication at a time, read from the file."""

    def __init__(self, steps: int, file: Path) -> None:
        self.steps, self.file = steps, Path(file)
        self._names: list[str] | None = None

    @property
    def names(self) -> list[str]:
        """Every column (``shed_mw.South``, ``relief_mw``, ``flow_mw.<link>`` ...)."""
        if self._names is None:
            try:
                schema = pq.read_schema(self.file)
            except Exception as exc:  # pyarrow raises many kinds (ArrowInvalid, OSError, ...)
                raise ScenarioError(
                    Problem(f"damaged replications' series: cannot read it ({type(exc).__name__})", self.file)
                ) from None
            self._names = [n for n in schema.names if n not in ("replication", "time")]
        return self._names

    def column(self, name: str) -> np.ndarray:
        """One column, ``(replications, steps)``."""
        try:
            values = pq.read_table(self.file, columns=[name]).column(0).to_numpy()
        except Exception as exc:  # pyarrow raises many kinds
            raise ScenarioError(
                Problem(f"damaged replications' series: cannot read {name} ({type(exc).__name__})", self.file)
            ) from None
        if values.size % self.steps:
            raise ScenarioError(
                Problem(
                    f"damaged replications' series: {values.size} rows, not a multiple of {self.steps} steps",
                    self.file,
                )
            )
        return values.reshape(-1, self.steps)


def with_quantiles(ts: pd.DataFrame, reps: ReplicationSeries) -> pd.DataFrame:
    """``ts`` (``timeseries.parquet``: blocks of steps per zone and variable) with
    :data:`QUANTILES` columns, one series of every replication at a time."""
    T = reps.steps
    out = {k: np.empty(len(ts)) for k in QUANTILES}
    zones, variables = ts["zone"].to_numpy()[::T], ts["variable"].to_numpy()[::T]
    for b, (zone, var) in enumerate(zip(zones, variables, strict=True)):
        q = np.quantile(reps.column(column_name(str(zone), str(var))), list(QUANTILES.values()), axis=0)
        for k, row in zip(QUANTILES, q, strict=True):
            out[k][b * T : (b + 1) * T] = row
    return ts.assign(**out)
