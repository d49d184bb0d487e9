"""What the output folders hold beyond the numbers: the manifest (command, files
read and their hashes, times, machine), every replication's time series written
a chunk at a time, quantiles per step, the long table of replications, CSV
copies, time-zone-aware times."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import DATA, EXAMPLE

from sim.errors import ScenarioError
from sim.experiments import ensemble
from sim.experiments.ensemble import run_ensemble
from sim.experiments.seriesfile import FILE as SERIES_FILE
from sim.report import figures as plots
from sim.report.runfolder import write_run
from sim.report.tidy import long_replications, without_negative_zeros

pytest_plugins = ["report.figdata"]

#: A variant of the COPT system: extends it, reads its demand CSV, two weeks, one zone.
CHILD = "extends: parent.yaml\nname: child\nreplications: 3\n"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def child(tmp_path):
    """A scenario that ``extends:`` another, which reads a CSV: three files."""
    shutil.copyfile(DATA / "copt_single_zone.yaml", tmp_path / "parent.yaml")
    shutil.copyfile(DATA / "copt_load.csv", tmp_path / "copt_load.csv")
    (tmp_path / "child.yaml").write_text(CHILD)
    return tmp_path


def _check_manifest(m: dict, files: dict[Path, str], command: str) -> None:
    assert m["gridshed_version"] == version("gridshed")
    assert m["command"] == command and m["command_line"].startswith(f"gridshed {command} ")
    got = {Path(f["path"]): (f["role"], f["sha256"]) for f in m["scenario_files"]}
    assert got == {p.resolve(): (role, _sha(p)) for p, role in files.items()}
    started, ended = datetime.fromisoformat(m["started"]), datetime.fromisoformat(m["ended"])
    assert started.tzinfo is not None and ended.tzinfo is not None and started <= ended
    assert set(m["machine"]) == {"platform", "python", "cpu_count"} and m["machine"]["cpu_count"] >= 1
    assert m["executor"] == "process" and m["workers"] == 1


def test_the_run_manifest_names_the_command_the_overrides_and_every_file_read(cli, child):
    out = child / "out"
    args = [
        "run",
        child / "child.yaml",
        "-n",
        "3",
        "--seed",
        "5",
        "-w",
        "1",
        "--out",
        out,
        "--no-figures",
        "-q",
    ]
    result = cli(*args, "--set", "generation.units.0.capacity_mw=130")
    assert result.exit_code == 0, result.output
    folder = out / "child"
    assert json.loads((folder / "summary.json").read_text())["manifest"] == "manifest.json"
    m = json.loads((folder / "manifest.json").read_text())
    files = {
        child / "parent.yaml": "extends",
        child / "child.yaml": "scenario",
        child / "copt_load.csv": "data",
    }
    _check_manifest(m, files, "run")
    assert m["overrides"] == ["generation.units.0.capacity_mw=130"]
    assert "--set generation.units.0.capacity_mw=130" in m["command_line"]
    assert "--seed 5" in m["command_line"] and m["seed"] == {"child": 5} and m["replications"] == {"child": 3}


def test_compare_and_sweep_folders_have_a_manifest(cli, child):
    out = child / "out"
    common = ["-n", "2", "-w", "1", "--out", out, "--no-figures", "-q"]
    result = cli("compare", child / "child.yaml", "--baseline", child / "parent.yaml", *common)
    assert result.exit_code == 0, result.output
    files = {
        child / "parent.yaml": "extends",
        child / "child.yaml": "scenario",
        child / "copt_load.csv": "data",
    }
    m = json.loads((out / "compare" / "manifest.json").read_text())
    _check_manifest(m, files, "compare")
    assert m["seed"]["child"] == m["seed"]["copt_single_zone"] and m["replications"]["child"] == 2
    sweep = ["sweep", child / "child.yaml", "--set", "seed=1,2", "--metric", "eue_mwh", *common]
    assert cli(*sweep).exit_code == 0
    m = json.loads((out / "sweep_child" / "manifest.json").read_text())
    _check_manifest(m, files, "sweep")
    assert m["overrides"] == ["seed=1,2"]
    long = pd.read_parquet(out / "sweep_child" / "replications_long.parquet")
    assert list(long.columns[:3]) == ["variant", "seed", "replication"]


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 3 replications, so that a few replications make several chunks."""
    monkeypatch.setattr(ensemble, "CHUNK", 3)


