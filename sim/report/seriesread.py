"""Every replication's time series, read a column at a time, and per-step quantiles.

The series are in memory (an ensemble run with ``keep_timeseries=True``) or in
``replication_timeseries.parquet`` (:mod:`sim.experiments.seriesfile`, written
with ``--keep-timeseries``). Either way a :class:`ReplicationSeries` gives one
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

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.errors import Problem, ScenarioError
from sim.experiments.seriesfile import column_name, columns
from sim.model.replication import Static

#: Quantiles over replications added to the time series, and their column names.
QUANTILES = {"p05": 0.05, "p50": 0.5, "p95": 0.95}


class ReplicationSeries:
    """One column of every replication at a time, from memory or from the file."""

    def __init__(
        self,
        steps: int,
        file: Path | None = None,
        memory: Sequence[Mapping[str, np.ndarray]] = (),
        static: Static | None = None,
    ) -> None:
        self.steps, self.file, self.memory = steps, file, memory
        self._where = {c: (name, row) for c, name, row in columns(static)} if static is not None else {}
        self._names: list[str] | None = None

    @property
    def names(self) -> list[str]:
        """Every column (``shed_mw.South``, ``relief_mw``, ``flow_mw.<link>`` ...)."""
        if self._names is None:
            if self.file is not None:
                self._names = [n for n in pq.read_schema(self.file).names if n not in ("replication", "time")]
            else:
                self._names = list(self._where)
        return self._names

    def column(self, name: str) -> np.ndarray:
        """One column, ``(replications, steps)``."""
        if self.file is None:
            series, row = self._where[name]
            return np.stack(
                [
                    np.broadcast_to(s[series] if row is None else s[series][row], (self.steps,))
                    for s in self.memory
                ]
            )
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
