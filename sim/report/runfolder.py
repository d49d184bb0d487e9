"""The run folder: written whole into a temporary folder, then renamed.

``DIR/<scenario name>/`` holds ``scenario.resolved.yaml``, ``summary.json``,
``replications.parquet``, ``timeseries.parquet``, ``events.parquet``,
``facilities.parquet`` and ``figures/`` (README, outputs). Each table is
converted to Arrow once and written as a single row group.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.ensemble import EnsembleResult
from sim.report.outfolder import Reservation, write_atomic
from sim.scenario.load import dump_scenario


def json_safe(obj: Any) -> Any:
    """JSON-safe: NaN and infinities become null, keys strings."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` without its index as ``DataFrame.to_parquet`` does, in one
    row group however long it is (pyarrow cuts at 1 Mi rows by default)."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="snappy", row_group_size=max(table.num_rows, 1))


def write_run(
    result: EnsembleResult, out: str | Path | Reservation, figures: bool = True, extra: dict | None = None
) -> Path:
    """Write the run folder ``out/<scenario name>`` (or the folder reserved before
    the run, :func:`~sim.report.outfolder.reserve`) and return its path."""
    if not isinstance(out, Reservation):
        out = Path(out)

    def fill(tmp: Path) -> None:
        (tmp / "scenario.resolved.yaml").write_text(dump_scenario(result.scenario), encoding="utf-8")
        summary = result.summary()
        if extra:
            summary.update(extra)
        (tmp / "summary.json").write_text(json.dumps(json_safe(summary), indent=2) + "\n", encoding="utf-8")
        write_parquet(result.replications, tmp / "replications.parquet")
        write_parquet(result.timeseries(), tmp / "timeseries.parquet")
        write_parquet(result.events, tmp / "events.parquet")
        write_parquet(result.facilities, tmp / "facilities.parquet")
        if figures:
            from sim.report.figures import RunData, write_figures

            write_figures(RunData.from_result(result), tmp / "figures")

    return write_atomic(out if isinstance(out, Reservation) else out / result.scenario.name, fill)
