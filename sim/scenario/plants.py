"""Plant tables: a CSV of power plants turned into fleets of generating units.

A general feature of the scenario format (``generation.plant_tables``): each
plant becomes one fleet of ``round(capacity / unit_size_mw)`` identical units
(at least one) with its type's reliability, placed in a zone by a zone column,
by a name substring or by the nearest reference point.
"""

from __future__ import annotations

import difflib
import math
from typing import TYPE_CHECKING

import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.scenario.schema import Fleet, PlantTable, PlantType, Scenario

if TYPE_CHECKING:
    from sim.scenario.load import Source


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def read_plant_table(table: PlantTable) -> pd.DataFrame:
    """Read a plant table; one row per plant with ``name, type, capacity_mw, zone``.

    Raises :class:`ScenarioError` naming the file, the row's line and the column
    for a missing file or column, a bad capacity or a plant without a zone; and,
    with the key of the table (``exclude``, ``types``) instead of a line, for
    names in ``exclude`` or keys of ``types`` that match no plant (typos would
    otherwise pass silently).
    """
    file = str(table.csv)
    try:
        df = pd.read_csv(table.csv)
    except FileNotFoundError:
        raise ScenarioError(Problem(f"plant table not found: {file}", file)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScenarioError(Problem(f"cannot read the plant table {file}: {exc}", file)) from None
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
            Problem(f"missing column(s) {missing}; the table has {list(df.columns)}", file, 1)
        )
    names = [str(v).strip() for v in df[table.name_column]]
    excluded = {e.strip() for e in table.exclude}
    problems = [
        Problem(f"'{e}' is not a plant of the table{_hint(e, names)}", file, key="exclude")
        for e in dict.fromkeys(e.strip() for e in table.exclude)
        if e not in names
    ]
    if table.types:
        present = sorted({str(v).strip() for v in df[table.type_column] if v == v})
        problems += [
            Problem(
                f"type '{t}' matches no plant in column '{table.type_column}'"
                f"{_hint(t, present, 'the types are')}",
                file,
                key="types",
            )
            for t in table.types
            if t not in present
        ]
    if problems:
        raise ScenarioError(problems)
    rows = []
    for i, rec in df.iterrows():
        line = int(i) + 2  # header is line 1
        name = str(rec[table.name_column]).strip()
        if name in excluded:
            continue
        cap = pd.to_numeric(rec[table.capacity_column], errors="coerce")
        if not math.isfinite(cap) or cap < 0:  # NaN, infinite or negative
            raise ScenarioError(
                Problem(
                    f"capacity of '{name}' must be a number >= 0, got {rec[table.capacity_column]!r}",
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


def _hint(name: str, valid: list[str], listing: str = "") -> str:
    """``; did you mean 'X'?`` for a near miss, else ``; <listing> [valid...]`` if asked."""
    close = difflib.get_close_matches(name, valid, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; {listing} {valid}" if listing else ""


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


def plant_fleets(table: PlantTable) -> list[Fleet]:
    """The fleets a plant table describes, in table order."""
    fleets = []
    used: dict[str, int] = {}
    for rec in read_plant_table(table).itertuples():
        ptype: PlantType = table.types.get(rec.type, table.default_type)
        count = max(1, round(rec.capacity_mw / ptype.unit_size_mw))
        name = rec.name
        if name in used:  # two plants with the same name: keep both, distinctly
            used[name] += 1
            name = f"{name} ({used[name]})"
        else:
            used[name] = 1
        fleets.append(
            Fleet(
                name=name,
                zone=rec.zone,
                capacity_mw=rec.capacity_mw * ptype.availability / count,
                count=count,
                mttf_h=ptype.mttf_h,
                mttr_h=ptype.mttr_h,
                forced_outage_rate=None if ptype.mttf_h is not None else ptype.forced_outage_rate,
                winter_derating=ptype.winter_derating,
            )
        )
    return fleets


def _format(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _zone_problems(table: PlantTable, zones: list[str]) -> list[tuple[tuple, Problem]]:
    """Zones named by ``zone_points`` and ``zone_by_name`` that the scenario lacks,
    each with the key path (inside the table) where it is named."""
    named = [(("zone_points", z), z) for z in table.zone_points]
    named += [(("zone_by_name", needle), z) for needle, z in table.zone_by_name.items()]
    return [
        (
            where,
            Problem(f"unknown zone '{z}'{_hint(z, zones, 'the zones are')}", table.csv, key=_format(where)),
        )
        for where, z in named
        if z not in zones
    ]


def expand_plant_tables(sc: Scenario, src: Source | None = None) -> Scenario:
    """The scenario with its plant tables replaced by the fleets they describe.

    Problems that lie in the scenario file (unknown zones, ``exclude`` and
    ``types`` entries that match nothing, a missing or unreadable table) are
    located at the key of the table when ``src`` is given; problems inside the
    table keep its file and line.
    """
    if not sc.generation.plant_tables:
        return sc
    fleets = list(sc.generation.units)
    zones = list(sc.zones)
    for i, table in enumerate(sc.generation.plant_tables):
        here = ("generation", "plant_tables", i)
        located = _zone_problems(table, zones)
        try:
            if located:
                raise ScenarioError([prob for _, prob in located])
            new = plant_fleets(table)
            stray = [
                Problem(
                    f"plant '{f.name}' is in zone '{f.zone}', not a zone of the scenario"
                    f"{_hint(f.zone, zones, 'the zones are')}",
                    table.csv,
                    key="zone_column",
                )
                for f in new
                if f.zone not in sc.zones
            ]
            if stray:
                raise ScenarioError(stray)
            fleets += new
        except ScenarioError as exc:
            if src is None:
                raise
            paths = {id(prob): where for where, prob in located}
            for prob in exc.problems:
                if prob.line is None:
                    # A problem of the scenario's keys, or of the table file as a
                    # whole: point at the key in the scenario file.
                    path = (*here, *paths.get(id(prob), (prob.key or "csv",)))
                    prob.file, prob.line = src.where(path)
                    prob.key = _format(path)
            raise ScenarioError(exc.problems) from None
    generation = sc.generation.model_copy(update={"units": tuple(fleets), "plant_tables": ()})
    return sc.model_copy(update={"generation": generation})
