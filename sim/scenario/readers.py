"""Data files a scenario names: demand time series and plant tables.

Pure readers: they know the data file and the scenario's spec of it, not the
scenario file. Their problems carry the data file and, where the problem lies in
a row, its line; a problem of the whole file has no line, and a problem with a key
of the spec (``exclude``, ``types``) has that key as a path. The loader
(:func:`sim.scenario.load.locate`) moves the last two to the scenario's lines.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.base import BIG
from sim.scenario.files import DECOMPRESS_ERRORS, MAX_CSV_BYTES, Compression, TooLarge, data_stream
from sim.scenario.schema import DemandCsv, PlantTable

#: Line of the header of a CSV file, and of its first data row.
HEADER_LINE = 1
FIRST_ROW_LINE = HEADER_LINE + 1
#: Most plants a plant table may list.
MAX_PLANTS = 100_000
#: Mean radius of the Earth, km (for great-circle distances).
EARTH_RADIUS_KM = 6371.0


def _read_csv(path: Path, what: str, compression: Compression | None, rows: int) -> pd.DataFrame:
    """The first ``rows`` rows of a CSV file as a frame; a problem of the whole file
    (no line) if it cannot be read (see :func:`sim.scenario.files.data_stream`)."""
    try:
        with data_stream(path, what, compression) as text:
            return pd.read_csv(text, nrows=rows)
    except TooLarge:
        raise ScenarioError(
            Problem(f"{what} {path} holds more than {MAX_CSV_BYTES // 2**20} MB of data", path)
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScenarioError(Problem(f"cannot read the {what} {path}: {exc}", path)) from None
    except DECOMPRESS_ERRORS as exc:
        raise ScenarioError(
            Problem(f"cannot read the {what} {path} as {compression} data ({type(exc).__name__})", path)
        ) from None


def read_demand_csv(spec: DemandCsv, n_steps: int) -> np.ndarray:
    """The CSV's demand column in MW, times ``scale``; exactly ``n_steps`` numbers >= 0.

    Raises :class:`ScenarioError` with the file and the line of the first bad row,
    or with no line for a problem of the whole file (missing, unreadable, wrong
    number of rows).
    """
    file = str(spec.csv)
    df = _read_csv(spec.csv, "demand CSV", spec.compression, n_steps + 1)
    if spec.column not in df.columns:
        raise ScenarioError(
            Problem(
                f"no column '{spec.column}'; the file has {list(df.columns)}", file, HEADER_LINE, spec.column
            )
        )
    values = pd.to_numeric(df[spec.column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        i = int(bad[0])
        cell = df[spec.column].iloc[i]
        got = "an empty cell" if pd.isna(cell) else repr(cell.item() if hasattr(cell, "item") else cell)
        raise ScenarioError(
            Problem(
                f"expected a number >= 0 in MW, got {got}",
                file,
                i + FIRST_ROW_LINE,
                spec.column,
            )
        )
    if values.size != n_steps:
        more = "more than " if values.size > n_steps else ""
        raise ScenarioError(
            Problem(
                f"has {more}{min(values.size, n_steps)} rows of demand; the scenario has {n_steps} steps",
                file,
                None,
                spec.column,
            )
        )
    return values * spec.scale


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def read_plant_table(table: PlantTable) -> pd.DataFrame:
    """Read a plant table; one row per plant with ``name, type, capacity_mw, zone``.

    Raises :class:`ScenarioError` naming the file, the row's line and the column
    for a missing column, a bad capacity or a plant without a zone; with no line
    for a missing or unreadable file; and with the key of the table (``exclude``,
    ``types``, as a key path) instead of a line, for names in ``exclude`` or keys
    of ``types`` that match no plant (typos would otherwise pass silently).
    """
    file = str(table.csv)
    df = _read_csv(table.csv, "plant table", table.compression, MAX_PLANTS + 1)
    if len(df) > MAX_PLANTS:
        raise ScenarioError(Problem(f"plant table lists more than {MAX_PLANTS:,} plants", file))
    needed = [table.name_column, table.capacity_column]
    if table.types:
        needed.append(table.type_column)
    if table.zone_column:
        needed.append(table.zone_column)
    elif table.zone_points:
        needed += [table.lat_column, table.lon_column]
    missing = [c for c in dict.fromkeys(needed) if c not in df.columns]
    if missing:
        raise ScenarioError(
            Problem(f"missing column(s) {missing}; the table has {list(df.columns)}", file, HEADER_LINE)
        )
    names = [str(v).strip() for v in df[table.name_column]]
    excluded = {e.strip() for e in table.exclude}
    problems = [
        Problem(f"'{e}' is not a plant of the table{did_you_mean(e, names)}", file, key=("exclude",))
        for e in dict.fromkeys(e.strip() for e in table.exclude)
        if e not in names
    ]
    if table.types:
        present = sorted({str(v).strip() for v in df[table.type_column] if v == v})
        problems += [
            Problem(
                f"type '{t}' matches no plant in column '{table.type_column}'"
                f"{did_you_mean(t, present, f'the types are {present}')}",
                file,
                key=("types",),
            )
            for t in table.types
            if t not in present
        ]
    if problems:
        raise ScenarioError(problems)
    rows = []
    for i, rec in df.iterrows():
        line = int(i) + FIRST_ROW_LINE
        name = str(rec[table.name_column]).strip()
        if name in excluded:
            continue
        cap = pd.to_numeric(rec[table.capacity_column], errors="coerce")
        if not math.isfinite(cap) or cap < 0 or cap > BIG:  # NaN, infinite, negative or absurd
            raise ScenarioError(
                Problem(
                    f"capacity of '{name}' must be a number >= 0 (at most {BIG:g}), "
                    f"got {rec[table.capacity_column]!r}",
                    file,
                    line,
                    table.capacity_column,
                )
            )
        if cap == 0:
            continue
        zone = _place(table, rec, name)
        if zone is None:
            raise ScenarioError(_unplaced(table, name, file, line))
        ptype = str(rec[table.type_column]).strip() if table.type_column in df.columns else ""
        rows.append({"name": name, "type": ptype, "capacity_mw": float(cap), "zone": zone})
    return pd.DataFrame(rows, columns=["name", "type", "capacity_mw", "zone"])


def _place(table: PlantTable, rec: pd.Series, name: str) -> str | None:
    if table.zone_column:
        value = rec[table.zone_column]
        return str(value).strip() if value == value else None
    for needle, zone in table.zone_by_name.items():
        if needle.lower() in name.lower():
            return zone
    if not table.zone_points:
        return None
    lat = pd.to_numeric(rec.get(table.lat_column), errors="coerce")
    lon = pd.to_numeric(rec.get(table.lon_column), errors="coerce")
    if not (lat == lat and lon == lon):
        return None
    best = min(
        (_distance_km(lat, lon, pl, pn), zone)
        for zone, points in table.zone_points.items()
        for pl, pn in points
    )
    return best[1]


def _unplaced(table: PlantTable, name: str, file: str, line: int) -> Problem:
    """Why plant ``name`` has no zone, and how to give it one."""
    if table.zone_column:
        return Problem(f"plant '{name}' has no zone", file, line, table.zone_column)
    if table.zone_points:
        return Problem(
            f"cannot place plant '{name}' in a zone: its coordinates are missing or not numbers, "
            "and no zone_by_name entry matches its name",
            file,
            line,
            f"{table.lat_column}/{table.lon_column}",
        )
    return Problem(
        f"cannot place plant '{name}' in a zone: no zone_by_name entry matches its name "
        "(or give the table zone_points or a zone_column)",
        file,
        line,
        table.name_column,
    )
