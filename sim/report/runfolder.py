"""The run folder: written whole into a temporary folder, then renamed.

``DIR/<scenario name>/`` holds ``scenario.resolved.yaml``, ``summary.json``,
``replications.parquet``, ``timeseries.parquet``, ``events.parquet``,
``facilities.parquet`` and ``figures/`` (README, outputs).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

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


def write_run(
    result: EnsembleResult, out: Path | Reservation, figures: bool = True, extra: dict | None = None
) -> Path:
    """Write the run folder ``out/<scenario name>`` (or the folder reserved before
    the run, :func:`~sim.report.outfolder.reserve`) and return its path."""

    def fill(tmp: Path) -> None:
        (tmp / "scenario.resolved.yaml").write_text(dump_scenario(result.scenario), encoding="utf-8")
        summary = result.summary()
        if extra:
            summary.update(extra)
        (tmp / "summary.json").write_text(json.dumps(json_safe(summary), indent=2) + "\n", encoding="utf-8")
        result.replications.to_parquet(tmp / "replications.parquet", index=False)
        result.timeseries().to_parquet(tmp / "timeseries.parquet", index=False)
        result.events.to_parquet(tmp / "events.parquet", index=False)
        result.facilities.to_parquet(tmp / "facilities.parquet", index=False)
        if figures:
            from sim.report.figures import RunData, write_figures

            write_figures(RunData.from_result(result), tmp / "figures")

    return write_atomic(out if isinstance(out, Reservation) else out / result.scenario.name, fill)
