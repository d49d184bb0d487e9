"""Plant tables: a CSV of power plants turned into fleets of generating units.

A general feature of the scenario format (``generation.plant_tables``): each
plant becomes one fleet of ``round(capacity / unit_size_mw)`` identical units
(at least one) with its type's reliability, placed in a zone by a zone column,
by a name substring or by the nearest reference point.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.schema import Fleet, PlantTable, PlantType, Scenario

if TYPE_CHECKING:
    from sim.loader import Source


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def read_plant_table(table: PlantTable) -> pd.DataFrame:
    """Read a plant table; one row per plant with ``name, type, capacity_mw, zone``.

    Raises :class:`ScenarioError` naming the file, the row's line and the column
    for a missing file or column, a bad capacity or a plant without a zone.
    """
    file = str(table.csv)
    try:
        df = pd.read_csv(table.csv)
    except FileNotFoundError:
        raise ScenarioError(Problem("plant table not found", file)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScenarioError(Problem(f"cannot read the plant table: {exc}", file)) from None
    needed = [table.name_column, table.capacity_column]
    if table.zone_column:
        needed.append(table.zone_column)
    elif table.zone_points:
        needed += [table.lat_column, table.lon_column]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ScenarioError(
            Problem(f"missing column(s) {missing}; the table has {list(df.columns)}", file, 1)
        )
    rows = []
    excluded = {e.strip() for e in table.exclude}
    for i, rec in df.iterrows():
        line = int(i) + 2  # header is line 1
        name = str(rec[table.name_column]).strip()
        if name in excluded:
            continue
        cap = pd.to_numeric(rec[table.capacity_column], errors="coerce")
        if not (cap == cap) or cap < 0:  # NaN or negative
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
            raise ScenarioError(
                Problem(f"cannot place plant '{name}' in a zone", file, line, table.lat_column)
            )
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


def expand_plant_tables(sc: Scenario, src: Source | None = None) -> Scenario:
    """The scenario with its plant tables replaced by the fleets they describe."""
    if not sc.generation.plant_tables:
        return sc
    fleets = list(sc.generation.units)
    for i, table in enumerate(sc.generation.plant_tables):
        try:
            fleets += plant_fleets(table)
        except ScenarioError as exc:
            if src is not None:
                for prob in exc.problems:
                    if prob.line is None:
                        f, ln = src.where(("generation", "plant_tables", i, "csv"))
                        prob.file, prob.line, prob.key = f, ln, f"generation.plant_tables[{i}].csv"
                raise ScenarioError(exc.problems) from None
            raise
    generation = sc.generation.model_copy(update={"units": tuple(fleets), "plant_tables": ()})
    return sc.model_copy(update={"generation": generation})
