"""Plant tables: reading, placing plants in zones, splitting them into units, errors.

The flagship scenario's table is checked against an independent computation
(pandas and a haversine written here), so a change to the loader or to the
scenario's zone points that moves a plant shows up as a failing total.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import ScenarioError
from sim.scenario.load import load_scenario
from sim.scenario.plants import expand_plant_tables, plant_fleets
from sim.scenario.readers import read_plant_table
from sim.scenario.schema import PlantTable, PlantType, Scenario
from sim.scenario.source import load_source

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
CSV = ROOT / "scenarios" / "data" / "kz_powerplants.csv"


@pytest.fixture(scope="module")
def flagship_table() -> PlantTable:
    """The flagship's plant table as written (before expansion into fleets)."""
    sc = Scenario.model_validate(load_source(FLAGSHIP).data)
    (table,) = sc.generation.plant_tables
    return table


def plants_frame(table: PlantTable) -> pd.DataFrame:
    """The plants read from ``table``, as a frame."""
    return pd.DataFrame(read_plant_table(table), columns=["name", "type", "capacity_mw", "zone"])


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance on a sphere of radius 6371 km (vectorised)."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def independent_zones(table: PlantTable) -> pd.DataFrame:
    """Kept plants and their zones, computed without sim.scenario.plants."""
    df = pd.read_csv(CSV)
    df["name"] = df["Name"].str.strip()
    df = df[~df["name"].isin(table.exclude) & (df["Capacity"] > 0)].copy()
    zones = [z for z, pts in table.zone_points.items() for _ in pts]
    pts = np.array([p for ps in table.zone_points.values() for p in ps])
    dist = haversine_km(
        df["lat"].to_numpy()[:, None], df["lon"].to_numpy()[:, None], pts[None, :, 0], pts[None, :, 1]
    )
    df["zone"] = np.asarray(zones)[dist.argmin(axis=1)]
    return df


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


SMALL = """
Name,Fueltype,Capacity,lat,lon
Alpha GRES ,Hard Coal,1000,52.0,76.0
Beta CHP,Hard Coal,350,43.2,76.9
Gamma HPP,Hydro,90,43.3,77.0
Delta SPP,Solar,0,43.3,77.0
"""
POINTS = {"North": ((52.0, 76.0),), "South": ((43.2, 76.9),)}


# ----------------------------------------------------------------- flagship table


def test_flagship_zone_totals_match_an_independent_computation(flagship_table):
    ours = plants_frame(flagship_table).groupby("zone")["capacity_mw"].sum()
    theirs = independent_zones(flagship_table).groupby("zone")["Capacity"].sum()
    assert sorted(ours.index) == ["North", "South", "West"]
    for zone in ours.index:
        assert ours[zone] == pytest.approx(theirs[zone], abs=1e-9)


def test_flagship_plants_land_in_the_same_zones(flagship_table):
    ours = plants_frame(flagship_table).set_index("name")["zone"]
    theirs = independent_zones(flagship_table).set_index("name")["zone"]
    assert ours.sort_index().to_dict() == theirs.sort_index().to_dict()


@pytest.mark.parametrize(
    ("plant", "zone"),
    [
        ("Ekibastuz TTP 1", "North"),
        ("Aksuskaya", "North"),
        ("Aktobe CHP", "North"),  # Aktobe is mapped to the North (sources note 9)
        ("Zhezkazgan CHP", "North"),  # Karaganda oblast, far from its centre
        ("Kazakhmys Corporation Balkhash CHP", "North"),
        ("Bukhtarminskaya HPS", "North"),
        ("Almaty CHP 2", "South"),
        ("GTPS Kumkol", "South"),  # Kyzylorda oblast
        ("Shardarinskaya HPS", "South"),
        ("Atyrau CHP", "West"),
        ("Kazatomprom MAEC TPP 3 -1", "West"),
        ("Karachaganak GES", "West"),
    ],
)
def test_flagship_places_known_plants_in_their_zones(flagship_table, plant, zone):
    placed = plants_frame(flagship_table).set_index("name")["zone"]
    assert placed[plant] == zone


