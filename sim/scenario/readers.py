"""Data files a scenario names: demand time series and plant tables.

Pure readers: they know the data file and the scenario's spec of it, not the
scenario file. Their problems carry the data file and, where the problem lies in
a row, its line; a problem of the whole file has no line, and a problem with a key
of the spec (``exclude``, ``types``) has that key as a path. The loader
(:func:`sim.scenario.load.locate`) moves the last two to the scenario's lines.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

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
#: Cells read as missing: pandas' default ``na_values`` (the files were read with
#: pandas before; the standard library's csv reader keeps ``validate`` light).
NA_CELLS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
     "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip


class Table(NamedTuple):
    """A CSV file read as text: its header and its rows (blank lines skipped,
    short rows padded with empty cells)."""

    columns: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> list[str]:
        """The cells of column ``name``."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]


class Plant(NamedTuple):
    """One plant of a plant table, placed in its zone."""

    name: str
    type: str
    capacity_mw: float
    zone: str


def is_na(cell: str) -> bool:
    """Whether a cell is missing (empty or one of :data:`NA_CELLS`)."""
    return cell.strip() in NA_CELLS


def number(cell: str) -> float | int | None:
    """A cell as a number (an int if written as one), None if missing or not a number."""
    text = cell.strip()
    if text in NA_CELLS or "_" in text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def shown(cell: str) -> str:
    """A bad cell as a message shows it: the number it holds, or the text quoted."""
    if is_na(cell):
        return "nan"
    value = number(cell)
    return repr(cell) if value is None else repr(value)


def _read_csv(path: Path, what: str, compression: Compression | None, rows: int) -> Table:
    """The header and the first ``rows`` rows of a CSV file; a problem of the whole
    file (no line) if it cannot be read (see :func:`sim.scenario.files.data_stream`)."""
    try:
        with data_stream(path, what, compression) as text:
            reader = csv.reader(text)
            header = next((r for r in reader if r), None)
            if header is None:
                raise ScenarioError(Problem(f"cannot read the {what} {path}: no columns to parse", path))
            body: list[list[str]] = []
            for r in reader:
                if not r or (len(r) == 1 and not r[0].strip()):
                    continue
                if len(r) > len(header):
                    line = reader.line_num
                    raise ScenarioError(
                        Problem(
                            f"cannot read the {what} {path}: expected {len(header)} fields in line "
                            f"{line}, saw {len(r)}",
                            path,
                        )
                    )
                body.append(r + [""] * (len(header) - len(r)))
                if len(body) >= rows:
                    break
            return Table(header, body)
    except TooLarge:
        raise ScenarioError(
            Problem(f"{what} {path} holds more than {MAX_CSV_BYTES // 2**20} MB of data", path)
        ) from None
    except (csv.Error, UnicodeDecodeError) as exc:
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
    cells = df.column(spec.column)
    parsed = [number(c) for c in cells]
    values = np.array([math.nan if v is None else float(v) for v in parsed], dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        i = int(bad[0])
        got = "an empty cell" if is_na(cells[i]) else shown(cells[i])
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


def read_plant_table(table: PlantTable) -> list[Plant]:
    """Read a plant table; one :class:`Plant` (``name, type, capacity_mw, zone``) per plant.

    Raises :class:`ScenarioError` naming the file, the row's line and the column
    for a missing column, a bad capacity or a plant without a zone; with no line
    for a missing or unreadable file; and with the key of the table (``exclude``,
    ``types``, as a key path) instead of a line, for names in ``exclude`` or keys
    of ``types`` that match no plant (typos would otherwise pass silently).
    """
    file = str(table.csv)
    df = _read_csv(table.csv, "plant table", table.compression, MAX_PLANTS + 1)
    if len(df.rows) > MAX_PLANTS:
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
    names = [v.strip() if not is_na(v) else "nan" for v in df.column(table.name_column)]
    excluded = {e.strip() for e in table.exclude}
    problems = [
        Problem(f"'{e}' is not a plant of the table{did_you_mean(e, names)}", file, key=("exclude",))
        for e in dict.fromkeys(e.strip() for e in table.exclude)
        if e not in names
    ]
    if table.types:
        present = sorted({v.strip() for v in df.column(table.type_column) if not is_na(v)})
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
    for i, cells in enumerate(df.rows):
        rec = dict(zip(df.columns, cells, strict=True))
        line = i + FIRST_ROW_LINE
        name = names[i]
        if name in excluded:
            continue
        value = number(rec[table.capacity_column])
        cap = math.nan if value is None else float(value)
        if not math.isfinite(cap) or cap < 0 or cap > BIG:  # NaN, infinite, negative or absurd
            raise ScenarioError(
                Problem(
                    f"capacity of '{name}' must be a number >= 0 (at most {BIG:g}), "
                    f"got {shown(rec[table.capacity_column])}",
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
        ptype = _text(rec[table.type_column]) if table.type_column in df.columns else ""
        rows.append(Plant(name, ptype, cap, zone))
    return rows


def _text(cell: str) -> str:
    """A text cell, stripped (a missing one reads ``nan``, as pandas had it)."""
    return "nan" if is_na(cell) else cell.strip()


def _place(table: PlantTable, rec: dict[str, str], name: str) -> str | None:
    if table.zone_column:
        value = rec[table.zone_column]
        return None if is_na(value) else value.strip()
    for needle, zone in table.zone_by_name.items():
        if needle.lower() in name.lower():
            return zone
    if not table.zone_points:
        return None
    lat, lon = number(rec.get(table.lat_column, "")), number(rec.get(table.lon_column, ""))
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
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
