"""Ensembles on a Dask cluster give exactly what local runs give.

A real ``dask.distributed.LocalCluster`` with worker processes is started on
this machine, as ``--executor dask`` starts one; replications are shipped to it
by address, as to a remote scheduler. A quiet run prints nothing (no Dask notices); a bad or unreachable
scheduler address is one line naming it, within the connection timeout.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import EXAMPLE, ROOT

from sim.cli import main
from sim.experiments import workers
from sim.experiments.ensemble import run_ensemble
from sim.scenario.load import load_scenario

distributed = pytest.importorskip("dask.distributed")

REPS = 30


#: Each test starts a Dask LocalCluster: seconds of start-up.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scheduler():
    cluster = workers.local_cluster(2)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def serial():
    return run_ensemble(load_scenario(EXAMPLE), replications=REPS, workers=1, progress=False)


def test_a_dask_cluster_gives_the_same_results_as_serial_and_local_processes(scheduler, serial):
    sc = load_scenario(EXAMPLE)
    on_dask = run_ensemble(sc, replications=REPS, scheduler=scheduler, progress=False)
    local = run_ensemble(sc, replications=REPS, workers=2, progress=False)
    for other in (on_dask, local):
        pd.testing.assert_frame_equal(other.replications, serial.replications, check_exact=True)
        pd.testing.assert_frame_equal(other.timeseries(), serial.timeseries(), check_exact=True)
        pd.testing.assert_frame_equal(other.events, serial.events, check_exact=True)
    assert on_dask.summary() == serial.summary()


def _worker_state(dask_worker) -> tuple[bool, bool, float]:
    from dask.utils import parse_timedelta

    tick = parse_timedelta(dask_worker.periodic_callbacks["tick"].callback_time, "ms")
    return "profile" in dask_worker.periodic_callbacks, "sim.experiments.ensemble" in sys.modules, tick


def test_the_local_cluster_s_workers_start_with_the_simulation_and_without_the_profiler(scheduler):
    """What the workers of gridshed's local cluster do besides replications."""
    with distributed.Client(scheduler) as client:
        states = client.run(_worker_state)
    assert len(states) == 2
    # No stack sampling every 10 ms; event-loop checks each second, not every 20 ms.
    assert set(states.values()) == {(False, True, 1.0)}


def test_gridshed_run_with_a_scheduler_writes_the_same_summary(scheduler, tmp_path):
    runner = CliRunner()
    args = ["run", str(EXAMPLE), "-n", str(REPS), "--no-figures", "-q"]
    a = runner.invoke(main, [*args, "--out", str(tmp_path / "dask"), "--scheduler", scheduler])
    b = runner.invoke(main, [*args, "--out", str(tmp_path / "local"), "--workers", "1"])
    assert a.exit_code == 0, a.output
    assert b.exit_code == 0, b.output
    name = load_scenario(EXAMPLE).name
    summary = [json.loads((tmp_path / d / name / "summary.json").read_text()) for d in ("dask", "local")]
    assert summary[0] == summary[1]
    for table in ("replications", "timeseries", "events", "facilities"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "dask" / name / f"{table}.parquet"),
            pd.read_parquet(tmp_path / "local" / name / f"{table}.parquet"),
            check_exact=True,
        )


def test_a_quiet_run_on_a_scheduler_prints_only_its_folder(scheduler, tmp_path):
    """The real program, in its own process: no heartbeat or shutdown notice of Dask."""
    gridshed = ROOT / ".venv" / "bin" / "gridshed"
    cmd = [str(gridshed)] if gridshed.exists() else [sys.executable, "-m", "sim"]
    args = ["run", str(EXAMPLE), "-n", "5", "--no-figures", "-q", "--out", str(tmp_path), "--scheduler"]
    proc = subprocess.run([*cmd, *args, scheduler], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"{tmp_path / 'two_zones'}\n", "")


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (
            "not a url",
            r"not a url: not a Dask scheduler address \(missing port number in address 'not a url'\); "
            r"give one such as tcp://HOST:8786",
        ),
        ("http://host:1", r"http://host:1: not a Dask scheduler address \(unknown address scheme 'http'.*"),
        ("tcp://127.0.0.1:1", r"tcp://127\.0\.0\.1:1: cannot reach the Dask scheduler within 1 s \(\w+\)"),
    ],
)
def test_a_bad_scheduler_is_one_line_naming_it_within_the_timeout(monkeypatch, tmp_path, address, message):
    monkeypatch.setattr(workers, "CONNECT_TIMEOUT_S", 1)
    t0 = time.monotonic()
    result = CliRunner().invoke(
        main, ["run", str(EXAMPLE), "-q", "--no-figures", "--out", str(tmp_path), "--scheduler", address]
    )
    assert time.monotonic() - t0 < 8
    assert result.exit_code == 2, result.output
    assert re.fullmatch(rf"error: --scheduler: {message}\n", result.stderr), result.stderr
    assert list(tmp_path.iterdir()) == []  # the reserved folder is released