def test_flagship_leaves_out_excluded_plants(flagship_table):
    names = set(plants_frame(flagship_table)["name"])
    raw = set(pd.read_csv(CSV)["Name"].str.strip())
    assert set(flagship_table.exclude) <= raw
    assert not names & set(flagship_table.exclude)
    assert len(names) == len(raw) - len(flagship_table.exclude)


def test_flagship_units_follow_the_type_sizes(flagship_table):
    """Each plant in units of its type's size, or in its known units (F6)."""
    plants = plants_frame(flagship_table)
    fleets = plant_fleets(flagship_table)
    assert len(fleets) == len(plants)
    assert flagship_table.plants["Ekibastuz TTP 1"].units == 7
    for fleet, plant in zip(fleets, plants.itertuples(), strict=True):
        ptype = flagship_table.types[plant.type]
        known = flagship_table.plants.get(plant.name)
        size = known.unit_size_mw if known and known.unit_size_mw else ptype.unit_size_mw
        count = known.units if known and known.units else max(1, round(plant.capacity_mw / size))
        assert fleet.count == count
        assert fleet.capacity_mw * fleet.count == pytest.approx(plant.capacity_mw * ptype.availability)
        assert fleet.zone == plant.zone
        assert fleet.winter_derating == ptype.winter_derating
        assert fleet.monthly_derating == ptype.monthly_derating
        assert fleet.energy == ptype.energy and fleet.capacity_factor == ptype.capacity_factor
        assert fleet.mttf == pytest.approx(
            ptype.mttr_h * (1 - ptype.forced_outage_rate) / ptype.forced_outage_rate
        )


def test_flagship_scenario_stays_small_and_keeps_its_hand_made_fleet():
    sc = load_scenario(FLAGSHIP)
    assert sc.generation.plant_tables == ()
    assert sum(f.count for f in sc.generation.units) <= 600
    names = [f.name for f in sc.generation.units]
    assert names[0] == "Zhambyl GRES (fuel-limited)"
    assert "Zhambyl GES-1" not in names


# ------------------------------------------------------------------ small tables


def test_units_are_the_rounded_ratio_of_capacity_to_unit_size_at_least_one(tmp_path):
    table = PlantTable(
        csv=write_csv(tmp_path / "p.csv", SMALL),
        zone_points=POINTS,
        types={
            "Hard Coal": PlantType(unit_size_mw=200, availability=0.9),
            "Hydro": PlantType(unit_size_mw=200),
        },
    )
    fleets = {f.name: f for f in plant_fleets(table)}
    assert fleets["Alpha GRES"].count == 5  # 1000 / 200
    assert fleets["Beta CHP"].count == 2  # 350 / 200 = 1.75
    assert fleets["Gamma HPP"].count == 1  # 90 / 200 rounds to 0: at least one
    assert fleets["Alpha GRES"].capacity_mw == pytest.approx(180.0)  # 1000 x 0.9 / 5
    assert fleets["Gamma HPP"].capacity_mw == pytest.approx(90.0)
    assert "Delta SPP" not in fleets  # zero capacity: no units


def test_types_missing_from_types_use_the_default_type(tmp_path):
    table = PlantTable(
        csv=write_csv(tmp_path / "p.csv", SMALL),
        zone_points=POINTS,
        types={"Hard Coal": PlantType(unit_size_mw=100)},
        default_type=PlantType(unit_size_mw=30, forced_outage_rate=None, mttf_h=900),
    )
    gamma = next(f for f in plant_fleets(table) if f.name == "Gamma HPP")
    assert gamma.count == 3 and gamma.mttf_h == 900 and gamma.forced_outage_rate is None


def test_plants_go_to_the_zone_of_the_nearest_point(tmp_path):
    table = PlantTable(csv=write_csv(tmp_path / "p.csv", SMALL), zone_points=POINTS)
    zones = plants_frame(table).set_index("name")["zone"].to_dict()
    assert zones == {"Alpha GRES": "North", "Beta CHP": "South", "Gamma HPP": "South"}