def test_the_replications_series_are_written_a_chunk_at_a_time_and_agree_with_the_summary(
    example, small_chunks, tmp_path
):
    path = tmp_path / SERIES_FILE
    res = run_ensemble(example, replications=7, workers=1, progress=False, series_to=path)
    assert res.series == [] and res.series_file == path  # on disk, not in memory
    f = pq.ParquetFile(path)
    assert [f.metadata.row_group(i).num_rows // 1416 for i in range(f.num_row_groups)] == [3, 3, 1]
    df = f.read().to_pandas()
    T = res.static.clock.n_steps
    assert (df["replication"].to_numpy() == np.repeat(np.arange(7), T)).all()
    assert (df["time"].iloc[:T].to_numpy() == res.static.clock.index.to_numpy()).all()
    assert str(df["time"].dtype.tz) == example.timezone
    ts = res.timeseries()
    for zone, var in [("South", "shed_mw"), ("North", "generation_mw"), ("national", "relief_mw")]:
        col = var if zone == "national" else f"{var}.{zone}"
        per_rep = df[col].to_numpy().reshape(7, T)
        mean = ts[(ts.zone == zone) & (ts.variable == var)]["mean"].to_numpy()
        np.testing.assert_allclose(per_rep.mean(axis=0), mean, atol=1e-9)
    # Each replication's unserved energy is the one in its row of the replications table.
    eue = df["shed_mw.South"].to_numpy().reshape(7, T).sum(axis=1) * example.step_h
    np.testing.assert_allclose(eue, res.replications["eue_mwh.South"], rtol=1e-9, atol=1e-9)
    # The same numbers as the series kept in memory.
    mem = run_ensemble(example, replications=7, workers=1, progress=False, keep_timeseries=True)
    np.testing.assert_array_equal(per_rep[-1], mem.series[-1]["relief_mw"])


def test_keep_timeseries_writes_the_series_their_quantiles_and_csv_copies(cli, tmp_path):
    out = tmp_path / "out"
    args = [
        "run",
        EXAMPLE,
        "-n",
        "4",
        "-w",
        "1",
        "--out",
        out,
        "--no-figures",
        "-q",
        "--keep-timeseries",
        "--csv",
    ]
    assert cli(*args).exit_code == 0
    folder = out / "two_zones"
    ts = pd.read_parquet(folder / "timeseries.parquet")
    reps = pd.read_parquet(folder / SERIES_FILE)
    T = ts["time"].nunique()
    for (zone, var), g in ts.groupby(["zone", "variable"], sort=False):
        a = reps[var if zone == "national" else f"{var}.{zone}"].to_numpy().reshape(4, T)
        np.testing.assert_allclose(a.mean(axis=0), g["mean"], atol=1e-9)
        np.testing.assert_allclose(g[["p05", "p50", "p95"]].T, np.quantile(a, [0.05, 0.5, 0.95], axis=0))
    for name in ("replications", "replications_long", "timeseries"):
        csv = pd.read_csv(folder / f"{name}.csv")
        assert list(csv.columns) == list(pd.read_parquet(folder / f"{name}.parquet").columns)
    assert pd.read_csv(folder / "timeseries.csv")["time"][0] == "2022-01-01T00:00:00+06:00"
    row = pd.read_csv(folder / "summary.csv")
    assert list(row.columns[:3]) == ["scenario", "role", "replications"] and len(row) == 1
    assert row["eue_mwh"][0] == pytest.approx(
        pd.read_parquet(folder / "replications.parquet")["eue_mwh"].mean()
    )
    # Times in the summary are local and time-zone aware.
    by = datetime.fromisoformat(json.loads((folder / "summary.json").read_text())["target"]["by"])
    assert by.utcoffset().total_seconds() == 6 * 3600


def test_without_keep_timeseries_the_time_series_has_no_quantiles(run_folder):
    ts = pd.read_parquet(run_folder / "timeseries.parquet")
    assert not {"p05", "p50", "p95"} & set(ts.columns) and not (run_folder / SERIES_FILE).exists()


def test_the_long_table_holds_the_wide_one_and_no_negative_zero():
    wide = pd.DataFrame({"replication": [0, 1], "eue_mwh": [1.5, -0.0], "eue_mwh.South": [-0.0, 2.0]})
    clean = without_negative_zeros(wide)
    assert not np.signbit(clean[["eue_mwh", "eue_mwh.South"]].to_numpy()).any()
    long = long_replications(clean)
    assert list(long.columns) == ["replication", "metric", "zone", "value"]
    assert long.to_dict("list") == {
        "replication": [0, 0, 1, 1],
        "metric": ["eue_mwh", "eue_mwh", "eue_mwh", "eue_mwh"],
        "zone": ["national", "South", "national", "South"],
        "value": [1.5, 0.0, 0.0, 2.0],
    }
    back = long.pivot(index="replication", columns=["metric", "zone"], values="value")
    assert back[("eue_mwh", "South")].tolist() == clean["eue_mwh.South"].tolist()


def test_a_run_folder_with_the_series_gives_the_fan_from_disk(example_result, run_series, tmp_path):
    folder = write_run(example_result, str(tmp_path), figures=False)
    loaded = plots.RunData.load(folder)
    assert loaded.has_replication_series and loaded.per_replication == []
    for zone in ("South", "national"):
        np.testing.assert_array_equal(
            loaded.replication_series("shed_mw", zone), run_series.replication_series("shed_mw", zone)
        )
    np.testing.assert_array_equal(loaded.loss_of_load(), run_series.loss_of_load())
    fig = plots.load_duration(loaded)
    assert "fan over 6 replications" in fig.get_suptitle()
    wide = pd.read_parquet(folder / "replications.parquet")
    long = pd.read_parquet(folder / "replications_long.parquet")
    assert len(long) == wide.shape[0] * (wide.shape[1] - 1)


def test_a_damaged_series_file_is_one_clear_error(example_result, tmp_path):
    folder = write_run(example_result, tmp_path, figures=False)
    (folder / SERIES_FILE).write_bytes(b"PAR1 not really")
    with pytest.raises(ScenarioError, match=r"damaged replications' series: cannot read it \(\w+\)"):
        plots.RunData.load(folder).replication_series("shed_mw", "South")
