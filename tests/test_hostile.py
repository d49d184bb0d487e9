"""Hostile input: every case ends with one line naming the file (and line and key)
and exit status 2 (or the documented behaviour), in under 5 s and 500 MB.

Each case runs the real command line in a child process limited in address space
and time (:mod:`limited`): the static corpus in tests/hostile/, and files made
here at run time (a FIFO, a 300 MB sparse CSV, compressed bombs, damaged run
folders). Issue #10 lists the cases; each message is pinned as a whole line.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLE, ROOT
from limited import MEMORY, TIMEOUT_S, Limited

HOSTILE = ROOT / "tests" / "hostile"
RUN = ["-q", "--no-figures", "-w", "1"]
#: A scenario of one day: the CSV cases need 24 rows.
DAY = "name: t\nstart: 2022-01-01\nend: 2022-01-02\nzones:\n  A:\n    demand: {csv: %s%s}\n"
#: "<file>:<line>: <key>: " in front of a message about a value.
NAME_RULE = r"a name is letters, digits, '_', '\.' and '-', and does not start with '\.' or '-'"
NOT_FINITE = r"expected a finite number, got infinity or NaN"
NOT_A_DATE = r"expected a date such as 2022-01-01 or 2022-01-01 18:00, got a number"
NOT_DEMAND = r"zones\.A\.demand: Input should be a valid dictionary or instance of LoadShape"
TOO_LARGE = r"too large to run: {what} \(estimate: .*\); give --allow-large to run it anyway"

#: Static files of tests/hostile: (line or None, rest of the message as a regex).
STATIC = {
    # 1. names that would name a folder outside the run's own
    "name_dot.yaml": (1, rf"name: {NAME_RULE} \(got '\.'\)"),
    "name_dotdot.yaml": (1, rf"name: {NAME_RULE} \(got '\.\.'\)"),
    "name_separator.yaml": (1, rf"name: {NAME_RULE} \(got '\.\./escape'\)"),
    "name_long.yaml": (
        1,
        r"name: a name has at most 100 characters, got 250 \(got 'a{54}\.\.\.a' \(252 characters\)\)",
    ),
    # 2. YAML bombs and nesting
    "alias_bomb.yaml": (
        6,
        r"YAML expands to more than 20,000 values through aliases \(\*name\); "
        r"write the values out or use fewer aliases",
    ),
    "alias_recursive.yaml": (4, r"YAML alias refers to a node that contains it \(a recursive alias\)"),
    "alias_recursive_list.yaml": (2, r"YAML alias refers to a node that contains it \(a recursive alias\)"),
    "deep_nesting.yaml": (2, r"YAML nested deeper than 64 levels"),
    "deep_alias_chain.yaml": (65, r"YAML nested deeper than 64 levels through aliases"),
    "many_documents.yaml": (
        2,
        r"YAML syntax error: expected a single document in the stream but found another document",
    ),
    "binary.yaml": (None, r"not UTF-8 text \(byte 11 cannot be decoded\)"),
    # 3. unbounded reads (the file in the message is the one named)
    "extends_dev_zero.yaml": ("/dev/zero", r"scenario file is a character device, not a regular file"),
    "extends_urandom.yaml": ("/dev/urandom", r"scenario file is a character device, not a regular file"),
    "extends_directory.yaml": (str(HOSTILE), r"scenario file is a directory, not a regular file"),
    "extends_passwd.yaml": ("/etc/passwd:1", r"a scenario file must be a mapping of keys"),
    "extends_secret.yaml": (f"{HOSTILE}/secret.txt:1", r"a scenario file must be a mapping of keys"),
    "extends_binary.yaml": (f"{HOSTILE}/binary.yaml", r"not UTF-8 text \(byte 11 cannot be decoded\)"),
    "csv_dev_zero.yaml": (
        6,
        r"zones\.A\.demand\.csv: /dev/zero: demand CSV is a character device, not a regular file",
    ),
    "csv_urandom.yaml": (
        6,
        r"zones\.A\.demand\.csv: /dev/urandom: demand CSV is a character device, not a regular file",
    ),
    "csv_directory.yaml": (
        6,
        rf"zones\.A\.demand\.csv: {HOSTILE}: demand CSV is a directory, not a regular file",
    ),
    "plant_table_dev_zero.yaml": (
        9,
        r"generation\.plant_tables\[0\]\.csv: /dev/zero: plant table is a character device, "
        r"not a regular file",
    ),
    # 4. wrong types and values
    "start_number.yaml": (2, rf"start: {NOT_A_DATE} \(got 0\)"),
    "order_end_number.yaml": (9, rf"operator\.orders\[0\]\.end: {NOT_A_DATE} \(got '-1e9'\)"),
    "start_with_offset.yaml": (
        2,
        r"start: expected a local time without a UTC offset \(times are in the scenario's timezone\) "
        r"\(got '2022-01-01T00:00:00\+06:00'\)",
    ),
    "end_far_future.yaml": (3, r"end: expected a year from 1900 to 2199 \(got '9999-12-31'\)"),
    "demand_string.yaml": (6, NOT_DEMAND),
    "demand_number.yaml": (6, NOT_DEMAND),
    "demand_null.yaml": (6, NOT_DEMAND),
    "demand_list.yaml": (6, NOT_DEMAND),
    "peak_boolean.yaml": (
        6,
        r"zones\.A\.demand\.peak_mw: expected a number, got a boolean \(true/false/yes/no\) \(got True\)",
    ),
    "seed_boolean.yaml": (4, r"seed: expected a number, got a boolean \(true/false/yes/no\) \(got True\)"),
    "flag_number.yaml": (7, r"enforcement\.enabled: Input should be a valid boolean \(got 1\)"),
    "peak_infinite.yaml": (6, rf"zones\.A\.demand\.peak_mw: {NOT_FINITE} \(got inf\)"),
    "capacity_nan.yaml": (9, rf"generation\.units\[0\]\.capacity_mw: {NOT_FINITE} \(got nan\)"),
    "link_infinite.yaml": (8, rf"links\[0\]\.capacity_mw: {NOT_FINITE} \(got inf\)"),
    "sensitivity_infinite.yaml": (
        7,
        rf"zones\.A\.temperature_sensitivity_mw_per_c: {NOT_FINITE} \(got -inf\)",
    ),
    "cold_snap_nan.yaml": (8, rf"shocks\[0\]\.delta_c: {NOT_FINITE} \(got nan\)"),
    "total_mw_huge.yaml": (
        9,
        r"mining\.populations\[0\]\.total_mw: Input should be less than or equal to 1000000000 "
        r"\(got '1e308'\)",
    ),
    "cv_huge.yaml": (
        9,
        r"enforcement\.inspection\.cv: Input should be less than or equal to 1000000000 \(got '1e308'\)",
    ),
    "step_tiny.yaml": (4, r"step_h: Input should be greater than or equal to 0\.01 \(got '1e-300'\)"),
    "step_huge.yaml": (4, r"step_h: Input should be less than or equal to 1000000000 \(got '1\.0e308'\)"),
    "replications_overflow.yaml": (
        4,
        r"replications: Input should be a valid integer, unable to parse string as an integer "
        r"\(got '1\.0e400'\)",
    ),
    "zones_list.yaml": (4, r"zones: Input should be a valid dictionary"),
    "shocks_mapping.yaml": (7, r"shocks: Input should be a valid tuple"),
    "shock_number.yaml": (
        7,
        r"shocks\[0\]: Input should be a valid dictionary or object to extract fields from \(got 42\)",
    ),
    # 5. sizes: refused before anything runs
    "steps_too_many.yaml": (
        None,
        TOO_LARGE.format(what=r"508,800 steps \(limit 250,000; make step_h longer or the run shorter\)"),
    ),
    "horizon_century.yaml": (
        None,
        TOO_LARGE.format(what=r"876,600 steps \(limit 250,000; make step_h longer or the run shorter\)"),
    ),
    "facilities_ten_million.yaml": (
        None,
        TOO_LARGE.format(
            what=r"about 1e\+07 facilities \(limit 1e\+06\); about 4e\+07 events per replication "
            r"\(limit 1e\+07\); about 6\.\d+ GB of memory \(limit 4 GB\)"
        ),
    ),
    "outages_every_microsecond.yaml": (
        None,
        TOO_LARGE.format(what=r"about 2\.4e\+07 events per replication \(limit 1e\+07\)"),
    ),
}


@pytest.fixture(scope="module")
def limited():
    server = Limited()
    yield server
    server.close()


def check(result: dict, status: int, stderr: str, seconds: float = TIMEOUT_S) -> None:
    """Exit status, the whole of standard error (a regex), no traceback, in time and memory."""
    assert result["status"] == status, result
    assert re.fullmatch(stderr, result["stderr"]), result["stderr"]
    assert "Traceback" not in result["stderr"] + result["stdout"]
    assert result["seconds"] < seconds, result["seconds"]
    assert result["memory"] < MEMORY, result["memory"]


def located(name: str, where: int | str | None, message: str) -> str:
    """``error: FILE[:LINE]: MESSAGE`` for a static case: a line of the file itself,
    another file (and line) named in the case, or the file without a line."""
    if isinstance(where, str):
        return rf"error: {re.escape(where)}: {message}\n"
    line = f":{where}" if where is not None else ""
    return rf"error: {re.escape(str(HOSTILE / name))}{line}: {message}\n"


def test_the_static_corpus_is_listed_whole():
    assert sorted(p.name for p in HOSTILE.glob("*.yaml")) == sorted(STATIC)


@pytest.mark.parametrize("name", sorted(STATIC))
def test_run_refuses_a_hostile_file_in_one_line(limited, tmp_path, name):
    out = tmp_path / "out"
    result = limited.run(["run", HOSTILE / name, *RUN, "--out", out])
    check(result, 2, located(name, *STATIC[name]))
    assert result["stdout"] == ""
    assert not out.exists() or not any(out.iterdir())


def test_validate_refuses_the_whole_corpus_file_by_file(limited):
    files = [HOSTILE / n for n in sorted(STATIC)]
    result = limited.run(["validate", "-w", "1", *files])
    expected = "".join(located(n, *STATIC[n]) for n in sorted(STATIC))
    check(result, 2, expected)


def test_a_file_that_is_not_yaml_is_never_quoted(limited):
    result = limited.run(["validate", HOSTILE / "extends_secret.yaml", HOSTILE / "extends_passwd.yaml"])
    assert result["status"] == 2
    for secret in ("hunter2", "sk-live", "admin", "root:", "/bin/"):
        assert secret not in result["stderr"]


# ------------------------------------------------------------ files made here


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """FIFOs, a sparse 300 MB CSV and compressed files, beside scenarios naming them."""
    d = tmp_path_factory.mktemp("made")
    os.mkfifo(d / "fifo")
    with open(d / "huge.csv", "wb") as f:
        f.truncate(300 * 2**20)
    rows = gzip.compress(b"demand_mw\n" + b"1\n" * 5_000_000, compresslevel=1)
    (d / "rows.csv.gz").write_bytes(rows)
    (d / "line.csv.gz").write_bytes(gzip.compress(b"demand_mw\n" + b"1" * 200 * 2**20, compresslevel=1))
    (d / "junk.csv.gz").write_bytes(os.urandom(64))
    for name, csv, extra in [
        ("csv_fifo", "fifo", ""),
        ("csv_huge", "huge.csv", ""),
        ("gz_undeclared", "rows.csv.gz", ""),
        ("gz_rows", "rows.csv.gz", ", compression: gzip"),
        ("gz_line", "line.csv.gz", ", compression: gzip"),
        ("gz_junk", "junk.csv.gz", ", compression: gzip"),
    ]:
        (d / f"{name}.yaml").write_text(DAY % (csv, extra))
    (d / "extends_fifo.yaml").write_text("extends: fifo\nname: t\n")
    with open(d / "yaml_big.yaml", "wb") as f:
        f.truncate(3 * 2**20)
    (d / "yaml_many.yaml").write_text("name: t\nvalues:\n" + "- 1\n" * 25_000)
    (d / "yaml_long_value.yaml").write_text("name: " + "x" * 200_000 + "\n")
    return d


def made_case(d: Path, name: str) -> str:
    csv = f"error: {re.escape(str(d / name))}.yaml:6: zones\\.A\\.demand\\.csv: {re.escape(str(d))}/"
    return {
        "extends_fifo": rf"error: {re.escape(str(d))}/fifo: scenario file is a FIFO \(named pipe\), "
        r"not a regular file\n",
        "csv_fifo": csv + r"fifo: demand CSV is a FIFO \(named pipe\), not a regular file\n",
        "csv_huge": csv + r"huge\.csv: demand CSV is too large \(300 MB; the limit is 100 MB\)\n",
        "gz_undeclared": csv
        + r"rows\.csv\.gz: demand CSV is compressed \(gzip\); say so with compression: gzip\n",
        "gz_rows": csv + r"rows\.csv\.gz: has more than 24 rows of demand; the scenario has 24 steps\n",
        "gz_line": csv[: -len(re.escape(str(d)) + "/")]
        + rf"demand CSV {re.escape(str(d))}/line\.csv\.gz holds more than 100 MB of data\n",
        "yaml_big": rf"error: {re.escape(str(d))}/yaml_big\.yaml: scenario file is too large "
        r"\(3 MB; the limit is 2 MB\)\n",
        "yaml_many": rf"error: {re.escape(str(d))}/yaml_many\.yaml:\d+: YAML holds more than 20,000 values\n",
        "yaml_long_value": rf"error: {re.escape(str(d))}/yaml_long_value\.yaml:1: name: a name has at most "
        r"100 characters, got 200000 \(got 'x{54}\.\.\.x' \(200,002 characters\)\)\n"
        + "".join(
            rf"{re.escape(str(d))}/yaml_long_value\.yaml:1: {key}: required key is missing\n"
            for key in ("start", "end", "zones")
        ),
        "gz_junk": csv[: -len(re.escape(str(d)) + "/")]
        + rf"cannot read the demand CSV {re.escape(str(d))}/junk\.csv\.gz as gzip data \(BadGzipFile\)\n",
    }[name]


@pytest.mark.parametrize(
    "name",
    [
        "extends_fifo",
        "csv_fifo",
        "csv_huge",
        "gz_undeclared",
        "gz_rows",
        "gz_line",
        "gz_junk",
        "yaml_big",
        "yaml_many",
        "yaml_long_value",
    ],
)
def test_unbounded_reads_are_refused(limited, made, name):
    check(limited.run(["validate", made / f"{name}.yaml"]), 2, made_case(made, name))


# ------------------------------------------------------------- command lines

MINI = DATA / "base.yaml"


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["--set", "name=."], rf"error: --set: name: {NAME_RULE} \(got '\.'\)\n"),
        (["--set", "name=.."], rf"error: --set: name: {NAME_RULE} \(got '\.\.'\)\n"),
        (["--set", "start=0"], rf"error: --set: start: {NOT_A_DATE} \(got 0\)\n"),
        (
            ["--set", "zones.West.demand=null"],
            rf"error: --set: zones\.West\.demand: {NOT_DEMAND.split(': ', 1)[1]}\n",
        ),
        (
            ["--set", "zones.West.demand=lots"],
            rf"error: --set: zones\.West\.demand: {NOT_DEMAND.split(': ', 1)[1]}\n",
        ),
        (
            ["--set", "seed=yes"],
            r"error: --set: seed: expected a number, got a boolean \(true/false/yes/no\) \(got True\)\n",
        ),
        (
            ["-n", "1000000000"],
            r"error: .*base\.yaml: "
            + TOO_LARGE.format(
                what=r"3\.36e\+11 steps x zones x replications \(limit 2e\+09\); "
                r"about 3\.\d+e\+03 GB of memory \(limit 4 GB\)"
            )
            + r"\n",
        ),
    ],
)
def test_hostile_flags_of_run(limited, tmp_path, args, stderr):
    check(limited.run(["run", MINI, *RUN, "--out", tmp_path / "out", *args]), 2, stderr)


def test_compare_refuses_a_demand_of_the_wrong_shape(limited, tmp_path):
    result = limited.run(
        ["compare", EXAMPLE, "--set", "zones.North.demand=3", "-q", "--no-figures", "--out", tmp_path]
    )
    check(
        result,
        2,
        r"error: --set: zones\.North\.demand: Input should be a valid dictionary or instance of LoadShape\n",
    )


def test_a_sweep_of_ten_thousand_variants_is_refused_at_once(limited, tmp_path):
    values = ",".join(str(i) for i in range(1, 101))
    args = ["sweep", MINI, "--set", f"seed={values}", "--set", f"replications={values}", "--out", tmp_path]
    check(
        limited.run(args),
        2,
        r"error: --set: too large to run: 10,000 variants \(limit 1,000\); "
        r"give --allow-large to run them anyway\n",
        seconds=2.0,
    )


def test_compare_name_must_be_a_plain_folder_name(limited, tmp_path):
    result = limited.run(["compare", MINI, "--name", "..", "-q", "--out", tmp_path])
    check(result, 2, rf"error: --name: --name must be a plain folder name \({NAME_RULE}\), got '\.\.'\n")


@pytest.mark.parametrize("make", ["file", "proc"])
def test_an_unwritable_out_is_found_before_the_run(limited, tmp_path, make):
    if make == "file":
        (tmp_path / "file").write_text("")
        out, why = tmp_path / "file" / "sub", "Not a directory"
    else:
        out, why = Path("/proc/gridshed-out"), "No such file or directory"
    result = limited.run(["run", MINI, *RUN, "--out", out])
    check(result, 2, rf"error: {re.escape(str(out))}: cannot write the results here \({why}\)\n")


# --------------------------------------------------------- damaged run folders


@pytest.fixture(scope="module")
def run_folder(limited, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    result = limited.run(["run", MINI, *RUN, "--out", out, "-n", "2"], timeout=60)
    assert result["status"] == 0, result
    return out / "base"


@pytest.mark.parametrize(
    ("damage", "stderr"),
    [
        (
            "bad_json",
            r"summary\.json:1: damaged summary: not JSON "
            r"\(Expecting property name enclosed in double quotes\)",
        ),
        ("json_list", r"summary\.json: damaged summary: not a JSON object"),
        ("truncated_parquet", r"timeseries\.parquet: damaged Parquet table: cannot read it \(ArrowInvalid\)"),
        (
            "empty_yaml",
            r"scenario\.resolved\.yaml: damaged resolved scenario: empty or not a mapping of keys",
        ),
        (
            "alias_bomb_yaml",
            r"scenario\.resolved\.yaml:6: YAML expands to more than 20,000 values through aliases.*",
        ),
        ("fifo_parquet", r"events\.parquet: Parquet table is a FIFO \(named pipe\), not a regular file"),
        ("wrong_table", r": damaged run folder: its tables do not hold what gridshed writes \(KeyError\)"),
        ("missing", r": not a run folder: missing summary\.json .*"),
    ],
)
def test_plot_refuses_a_damaged_run_folder(limited, run_folder, tmp_path, damage, stderr):
    folder = tmp_path / "base"
    shutil.copytree(run_folder, folder)
    if damage == "bad_json":
        (folder / "summary.json").write_text("{bad")
    elif damage == "json_list":
        (folder / "summary.json").write_text(json.dumps([1, 2]))
    elif damage == "truncated_parquet":
        os.truncate(folder / "timeseries.parquet", 100)
    elif damage == "empty_yaml":
        (folder / "scenario.resolved.yaml").write_text("")
    elif damage == "alias_bomb_yaml":
        shutil.copy(HOSTILE / "alias_bomb.yaml", folder / "scenario.resolved.yaml")
    elif damage == "fifo_parquet":
        (folder / "events.parquet").unlink()
        os.mkfifo(folder / "events.parquet")
    elif damage == "wrong_table":
        shutil.copy(folder / "events.parquet", folder / "timeseries.parquet")
    elif damage == "missing":
        (folder / "summary.json").unlink()
    result = limited.run(["plot", folder])
    check(result, 2, rf"error: {re.escape(str(folder))}/?{stderr}\n")