def test_zone_by_name_is_a_case_insensitive_substring_checked_before_coordinates(tmp_path):
    text = SMALL + "Epsilon chp,Hard Coal,50,,\n"
    table = PlantTable(
        csv=write_csv(tmp_path / "p.csv", text),
        zone_points=POINTS,
        zone_by_name={"beta": "North", "EPSILON": "South"},
    )
    zones = plants_frame(table).set_index("name")["zone"].to_dict()
    assert zones["Beta CHP"] == "North"  # its coordinates are in the South
    assert zones["Epsilon chp"] == "South"  # no coordinates, placed by name
    assert zones["Alpha GRES"] == "North"


def test_a_zone_column_places_plants(tmp_path):
    text = "Name,Capacity,zone\nA,100,West\nB,200,East\n"
    table = PlantTable(csv=write_csv(tmp_path / "p.csv", text), zone_column="zone")
    assert plants_frame(table)["zone"].tolist() == ["West", "East"]


def test_exclusion_ignores_surrounding_spaces(tmp_path):
    table = PlantTable(
        csv=write_csv(tmp_path / "p.csv", SMALL), zone_points=POINTS, exclude=(" Alpha GRES", "Beta CHP ")
    )
    assert plants_frame(table)["name"].tolist() == ["Gamma HPP"]


def test_plants_with_the_same_name_stay_distinct(tmp_path):
    text = "Name,Capacity,lat,lon\nTwin,100,52,76\nTwin,100,43,77\n"
    table = PlantTable(csv=write_csv(tmp_path / "p.csv", text), zone_points=POINTS)
    assert [f.name for f in plant_fleets(table)] == ["Twin", "Twin (2)"]


def test_the_flagship_distance_agrees_with_a_known_distance():
    # Almaty to Nur-Sultan: about 970 km as the crow flies.
    assert haversine_km(43.24, 76.89, 51.17, 71.45) == pytest.approx(970, abs=15)
    from sim.scenario.readers import _distance_km

    assert _distance_km(43.24, 76.89, 51.17, 71.45) == pytest.approx(
        float(haversine_km(43.24, 76.89, 51.17, 71.45))
    )


# ------------------------------------------------------------------------- errors


def test_missing_coordinate_column_is_named(tmp_path):
    csv = write_csv(tmp_path / "p.csv", "Name,Capacity,lat\nA,100,52\n")
    table = PlantTable(csv=csv, zone_points=POINTS)
    with pytest.raises(
        ScenarioError,
        match=r"p\.csv:1: missing column\(s\) \['lon'\]; the table has \['Name', 'Capacity', 'lat'\]",
    ):
        read_plant_table(table)


def test_missing_capacity_column_is_named(tmp_path):
    csv = write_csv(tmp_path / "p.csv", "Name,MW,lat,lon\nA,100,52,76\n")
    table = PlantTable(csv=csv, zone_points=POINTS)
    with pytest.raises(ScenarioError, match=r"missing column\(s\) \['Capacity'\]"):
        read_plant_table(table)


def test_missing_type_column_is_named_when_types_are_given(tmp_path):
    csv = write_csv(tmp_path / "p.csv", "Name,Capacity,lat,lon\nA,100,52,76\n")
    table = PlantTable(csv=csv, zone_points=POINTS, types={"Hard Coal": PlantType()})
    with pytest.raises(ScenarioError, match=r"missing column\(s\) \['Fueltype'\]"):
        read_plant_table(table)


@pytest.mark.parametrize(
    ("bad", "shown"),
    [("abc", "'abc'"), ("-5", "-5"), ("inf", "inf"), ("", "nan"), ("1e12", r"1000000000000\.0")],
)
def test_bad_capacity_names_the_plant_line_and_column(tmp_path, bad, shown):
    csv = write_csv(tmp_path / "p.csv", f"Name,Capacity,lat,lon\nA,100,52,76\nB,{bad},43,77\n")
    table = PlantTable(csv=csv, zone_points=POINTS)
    with pytest.raises(
        ScenarioError,
        match=rf"p\.csv:3: Capacity: capacity of 'B' must be a number >= 0 \(at most 1e\+09\), got {shown}$",
    ):
        read_plant_table(table)


