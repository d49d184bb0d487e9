"""Every replication's time series in one Parquet file, written chunk by chunk.

Layout (wide, one row per replication and step): ``replication`` (int64),
``time`` (local, time-zone aware), then one float column per series, named as
the ``variable`` of ``timeseries.parquet`` with the zone after a dot for zone
series (``shed_mw.South``), alone for the national relief series
(``relief_mw``) and ``flow_mw.<link>`` / ``imports_mw.<outside link>`` for the
links. Rows are in replication order, then time; each chunk of replications is
one row group, appended as soon as it is merged, so memory holds one chunk at a
time whatever the number of replications. A long layout (replication, time,
zone, variable, value) would hold the same numbers in about 80 times as many
rows; :func:`column_name` maps a ``(zone, variable)`` pair of the time series to
its column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.model.replication import Static
from sim.results.metrics import LINK_SERIES, RELIEF_SERIES, ZONE_SERIES

#: Name of the file in a run folder.
FILE = "replication_timeseries.parquet"
#: Zone label of national series in ``timeseries.parquet``.
NATIONAL = "national"


def column_name(zone: str, variable: str) -> str:
    """The column of a ``(zone, variable)`` block of ``timeseries.parquet``."""
    return variable if zone == NATIONAL else f"{variable}.{zone}"


def columns(static: Static) -> list[tuple[str, str, int | None]]:
    """``(column, series, row or None)`` of every column after ``replication, time``,
    in the order of the blocks of ``timeseries.parquet``."""
    out: list[tuple[str, str, int | None]] = [
        (f"{name}.{zone}", name, z) for name in ZONE_SERIES for z, zone in enumerate(static.zones)
    ]
    out += [(name, name, None) for name in RELIEF_SERIES]
    links = [lk.name for lk in static.scenario.links]
    for name in LINK_SERIES:
        var = name.removeprefix("link_")
        names = links if var == "flow_mw" else static.outside.names
        out += [(f"{var}.{link}", name, j) for j, link in enumerate(names)]
    return out


class SeriesWriter:
    """Appends replications' series to :data:`FILE` (opened at the first chunk)."""

    def __init__(self, path: Path, static: Static) -> None:
        self.path, self.static = Path(path), static
        self.cols = columns(static)
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, first: int, series: Iterable[Mapping[str, np.ndarray]]) -> None:
        """Append the series of replications ``first, first + 1, ...`` (one row group)."""
        series = list(series)
        if not series:
            return
        idx = self.static.clock.index
        T, n = len(idx), len(series)
        data: dict[str, pa.Array] = {
            "replication": pa.array(np.repeat(np.arange(first, first + n, dtype=np.int64), T)),
            "time": pa.array(
                np.tile(idx.asi8, n), pa.timestamp(idx.unit, tz=str(idx.tz) if idx.tz else None)
            ),
        }
        for col, name, row in self.cols:
            parts = [np.broadcast_to(s[name] if row is None else s[name][row], (T,)) for s in series]
            data[col] = pa.array(np.concatenate(parts).astype(float, copy=False))
        table = pa.table(data)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="snappy")
        self._writer.write_table(table, row_group_size=table.num_rows)
        self.rows += n

    def close(self) -> None:
        """Finish the file (none if nothing was written)."""
        if self._writer is not None:
            self._writer.close()
        self._writer = None


def write_series(path: Path, static: Static, series: list[Mapping[str, np.ndarray]], chunk: int) -> None:
    """Write in-memory series (``keep_timeseries``) to ``path``, ``chunk`` replications per row group."""
    w = SeriesWriter(path, static)
    for a in range(0, len(series), chunk):
        w.write(a, series[a : a + chunk])
    w.close()
