"""Plant tables: a CSV of power plants turned into fleets of generating units.

A general feature of the scenario format (``generation.plant_tables``): each
plant becomes one fleet of ``round(capacity / unit_size_mw)`` identical units
(at least one) with its type's reliability and seasonal keys, placed in a zone
by a zone column, by a name substring or by the nearest reference point (the
table is read by :func:`sim.scenario.readers.read_plant_table`). Where a
plant's units are known, ``plants`` gives their number or size (and, if it
differs from its type's, its availability).
"""

from __future__ import annotations

from collections.abc import Callable

from sim.errors import KeyPath, Problem, ScenarioError, did_you_mean
from sim.scenario.readers import read_plant_table
from sim.scenario.schema import Fleet, PlantTable, PlantType, PlantUnits, Scenario

#: Places the problems of the data file named at a key path (the loader's
#: :func:`sim.scenario.load.locate`, bound to the scenario's source).
Locate = Callable[[KeyPath, list[Problem]], list[Problem]]


def plant_fleets(table: PlantTable) -> list[Fleet]:
    """The fleets a plant table describes, in table order."""
    fleets = []
    used: dict[str, int] = {}
    for rec in read_plant_table(table):
        ptype: PlantType = table.types.get(rec.type, table.default_type)
        known = table.plants.get(rec.name, PlantUnits())
        size = known.unit_size_mw or ptype.unit_size_mw
        count = known.units or max(1, round(rec.capacity_mw / size))
        availability = ptype.availability if known.availability is None else known.availability
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
                capacity_mw=rec.capacity_mw * availability / count,
                count=count,
                mttf_h=ptype.mttf_h,
                mttr_h=ptype.mttr_h,
                forced_outage_rate=None if ptype.mttf_h is not None else ptype.forced_outage_rate,
                winter_derating=ptype.winter_derating,
                monthly_derating=ptype.monthly_derating,
                energy=ptype.energy,
                capacity_factor=ptype.capacity_factor,
            )
        )
    return fleets


def table_fleets(table: PlantTable, zones: list[str]) -> list[Fleet]:
    """The fleets of one plant table, checked against the scenario's ``zones``.

    Zones named by ``zone_points`` and ``zone_by_name`` that the scenario lacks are
    problems with the key path (inside the table) that names them, found before
    the table is read; plants whose zone column names no zone are problems of the
    table's ``zone_column``.
    """
    named = [(("zone_points", z), z) for z in table.zone_points]
    named += [(("zone_by_name", needle), z) for needle, z in table.zone_by_name.items()]
    unknown = [
        Problem(f"unknown zone '{z}'{did_you_mean(z, zones, f'the zones are {zones}')}", table.csv, key=where)
        for where, z in named
        if z not in zones
    ]
    if unknown:
        raise ScenarioError(unknown)
    fleets = plant_fleets(table)
    plants = {rec.name.strip() for rec in read_plant_table(table)} if table.plants else set()
    unmatched = [
        Problem(f"'{name}' is not a plant of the table{did_you_mean(name, sorted(plants))}", table.csv,
                key=("plants", name))
        for name in table.plants
        if name not in plants
    ]  # fmt: skip
    if unmatched:
        raise ScenarioError(unmatched)
    stray = [
        Problem(
            f"plant '{f.name}' is in zone '{f.zone}', not a zone of the scenario"
            f"{did_you_mean(f.zone, zones, f'the zones are {zones}')}",
            table.csv,
            key=("zone_column",),
        )
        for f in fleets
        if f.zone not in zones
    ]
    if stray:
        raise ScenarioError(stray)
    return fleets


def expand_plant_tables(sc: Scenario, locate: Locate | None = None) -> Scenario:
    """The scenario with its plant tables replaced by the fleets they describe.

    ``locate`` (given by the loader) places the problems of each table: those of
    the scenario's keys and of the table as a whole at their line in the scenario
    file; problems inside the table keep its file and line.
    """
    if not sc.generation.plant_tables:
        return sc
    fleets = list(sc.generation.units)
    for i, table in enumerate(sc.generation.plant_tables):
        try:
            fleets += table_fleets(table, list(sc.zones))
        except ScenarioError as exc:
            if locate is None:
                raise
            raise ScenarioError(locate(("generation", "plant_tables", i), exc.problems)) from None
    generation = sc.generation.model_copy(update={"units": tuple(fleets), "plant_tables": ()})
    return sc.model_copy(update={"generation": generation})