def test_missing_table_is_reported(tmp_path):
    table = PlantTable(csv=tmp_path / "nowhere.csv", zone_points=POINTS)
    with pytest.raises(ScenarioError, match=r"plant table not found: .*nowhere\.csv"):
        read_plant_table(table)


def test_an_exclusion_that_matches_no_plant_is_an_error(tmp_path):
    table = PlantTable(csv=write_csv(tmp_path / "p.csv", SMALL), zone_points=POINTS, exclude=("Alpha GRS",))
    with pytest.raises(
        ScenarioError, match=r"exclude: 'Alpha GRS' is not a plant of the table; did you mean 'Alpha GRES'\?"
    ):
        read_plant_table(table)


def test_a_type_that_matches_no_plant_is_an_error(tmp_path):
    table = PlantTable(
        csv=write_csv(tmp_path / "p.csv", SMALL), zone_points=POINTS, types={"Hard coal": PlantType()}
    )
    with pytest.raises(
        ScenarioError,
        match=r"types: type 'Hard coal' matches no plant in column 'Fueltype'; did you mean 'Hard Coal'\?",
    ):
        read_plant_table(table)


def test_a_plant_without_coordinates_cannot_be_placed(tmp_path):
    csv = write_csv(tmp_path / "p.csv", "Name,Capacity,lat,lon\nA,100,52,76\nB,100,,77\n")
    table = PlantTable(csv=csv, zone_points=POINTS)
    with pytest.raises(
        ScenarioError,
        match=r"p\.csv:3: lat/lon: cannot place plant 'B' in a zone: its coordinates are missing",
    ):
        read_plant_table(table)


def test_a_table_without_any_way_to_place_plants_says_how(tmp_path):
    csv = write_csv(tmp_path / "p.csv", "Name,Capacity\nA,100\n")
    with pytest.raises(ScenarioError, match=r"p\.csv:2: Name: .*give the table zone_points or a zone_column"):
        read_plant_table(PlantTable(csv=csv))


def test_an_empty_zone_cell_is_named(tmp_path):
    csv = write_csv(tmp_path / "p.csv", "Name,Capacity,zone\nA,100,North\nB,100,\n")
    with pytest.raises(ScenarioError, match=r"p\.csv:3: zone: plant 'B' has no zone"):
        read_plant_table(PlantTable(csv=csv, zone_column="zone"))


# --------------------------------------------- errors located in the scenario file


def scenario_file(tmp_path: Path, table_yaml: str) -> Path:
    write_csv(tmp_path / "plants.csv", SMALL)
    path = tmp_path / "sc.yaml"
    path.write_text(
        "name: t\nstart: 2022-01-01\nend: 2022-01-02\n"
        "zones:\n  North: {demand: {peak_mw: 100}}\n  South: {demand: {peak_mw: 100}}\n"
        "generation:\n  plant_tables:\n    - csv: plants.csv\n" + table_yaml,
        encoding="utf-8",
    )
    return path


def test_a_scenario_expands_its_plant_table(tmp_path):
    path = scenario_file(
        tmp_path, "      zone_points:\n        North: [[52, 76]]\n        South: [[43.2, 76.9]]\n"
    )
    sc = load_scenario(path)
    assert [(f.name, f.zone, f.count) for f in sc.generation.units] == [
        ("Alpha GRES", "North", 5),
        ("Beta CHP", "South", 2),
        ("Gamma HPP", "South", 1),
    ]


def test_an_unknown_zone_points_zone_is_located_in_the_scenario(tmp_path):
    path = scenario_file(
        tmp_path, "      zone_points:\n        Nort: [[52, 76]]\n        South: [[43.2, 76.9]]\n"
    )
    with pytest.raises(
        ScenarioError,
        match=r"sc\.yaml:11: generation\.plant_tables\[0\]\.zone_points\.Nort: unknown zone 'Nort'; "
        r"did you mean 'North'\?",
    ):
        load_scenario(path)


def test_an_unknown_zone_by_name_zone_is_located_in_the_scenario(tmp_path):
    path = scenario_file(
        tmp_path,
        "      zone_points: {North: [[52, 76]]}\n      zone_by_name:\n        Beta: Westt\n",
    )
    with pytest.raises(
        ScenarioError,
        match=r"sc\.yaml:12: generation\.plant_tables\[0\]\.zone_by_name\.Beta: unknown zone 'Westt'; "
        r"the zones are \['North', 'South'\]",
    ):
        load_scenario(path)


