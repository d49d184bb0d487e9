"""SIGINT and SIGTERM stop a run at any moment: one line, exit 130 or 143, no
process of the run alive 5 s later, no temporary folder left, nothing outside
the run's own folder touched.

The moments: start-up (as soon as gridshed handles signals, while it imports
and loads), the simulation (the output folder is reserved, the workers run) and
the write (files are appearing in the temporary folder); with 1 and 2 local
worker processes, and once on a local Dask cluster.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE, ROOT

GRIDSHED = ROOT / ".venv" / "bin" / "gridshed"
#: Seconds a run has to reach a moment, and its processes to be gone.
REACH_S, GONE_S = 120.0, 5.0


def command() -> list[str]:
    return [str(GRIDSHED)] if GRIDSHED.exists() else [sys.executable, "-m", "sim"]


def handles_sigterm(pid: int) -> bool:
    """Whether the process has installed a handler for SIGTERM (gridshed's)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (signal.SIGTERM - 1) & 1)


def session(sid: int) -> list[int]:
    """Live (not zombie) processes of session ``sid``."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + REACH_S
    while not condition():
        assert time.monotonic() < deadline, f"the run never reached {what}"
        time.sleep(0.005)


def tmp_folders(out: Path) -> list[Path]:
    return list(out.glob(".*.tmp")) if out.exists() else []


#: Every signal at every moment, each worker count at each moment (make test);
#: the rest of the matrix and Dask run in make fuzz (marker ``heavy``).
QUICK = [
    (signal.SIGINT, "start-up", 1),
    (signal.SIGTERM, "start-up", 2),
    (signal.SIGINT, "simulation", 2),
    (signal.SIGTERM, "simulation", 1),
    (signal.SIGINT, "write", 1),
    (signal.SIGTERM, "write", 2),
]
MATRIX = [
    pytest.param(s, m, w, id=f"{s.name}-{m}-{w}", marks=[] if (s, m, w) in QUICK else [pytest.mark.heavy])
    for s in (signal.SIGINT, signal.SIGTERM)
    for m in ("start-up", "simulation", "write")
    for w in (1, 2)
]


@pytest.mark.parametrize(("sig", "moment", "workers"), MATRIX)
def test_a_signal_stops_the_run_cleanly(tmp_path, sig, moment, workers, executor="process"):
    out = tmp_path / "out"
    beside = tmp_path / "beside.txt"
    beside.write_text("untouched")
    n = "25" if moment == "write" else "5000"
    figures = "--figures" if moment == "write" else "--no-figures"
    args = [*command(), "run", str(EXAMPLE), "-n", n, "-w", str(workers), "-q", figures, "--out", str(out)]
    args += ["--executor", executor]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen(args, start_new_session=True, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for(lambda: handles_sigterm(proc.pid), "start-up")
        if moment == "simulation":
            wait_for(lambda: tmp_folders(out), "its output folder")
            if workers > 1:
                wait_for(lambda: len(session(proc.pid)) > workers, "its workers")
            time.sleep(0.3)
        elif moment == "write":
            wait_for(lambda: any(any(t.iterdir()) for t in tmp_folders(out)), "the write")
        assert proc.poll() is None, "the run ended before the signal"
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=GONE_S + 10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + sig, stderr
    assert stderr == f"interrupted by {signal.Signals(sig).name}; stopped\n"
    deadline = time.monotonic() + GONE_S
    while session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session(proc.pid) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["beside.txt", "out"][: 1 + out.exists()]
    assert beside.read_text() == "untouched"
    if out.exists():
        assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


@pytest.mark.heavy
def test_sigterm_stops_a_local_dask_cluster(tmp_path):
    test_a_signal_stops_the_run_cleanly(tmp_path, signal.SIGTERM, "simulation", 2, executor="dask")
