"""The run folder: written whole into a temporary folder, then renamed.

``DIR/<scenario name>/`` holds ``scenario.resolved.yaml``, ``summary.json``,
``replications.parquet``, ``timeseries.parquet``, ``events.parquet``,
``facilities.parquet`` and ``figures/`` (README, "What a run writes").
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.experiments.ensemble import EnsembleResult
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


def write_atomic(dest: Path, fill: Callable[[Path], None]) -> Path:
    """Create folder ``dest`` by ``fill(tmp)`` on a temporary folder beside it, then
    rename. On any error nothing is left behind; an existing ``dest`` is replaced
    only once the new one is complete."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        fill(tmp)
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
            dest.rename(old / dest.name)
            tmp.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def write_run(result: EnsembleResult, out: Path, figures: bool = True, extra: dict | None = None) -> Path:
    """Write the run folder ``out/<scenario name>`` and return its path."""

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
            from sim.report import plots

            plots.write_figures(plots.RunData.from_result(result), tmp / "figures")

    return write_atomic(out / result.scenario.name, fill)