def test_a_bad_exclusion_is_located_in_the_scenario(tmp_path):
    path = scenario_file(tmp_path, "      zone_points: {North: [[52, 76]]}\n      exclude: [Gama HPP]\n")
    with pytest.raises(
        ScenarioError,
        match=r"sc\.yaml:11: generation\.plant_tables\[0\]\.exclude: 'Gama HPP' is not a plant of the table; "
        r"did you mean 'Gamma HPP'\?",
    ):
        load_scenario(path)


def test_a_missing_table_is_located_in_the_scenario(tmp_path):
    path = scenario_file(tmp_path, "      zone_points: {North: [[52, 76]]}\n")
    (tmp_path / "plants.csv").unlink()
    with pytest.raises(
        ScenarioError,
        match=r"sc\.yaml:9: generation\.plant_tables\[0\]\.csv: plant table not found: .*plants\.csv",
    ):
        load_scenario(path)


def test_a_bad_row_keeps_the_table_file_and_line(tmp_path):
    path = scenario_file(tmp_path, "      zone_points: {North: [[52, 76]]}\n")
    write_csv(tmp_path / "plants.csv", "Name,Capacity,lat,lon\nA,lots,52,76\n")
    with pytest.raises(ScenarioError, match=r"plants\.csv:2: Capacity: capacity of 'A' must be a number"):
        load_scenario(path)


def test_a_zone_column_value_outside_the_scenario_is_an_error(tmp_path):
    write_csv(tmp_path / "z.csv", "Name,Capacity,zone\nA,100,North\nB,100,Sout\n")
    sc = Scenario.model_validate(
        {
            "name": "t",
            "start": "2022-01-01",
            "end": "2022-01-02",
            "zones": {"North": {"demand": {"peak_mw": 1}}, "South": {"demand": {"peak_mw": 1}}},
            "generation": {"plant_tables": [{"csv": str(tmp_path / "z.csv"), "zone_column": "zone"}]},
        }
    )
    with pytest.raises(
        ScenarioError,
        match=r"zone_column: plant 'B' is in zone 'Sout', not a zone of the scenario; did you mean 'South'\?",
    ):
        expand_plant_tables(sc)


def test_expansion_without_tables_returns_the_same_scenario():
    sc = Scenario.model_validate(
        {"name": "t", "start": "2022-01-01", "end": "2022-01-02", "zones": {"A": {"demand": {"peak_mw": 1}}}}
    )
    assert expand_plant_tables(sc) is sc


def test_flagship_deliverable_winter_generation_is_calibrated():
    """Expected Dec-Feb generation after derating and forced outages (sources 3.1, 3.2):
    the sum over units of capacity x the Dec-Feb mean of what the month lets it
    give (1 - derating; hydro: its energy, placed on the peaks, where less;
    wind: its capacity factor) x (1 - forced outage rate)."""
    from sim.model.supply import monthly_derating

    sc = load_scenario(FLAGSHIP)
    by_zone = dict.fromkeys(sc.zones, 0.0)
    winter = [11, 0, 1]  # December, January, February (0-based)
    for f in sc.generation.units:
        ceiling = np.array([1 - monthly_derating(f)[m] for m in winter])
        if f.energy is not None:
            ceiling = np.minimum(ceiling, [f.energy[m] for m in winter])
        if f.capacity_factor is not None:
            ceiling = ceiling * [f.capacity_factor.monthly[m] for m in winter]
        p_up = 1.0 if math.isinf(f.mttf) else f.mttf / (f.mttf + f.mttr_h)
        by_zone[f.zone] += f.count * f.capacity_mw * ceiling.mean() * p_up
    assert 14_500 <= sum(by_zone.values()) <= 15_800  # P8, P9, E2: ~15,200 MW
    assert by_zone["North"] == pytest.approx(11_300, rel=0.05)
    assert by_zone["South"] == pytest.approx(2_000, rel=0.10)
    assert 1_800 <= by_zone["West"] <= 2_100
