"""Scenario files: validation with file:line:key messages, ``extends:`` deep merge,
``key+:`` append, ``--set`` overrides, and the resolved dump.

The malformed files of tests/bad/ are run through the command line in
test_cli.py; here the loader's API is specified directly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLE, MINIMAL
from pydantic import ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.load import dump_scenario, load_scenario
from sim.scenario.schema import ColdSnap, DemandCsv, UnitTrip
from sim.scenario.source import format_path, load_source


def raises(match):
    return pytest.raises(ScenarioError, match=match)


# ------------------------------------------------------------------ good files


def test_the_example_loads_with_its_values(example):
    assert example.name == "two_zones"
    assert list(example.zones) == ["North", "South"]
    assert example.n_steps == (31 + 28) * 24
    assert [f.count for f in example.generation.units] == [9, 4]
    assert example.generation.units[1].mttf == pytest.approx(40 * 0.94 / 0.06)
    assert example.links[0].reverse_mw == 350 and example.links[1].reverse_mw == 80


def test_the_resolved_dump_loads_back_to_the_same_scenario(example, tmp_path):
    path = tmp_path / "resolved.yaml"
    path.write_text(dump_scenario(example), encoding="utf-8")
    assert load_scenario(path) == example


def test_a_scenario_is_frozen(example):
    with pytest.raises(ValidationError, match="frozen"):
        example.seed = 3


def test_csv_paths_are_relative_to_the_file_that_names_them(write):
    child = write("child.yaml", f"extends: {DATA / 'copt_single_zone.yaml'}\nname: child\n")
    sc = load_scenario(child)
    assert isinstance(sc.zones["Z"].demand, DemandCsv)
    assert sc.zones["Z"].demand.csv == (DATA / "copt_load.csv").resolve()


def test_check_data_false_does_not_read_data_files(write):
    path = write(
        "nocsv.yaml",
        """\
        name: nocsv
        start: 2022-01-01
        end: 2022-01-02
        zones:
          A: {demand: {csv: missing.csv}}
        """,
    )
    assert load_scenario(path, check_data=False).zones["A"].demand.csv.name == "missing.csv"
    with raises(r"nocsv\.yaml:5: zones\.A\.demand\.csv: demand CSV not found: .*missing\.csv$"):
        load_scenario(path)


# ----------------------------------------------------------- extends and key+


BASE = DATA / "base.yaml"


def test_extends_merges_mappings_key_by_key(write):
    path = write(
        "child.yaml",
        f"""\
        extends: {BASE}
        name: child
        zones:
          West:
            temperature_sensitivity_mw_per_c: 4
          North:
            demand: {{peak_mw: 50}}
        """,
    )
    sc = load_scenario(path)
    assert sc.name == "child"
    assert list(sc.zones) == ["West", "East", "North"]
    assert sc.zones["West"].demand.peak_mw == 300  # kept from the base
    assert sc.zones["West"].temperature_sensitivity_mw_per_c == 4  # added by the child
    assert sc.zones["East"].demand.peak_mw == 200
    assert sc.seed == 3 and sc.replications == 4


def test_extends_replaces_lists_and_key_plus_appends_to_them(write):
    path = write(
        "child.yaml",
        f"""\
        extends: {BASE}
        name: child
        shocks+:
          - {{type: unit_trip, fleet: west_coal, start: 2022-01-05}}
        mining:
          populations:
            - {{zone: East, legal_status: licensed, count: 3}}
        """,
    )
    sc = load_scenario(path)
    assert [type(s) for s in sc.shocks] == [ColdSnap, UnitTrip]
    assert [(p.zone, p.legal_status) for p in sc.mining.populations] == [("East", "licensed")]


def test_extends_chains_through_several_files_relative_to_each(write, tmp_path):
    (tmp_path / "sub").mkdir()
    write("sub/middle.yaml", f"extends: {BASE}\nname: middle\nseed: 10\n")
    top = write("top.yaml", "extends: sub/middle.yaml\nname: top\nreplications: 9\n")
    sc = load_scenario(top)
    assert (sc.name, sc.seed, sc.replications) == ("top", 10, 9)
    assert load_source(top).files == [str(BASE), str((tmp_path / "sub/middle.yaml").resolve()), str(top)]


def test_errors_point_at_the_file_and_line_a_key_came_from(write):
    """The child ends the scenario early: the base's shock (base.yaml line 23) is
    now outside it, and the child's own bad key is on its line 4."""
    path = write(
        "child.yaml",
        f"""\
        extends: {BASE}
        name: child
        end: 2022-01-02
        replications: 0
        """,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (p,) = info.value.problems
    assert p.render() == f"{path}:4: replications: Input should be greater than or equal to 1 (got 0)"
    path.write_text(path.read_text().replace("replications: 0", "replications: 2"))
    with raises(r"^.*data/base\.yaml:23: shocks\[0\]\.start: 2022-01-03 00:00:00 is outside the scenario"):
        load_scenario(path)


def test_a_self_extending_file_is_a_cycle(write):
    path = write("self.yaml", "name: self\nextends: self.yaml\n")
    with raises(r"self\.yaml:2: extends: files extend each other in a cycle \(self\.yaml -> self\.yaml\)"):
        load_scenario(path)


def test_a_non_string_extends_is_reported(write):
    path = write("x.yaml", "extends: [a.yaml]\nname: x\n")
    with raises(r"x\.yaml:1: extends: expected the path of a scenario file$"):
        load_scenario(path)


# ------------------------------------------------------------------- overrides


def test_set_overrides_keys_list_items_and_takes_yaml_values():
    sc = load_scenario(
        EXAMPLE,
        [
            "enforcement.teams=8",
            "links.0.capacity_mw=10.5",
            "zones.South.demand.peak_mw=650",
            "outside=[Russia, China]",
            "target.by=2022-02-20",
        ],
    )
    assert sc.enforcement.teams == 8
    assert sc.links[0].capacity_mw == 10.5 and sc.links[0].reverse_mw == 350
    assert sc.zones["South"].demand.peak_mw == 650
    assert sc.outside == ("Russia", "China")
    assert sc.target.by.day == 20


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("replicatons=5", r"^--set: replicatons: unknown key 'replicatons'; did you mean 'replications'\?$"),
        ("enforcement.tems=5", r"^--set: enforcement\.tems: unknown key 'tems'; did you mean 'teams'\?$"),
        ("nonsense", r"^--set: expected KEY=VALUE, got 'nonsense'$"),
        ("=3", r"^--set: expected KEY=VALUE, got '=3'$"),
        ("links.5.capacity_mw=3", r"^--set: links\[5\]: no item 5 to set; the list has 2$"),
        ("seed.x=1", r"^--set: seed\.x: no such key to set$"),
        (
            "seed=[1",
            r"^--set: seed: value is not YAML \(while parsing a flow sequence expected ',' or '\]', "
            r"but got '<stream end>'\): '\[1'$",
        ),
        (
            "enforcement.teams=0",
            r"^--set: enforcement\.teams: Input should be greater than or equal to 1 \(got 0\)$",
        ),
        (
            "step_h=fast",
            r"^--set: step_h: Input should be a valid number, unable to parse string as a number",
        ),
    ],
)
def test_bad_overrides_are_reported(override, message):
    with raises(message):
        load_scenario(EXAMPLE, [override])


