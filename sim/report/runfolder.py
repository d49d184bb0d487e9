"""The run folder: written whole into a temporary folder, then renamed.

``DIR/<scenario name>/`` holds ``scenario.resolved.yaml``, ``summary.json``,
``manifest.json``, ``replications.parquet`` (wide), ``replications_long.parquet``,
``timeseries.parquet``, ``events.parquet``, ``facilities.parquet``, with
``--keep-timeseries`` ``replication_timeseries.parquet``, with ``--csv`` CSV
copies, and ``figures/`` (README, "What a run writes"). Each table is converted
to Arrow once and written as a single row group (the replications' series: one
row group per chunk of replications).
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.ensemble import CHUNK, EnsembleResult
from sim.experiments.seriesfile import FILE as SERIES_FILE
from sim.experiments.seriesfile import write_series
from sim.report.manifest import FILE as MANIFEST
from sim.report.manifest import manifest
from sim.report.outfolder import Reservation, write_atomic
from sim.report.seriesread import ReplicationSeries, with_quantiles
from sim.report.tidy import long_replications, without_negative_zeros
from sim.scenario.load import dump_scenario

if TYPE_CHECKING:
    from sim.report.figures import Drawing
    from sim.report.painter import Painter


def json_safe(obj: Any) -> Any:
    """JSON-safe: NaN and infinities become null, keys strings."""
    if isinstance(obj, float):
        return obj + 0.0 if math.isfinite(obj) else None  # -0.0 written as 0.0
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


def write_json(path: Path, data: Any) -> None:
    """JSON with NaN as null, indented, newline-terminated."""
    path.write_text(json.dumps(json_safe(data), indent=2) + "\n", encoding="utf-8")


def _series(result: EnsembleResult, tmp: Path) -> ReplicationSeries | None:
    """Every replication's series in ``tmp`` (written there during the run, copied,
    or written from memory), or None if the ensemble kept none."""
    path = tmp / SERIES_FILE
    if result.series_file is not None and Path(result.series_file).is_file():
        if Path(result.series_file).resolve() != path.resolve():
            shutil.copyfile(result.series_file, path)
    elif result.series:
        write_series(path, result.static, result.series, CHUNK)
    else:
        return None
    return ReplicationSeries(result.static.clock.n_steps, file=path)


def write_csv(
    tmp: Path, result: EnsembleResult, replications: pd.DataFrame, long: pd.DataFrame, ts: pd.DataFrame
) -> None:
    """The CSV files of ``--csv``: ``summary.csv`` (one row, the layout of
    ``comparison.csv``), ``replications.csv``, ``replications_long.csv`` and
    ``timeseries.csv`` (the Parquet tables' columns; times in ISO 8601 with their offset)."""
    from sim.experiments.compare import summary_row

    row = summary_row(result)
    row = {"scenario": row.pop("scenario"), "role": "scenario", **row}
    pd.DataFrame([row]).to_csv(tmp / "summary.csv", index=False)
    replications.to_csv(tmp / "replications.csv", index=False)
    long.to_csv(tmp / "replications_long.csv", index=False)
    iso_times(ts).to_csv(tmp / "timeseries.csv", index=False)


def iso_times(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its time-zone-aware columns as ISO 8601 text with the offset
    (``2022-01-01T00:00:00+06:00``), each distinct time formatted once."""
    out = df.copy(deep=False)
    for c in df.columns:
        if isinstance(df[c].dtype, pd.DatetimeTZDtype):
            codes, uniq = pd.factorize(df[c])
            out[c] = np.array([t.isoformat() for t in uniq], dtype=object)[codes]
    return out


def _start_figures(
    result: EnsembleResult,
    summary: dict[str, Any],
    ts: pd.DataFrame,
    series: ReplicationSeries | None,
    tmp: Path,
    painter: Painter | None,
) -> Drawing | Painter:
    """Start drawing the run's figures into ``tmp/figures``: by ``painter`` if
    given, else in processes forked from this one (the replications' series, if
    kept, are read from their file a series at a time)."""
    from sim.report.rundata import RunData

    file = series.file if series is not None else None
    sc, reps = result.scenario, result.replications
    run = RunData(sc, summary, ts, reps, result.events, result.facilities, series_file=file)
    if painter is not None:
        painter.submit(run, tmp / "figures")
        return painter
    from sim.report.figures import start_figures

    return start_figures(run, tmp / "figures")


def write_run(
    result: EnsembleResult,
    out: str | Path | Reservation,
    figures: bool = True,
    extra: dict | None = None,
    csv: bool = False,
    sources: Sequence[str | Path] = (),
    overrides: Sequence[str] = (),
    painter: Painter | None = None,
) -> Path:
    """Write the run folder ``out/<scenario name>`` (or the folder reserved before
    the run, :func:`~sim.report.outfolder.reserve`) and return its path.

    ``csv``: CSV copies of the tables (:func:`write_csv`). ``sources``,
    ``overrides``: the scenario file and ``--set`` values, for the manifest (the
    command line passes them through click's context). ``painter``: a
    :class:`~sim.report.painter.Painter` started before the run draws the
    figures (else processes forked from this one); either way they are drawn
    while the tables are written.
    """
    if not isinstance(out, Reservation):
        out = Path(out)
    started = out.started if isinstance(out, Reservation) else None

    def fill(tmp: Path) -> None:
        (tmp / "scenario.resolved.yaml").write_text(dump_scenario(result.scenario), encoding="utf-8")
        summary = result.summary()
        series = _series(result, tmp)
        ts = result.timeseries() if series is None else with_quantiles(result.timeseries(), series)
        # The figures are drawn (in other processes) while the tables are written.
        drawing = _start_figures(result, summary, ts, series, tmp, painter) if figures else None
        try:
            write_json(tmp / "summary.json", {**summary, **(extra or {}), "manifest": MANIFEST})
            reps = without_negative_zeros(result.replications)
            long = long_replications(reps)
            write_parquet(reps, tmp / "replications.parquet")
            write_parquet(long, tmp / "replications_long.parquet")
            write_parquet(ts, tmp / "timeseries.parquet")
            write_parquet(result.events, tmp / "events.parquet")
            write_parquet(result.facilities, tmp / "facilities.parquet")
            if csv:
                write_csv(tmp, result, reps, long, ts)
            info = manifest([result.scenario], result.info, started, sources, overrides)
            write_json(tmp / MANIFEST, info)
            if drawing is not None:
                drawing.wait()
        except BaseException:
            if drawing is not None:
                drawing.cancel()
            raise

    return write_atomic(out if isinstance(out, Reservation) else out / result.scenario.name, fill)
