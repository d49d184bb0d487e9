"""The ``gridshed`` command line: malformed scenarios and flags end with one clear
message and exit status 2, good runs write their folder whole, ``schema`` prints
the JSON Schema.

Every file in tests/bad/ is listed in BAD_FILES with the message it must give:
the file (and line) where the problem is, the key, and what is wrong.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from conftest import BAD, DATA, EXAMPLE, ROOT

from sim.report.runfolder import write_atomic
from sim.results.stats import estimate, verdict

#: file in tests/bad, (file named in the message, line, key and message as a regex)
BAD_FILES = {
    "unknown_key.yaml": (None, 5, r"replicatons: unknown key 'replicatons'; did you mean 'replications'\?"),
    "wrong_type.yaml": (
        None,
        12,
        r"generation\.units\[0\]\.capacity_mw: Input should be a valid number, "
        r"unable to parse string as a number \(got 'lots'\)",
    ),
    "negative_capacity.yaml": (
        None,
        14,
        r"links\[0\]\.capacity_mw: Input should be greater than or equal to 0 \(got -50\)",
    ),
    "end_before_start.yaml": (
        None,
        4,
        r"end: end \(2022-01-01 00:00:00\) must be after start \(2022-03-01 00:00:00\)",
    ),
    "link_unknown_zone.yaml": (None, 13, r"links\[0\]\.to: unknown zone 'Sotuh'; did you mean 'South'\?"),
    "missing_csv.yaml": (
        None,
        8,
        r"zones\.A\.demand\.csv: demand CSV not found: .*tests/data/no_such_file\.csv",
    ),
    "csv_wrong_length.yaml": (
        None,
        8,
        r"zones\.A\.demand\.csv: .*tests/data/demand_12_rows\.csv: has 12 rows of demand; "
        r"the scenario has 24 steps",
    ),
    "csv_nan.yaml": (
        DATA / "demand_with_nan.csv",
        8,
        r"demand_mw: expected a number >= 0 in MW, got an empty cell",
    ),
    "extends_cycle_a.yaml": (
        BAD / "extends_cycle_b.yaml",
        2,
        r"extends: files extend each other in a cycle "
        r"\(extends_cycle_a\.yaml -> extends_cycle_b\.yaml -> extends_cycle_a\.yaml\); remove one extends:",
    ),
    "extends_cycle_b.yaml": (
        BAD / "extends_cycle_a.yaml",
        2,
        r"extends: files extend each other in a cycle "
        r"\(extends_cycle_b\.yaml -> extends_cycle_a\.yaml -> extends_cycle_b\.yaml\); remove one extends:",
    ),
    "extends_missing.yaml": (None, 2, r"extends: file not found: .*tests/bad/no_such_base\.yaml"),
    "yaml_syntax.yaml": (
        None,
        8,
        r"YAML syntax error: while parsing a flow mapping expected ',' or '}', but got ':'",
    ),
    "duplicate_key.yaml": (None, 8, r"zones\.A: duplicate key \(each key may appear once in a mapping\)"),
    "outcomes_sum.yaml": (
        None,
        10,
        r"enforcement\.outcomes_grey: outcome probabilities must sum to 1, got 1\.1",
    ),
    "unknown_shock.yaml": (
        None,
        9,
        r"shocks\[0\]: Input tag 'meteor_strike' found using 'type' does not match any of the "
        r"expected tags: 'cold_snap', 'demand_growth', 'unit_trip', 'link_cut', 'outage_rate', "
        r"'mining_wave', 'exodus'",
    ),
    "unit_trip_unknown_fleet.yaml": (
        None,
        14,
        r"shocks\[0\]\.fleet: unknown fleet 'cola'; did you mean 'coal'\?",
    ),
    "trip_too_many_units.yaml": (None, 15, r"shocks\[0\]\.units: fleet 'coal' has fewer units"),
    "duplicate_fleet.yaml": (
        None,
        6,
        r"generation\.units\[1\]\.name: fleet name 'coal' is used twice \(shocks find fleets by name\)",
    ),
    "zone_loop.yaml": (
        None,
        12,
        r"links\[2\]: links between zones must not form a loop \(the transfer model needs a tree\)",
    ),
    "bad_timezone.yaml": (None, 5, r"timezone: unknown IANA time zone 'Asia/Atlantis'"),
    "step_not_dividing.yaml": (None, 5, r"step_h: step_h must divide the time from start to end"),
    "target_outside.yaml": (
        None,
        10,
        r"target\.by: 2022-03-15 00:00:00 is outside the scenario "
        r"\(2022-01-01 00:00:00 to 2022-02-01 00:00:00\)",
    ),
    "missing_zones.yaml": (None, 2, r"zones: required key is missing"),
    "mttf_and_for.yaml": (None, 10, r"generation\.units\[0\]: give mttf_h or forced_outage_rate, not both"),
    "campaign_without_window.yaml": (
        None,
        8,
        r"enforcement: an enabled campaign needs a campaign window",
    ),
    "bad_date.yaml": (
        None,
        4,
        r"end: Input should be a valid datetime or date, month value is outside expected range "
        r"of 1-12 \(got '2022-13-01'\)",
    ),
    "population_unknown_zone.yaml": (
        None,
        6,
        r"mining\.populations\[0\]\.zone: unknown zone 'Westt'; did you mean 'West'\?",
    ),
    "hardware_shares.yaml": (None, 8, r"mining: hardware shares must sum to 1, got 0\.9"),
    "bad_name.yaml": (
        None,
        2,
        r"name: a name is letters, digits, '_', '\.' and '-', and does not start with '\.' or '-' "
        r"\(got 'my scenario/2'\)",
    ),
    "append_not_list.yaml": (None, 4, r"shocks\+: 'key\+' appends a list to a list"),
    "not_a_mapping.yaml": (None, 1, r"a scenario file must be a mapping of keys"),
}


def expected(name):
    shown, line, message = BAD_FILES[name]
    shown = BAD / name if shown is None else shown
    return "^error: " + re.escape(str(shown)) + f":{line}: " + message + r"\n$"


def test_every_bad_file_has_an_expected_message_and_there_are_enough():
    files = sorted(p.name for p in BAD.glob("*.yaml"))
    assert files == sorted(BAD_FILES)
    assert len(files) >= 15


def no_folder_left(out):
    return not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_run_reports_a_bad_scenario_in_one_line_with_exit_status_2(cli, tmp_path, name):
    out = tmp_path / "out"
    result = cli("run", BAD / name, "--out", out, "-q", "--no-figures", "-w", "1")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert re.match(expected(name), result.stderr), result.stderr
    assert "Traceback" not in result.output
    assert no_folder_left(out)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_validate_reports_a_bad_scenario_the_same_way(cli, name):
    result = cli("validate", BAD / name)
    assert result.exit_code == 2
    assert re.match(expected(name), result.stderr), result.stderr


def test_validate_checks_every_file_and_fails_if_any_fails(cli):
    bad = [BAD / "unknown_key.yaml", BAD / "zone_loop.yaml"]
    result = cli("validate", EXAMPLE, *bad, DATA / "base.yaml")
    assert result.exit_code == 2
    assert result.stdout.splitlines()[::2] == [
        f"{EXAMPLE}: ok (two_zones, 2 zones, 13 units, 1416 steps)",
        f"{DATA / 'base.yaml'}: ok (base, 2 zones, 8 units, 168 steps)",
    ]
    assert [line.split(":")[0] for line in result.stdout.splitlines()[1::2]] == ["  size", "  size"]
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == ["error", "error"]


def test_validate_accepts_good_files(cli):
    result = cli("validate", EXAMPLE, DATA / "copt_single_zone.yaml")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "copt_single_zone.yaml: ok (copt_single_zone, 1 zones, 5 units, 336 steps)" in result.stdout


def test_the_installed_command_prints_no_traceback(tmp_path):
    """The console script itself, in a fresh process, with a relative path."""
    gridshed = ROOT / ".venv" / "bin" / "gridshed"
    if not gridshed.exists():
        gridshed = [sys.executable, "-m", "sim"]
    else:
        gridshed = [str(gridshed)]
    proc = subprocess.run(
        [*gridshed, "run", "bad/link_unknown_zone.yaml", "--out", str(tmp_path / "out")],
        cwd=ROOT / "tests",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "error: bad/link_unknown_zone.yaml:13: links[0].to: unknown zone 'Sotuh'; did you mean 'South'?\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--replications", "0"], r"Invalid value for '-n' / '--replications': 0 is not in the range x>=1\."),
        (["--workers", "x"], r"Invalid value for '-w' / '--workers': 'x' is not a valid integer range\."),
        (["--workers", "0"], r"Invalid value for '-w' / '--workers': 0 is not in the range x>=1\."),
        (["--seed", "-1"], r"Invalid value for '--seed': -1 is not in the range x>=0\."),
        (
            ["--precision", "0"],
            r"^error: --precision: got '0': '0' is not a number > 0 \(expected METRIC=VALUE",
        ),
        (
            ["--precision", "eu_mwh=5"],
            r"^error: --precision: got 'eu_mwh=5'; did you mean 'eue_mwh'\? \(expected METRIC=VALUE .*"
            r"METRIC one of relief_mw, .*eue_mwh, .*VALUE > 0\)\n$",
        ),
        (
            ["--precision", "inspections=5"],
            r"^error: --precision: got 'inspections=5'; 'inspections' is not a headline",
        ),
        (
            ["--precision", "eue_mwh=-5%"],
            r"^error: --precision: got 'eue_mwh=-5%': '-5%' is not a number > 0",
        ),
        (
            ["--precision", "eue_mwh=lots"],
            r"^error: --precision: got 'eue_mwh=lots': 'lots' is not a number > 0",
        ),
        (
            ["--executor", "spark"],
            r"Invalid value for '--executor': 'spark' is not one of 'process', 'dask'\.",
        ),
        (["--nonsense"], r"No such option '--nonsense'"),
        (["--set", "nonsense"], r"^error: --set: expected KEY=VALUE, got 'nonsense'\n$"),
        (
            ["--set", "replicatons=3"],
            r"^error: --set: replicatons: unknown key 'replicatons'; did you mean 'replications'\?\n$",
        ),
        (
            ["--set", "links.9.capacity_mw=1"],
            r"^error: --set: links\[9\]: no item 9 to set; the list has 2\n$",
        ),
    ],
)
def test_bad_flags_exit_with_status_2(cli, tmp_path, flags, message):
    out = tmp_path / "out"
    result = cli("run", EXAMPLE, "--out", out, "-q", "--no-figures", *flags)
    assert result.exit_code == 2
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.output
    assert no_folder_left(out)


def test_a_missing_scenario_file_exits_2(cli, tmp_path):
    result = cli("run", tmp_path / "none.yaml", "--out", tmp_path / "out", "-q")
    assert result.exit_code == 2
    assert re.match(r"^error: .*none\.yaml: file not found\n$", result.stderr)


# ------------------------------------------------------------------ good runs


def test_run_writes_the_folder_whole_and_prints_the_table(cli, tmp_path):
    out = tmp_path / "out"
    result = cli("run", EXAMPLE, "--out", out, "-n", "10", "-w", "1", "--no-figures", "--set", "seed=11")
    assert result.exit_code == 0, result.output
    folder = out / "two_zones"
    assert sorted(p.name for p in out.iterdir()) == ["two_zones"]  # no temporary folder left
    assert sorted(p.name for p in folder.iterdir()) == [
        "events.parquet",
        "facilities.parquet",
        "manifest.json",
        "replications.parquet",
        "replications_long.parquet",
        "scenario.resolved.yaml",
        "summary.json",
        "timeseries.parquet",
    ]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["scenario"] == "two_zones" and summary["seed"] == 11 and summary["replications"] == 10
    assert set(summary["by_zone"]) == {"North", "South"}
    reps = pd.read_parquet(folder / "replications.parquet")
    assert len(reps) == 10
    # The target check is the one the replications give, recomputed here.
    t = summary["target"]
    within = (reps["relief_mw"] - t["relief_mw"]).abs() <= t["tolerance_mw"]
    assert t["probability_within"]["mean"] == pytest.approx(within.mean())
    assert t["verdict"] == verdict(estimate(reps["relief_mw"].to_numpy()), t["relief_mw"], t["tolerance_mw"])
    resolved = (folder / "scenario.resolved.yaml").read_text()
    assert "seed: 11\n" in resolved and "replications: 10\n" in resolved
    for label in ("relief at target date (MW)", "EUE (MWh)", "LOLE (h)"):
        assert label in result.stdout
    assert f"written to {folder}" in result.stdout


def test_the_resolved_scenario_reproduces_the_run(cli, tmp_path):
    first = tmp_path / "a"
    assert cli("run", EXAMPLE, "--out", first, "-n", "5", "-w", "1", "--no-figures", "-q").exit_code == 0
    second = tmp_path / "b"
    resolved = first / "two_zones" / "scenario.resolved.yaml"
    assert cli("run", resolved, "--out", second, "-w", "1", "--no-figures", "-q").exit_code == 0
    assert (first / "two_zones" / "summary.json").read_text() == (
        second / "two_zones" / "summary.json"
    ).read_text()


def test_a_failed_write_leaves_nothing_and_keeps_the_old_folder(tmp_path):
    dest = tmp_path / "run"
    write_atomic(dest, lambda d: (d / "old.txt").write_text("old"))

    def fail(d):
        (d / "half.txt").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(dest, fail)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert [p.name for p in dest.iterdir()] == ["old.txt"]
    write_atomic(dest, lambda d: (d / "new.txt").write_text("new"))
    assert [p.name for p in dest.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


# ---------------------------------------------------------------------- schema


def test_schema_prints_the_json_schema_of_scenario_files(cli):
    result = cli("schema")
    assert result.exit_code == 0
    top = json.loads(result.stdout)
    assert top["title"] == "Scenario" and top["else"] == {"$ref": "#/$defs/Scenario"}
    schema = top["$defs"]["Scenario"]
    assert schema["type"] == "object"
    assert {k for k in schema["properties"] if not k.endswith("+")} - {"extends"} == {
        "name",
        "description",
        "start",
        "end",
        "step_h",
        "timezone",
        "seed",
        "replications",
        "outside",
        "zones",
        "weather",
        "generation",
        "links",
        "mining",
        "enforcement",
        "operator",
        "shocks",
        "target",
    }
    assert set(schema["required"]) == {"name", "start", "end", "zones"}
    assert schema["additionalProperties"] is False
    assert "hours" in schema["properties"]["step_h"]["description"]
    assert "shocks+" in schema["properties"]  # variant files append to lists
    link = top["$defs"]["Link"]["properties"]
    assert "from" in link and "from_" not in link  # aliases, as written in files