# ------------------------------------------------------------- schema problems


def test_every_problem_is_reported_at_once_with_its_line(write):
    path = write(
        "two.yaml",
        """\
        name: two
        start: 2022-01-01
        end: 2022-01-02
        zones:
          A:
            demand: {peak_mw: -1}
        generation:
          units:
            - {name: g, zone: A, capacity_mw: 10, mtbf_h: 100}
        """,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = str(info.value).splitlines()
    assert lines == [
        f"{path}:6: zones.A.demand.peak_mw: Input should be greater than 0 (got -1)",
        f"{path}:9: generation.units[0].mtbf_h: unknown key 'mtbf_h'; did you mean 'mttf_h'?",
    ]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            "shocks:\n  - {type: cold_snap, start: 2022-01-01, delta_c: -5, ends: 2022-01-02}\n",
            r":8: shocks\[0\]\.ends: unknown key 'ends'; did you mean 'end'\?$",
        ),
        (
            "operator: {zzz: 1}\n",
            r":7: operator\.zzz: unknown key 'zzz'; allowed keys: curtail_licensed_first, orders, "
            r"reserve_mw, rule, shed_block_fraction, ufls, unscheduled_imports$",
        ),
        (
            "links:\n  - {name: l, from: A, to: A, capacity_mw: 5}\n",
            r":8: links\[0\]: a link must join two different zones$",
        ),
        (
            "mining:\n  populations:\n    - {zone: A, legal_status: grey}\n",
            r":9: mining\.populations\[0\]: give exactly one of total_mw and count$",
        ),
        (
            "mining:\n  populations:\n    - {zone: A, legal_status: black, count: 3}\n",
            r":9: mining\.populations\[0\]\.legal_status: "
            r"Input should be 'licensed' or 'grey' \(got 'black'\)$",
        ),
        (
            "operator:\n  orders:\n    - {name: o, start: 2022-01-01, licensed_limit: 0, zones: [B]}\n",
            r":9: operator\.orders\[0\]\.zones: unknown zone 'B'; expected one of \['A'\]$",
        ),
        (
            "outside: [A]\n",
            r":7: outside: 'A' is both a zone and an outside system$",
        ),
        (
            "zones: {}\n",
            r":4: zones: at least one zone is needed$",
        ),
        (
            "mining:\n  populations:\n    - {zone: A, legal_status: grey, count: 3,\n"
            "       sizes: {median_mw: 20}}\n",
            r":10: mining\.populations\[0\]\.sizes: "
            r"sizes must satisfy min_mw < median_mw < p90_mw <= cap_mw$",
        ),
    ],
    ids=[
        "unknown-shock-key",
        "no-close-key",
        "self-link",
        "total-or-count",
        "bad-literal",
        "order-zone",
        "outside-zone",
        "no-zones",
        "sizes-order",
    ],
)
def test_schema_and_consistency_messages(write, yaml_text, message):
    text = MINIMAL + yaml_text
    if yaml_text.startswith("zones"):
        text = MINIMAL.split("zones:")[0] + yaml_text
    path = write("s.yaml", text)
    with raises(re.escape(str(path)) + message):
        load_scenario(path)


def test_an_empty_file_lists_every_required_key(write):
    path = write("empty.yaml", "")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [p.key for p in info.value.problems] == ["name", "start", "end", "zones"]
    assert all(p.message == "required key is missing" and p.line == 1 for p in info.value.problems)


def test_a_missing_file_is_reported(tmp_path):
    with raises(r"nowhere\.yaml: file not found$"):
        load_scenario(tmp_path / "nowhere.yaml")


def test_a_csv_with_a_negative_value_names_its_line(write):
    write("d.csv", "demand_mw\n" + "10\n" * 5 + "-3\n" + "10\n" * 18)
    path = write("s.yaml", MINIMAL.replace("demand: {peak_mw: 100}", "demand: {csv: d.csv}"))
    with raises(r"d\.csv:7: demand_mw: expected a number >= 0 in MW, got .*-3"):
        load_scenario(path)


def test_a_csv_without_the_column_names_the_columns_it_has(write):
    write("d.csv", "load\n" + "10\n" * 24)
    path = write("s.yaml", MINIMAL.replace("demand: {peak_mw: 100}", "demand: {csv: d.csv}"))
    with raises(r"d\.csv:1: demand_mw: no column 'demand_mw'; the file has \['load'\]$"):
        load_scenario(path)


def test_a_csv_with_an_empty_cell_says_so_in_plain_words():
    with pytest.raises(ScenarioError) as info:
        load_scenario(DATA.parent / "bad" / "csv_nan.yaml")
    assert "np.float64" not in str(info.value)


# ---------------------------------------------------------------- errors


def test_problems_render_as_file_line_key_message():
    assert Problem("bad", "f.yaml", 3, "a.b").render() == "f.yaml:3: a.b: bad"
    assert Problem("bad", "f.yaml").render() == "f.yaml: bad"
    assert Problem("bad").render() == "<input>: bad"
    err = ScenarioError([Problem("one", "f", 1), Problem("two", "f", 2)])
    assert str(err) == "f:1: one\nf:2: two"
    assert format_path(("links", 0, "from")) == "links[0].from"


def test_the_resolved_scenario_is_dumped_as_pure_python_pyyaml_dumps_it():
    """dump_scenario uses libyaml's emitter where it can: the text is the same."""
    import yaml

    sc = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "kazakhstan_2021_22.yaml")
    data = yaml.safe_load(dump_scenario(sc))
    assert dump_scenario(sc) == yaml.safe_dump(
        sc.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True, width=100
    )
    assert data["name"] == sc.name
