"""Output folders: reserved before the run, never replaced by surprise, locked
against a concurrent writer, created with the usual permissions, and nothing
left behind on any exit path (issue #10, output)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pytest
from conftest import DATA, EXAMPLE, ROOT

from sim.errors import ScenarioError
from sim.report.outfolder import reserve, umask, write_atomic

MINI = DATA / "base.yaml"


def hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_an_existing_folder_is_kept_and_the_results_go_beside_it(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "mine.txt").write_text("keep")
    with reserve(tmp_path, "run") as r:
        assert r.path == tmp_path / "run-2"
        r.commit(lambda d: (d / "new.txt").write_text("new"))
    assert (tmp_path / "run" / "mine.txt").read_text() == "keep"
    assert [p.name for p in (tmp_path / "run-2").iterdir()] == ["new.txt"]
    assert hidden(tmp_path) == []


def test_overwrite_replaces_the_folder_once_the_new_one_is_complete(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "old.txt").write_text("old")
    with reserve(tmp_path, "run", overwrite=True) as r:
        assert r.path == tmp_path / "run"
        assert (tmp_path / "run" / "old.txt").exists()  # untouched while the run goes on
        r.commit(lambda d: (d / "new.txt").write_text("new"))
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_folder_being_written_is_locked_against_another_writer(tmp_path):
    with reserve(tmp_path, "run") as first:
        with reserve(tmp_path, "run") as second:
            assert (first.path.name, second.path.name) == ("run", "run-2")
            second.commit(lambda d: None)
        message = rf"^{re.escape(str(tmp_path / 'run'))}: another gridshed run is writing .*; wait for it"
        with pytest.raises(ScenarioError, match=message), reserve(tmp_path, "run", overwrite=True):
            pass
        first.commit(lambda d: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run-2"]


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_folders_get_the_usual_permissions(tmp_path, mask):
    old = os.umask(mask)
    try:
        assert umask() == mask
        folder = write_atomic(tmp_path / "run", lambda d: (d / "f.txt").write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((folder / "f.txt").stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_nothing_is_left_behind_on_an_error_or_an_interrupt(tmp_path, error):
    def fail(d):
        (d / "half.txt").write_text("half")
        raise error

    with pytest.raises(type(error)), reserve(tmp_path, "run") as r:
        r.commit(fail)
    assert list(tmp_path.iterdir()) == []


def test_run_twice_keeps_the_first_folder_and_says_where_the_second_went(cli, tmp_path):
    args = ["run", EXAMPLE, "-n", "2", "-w", "1", "--no-figures", "-q", "--out", tmp_path]
    assert cli(*args).exit_code == 0
    (tmp_path / "two_zones" / "notes.txt").write_text("mine")
    second = cli(*[a for a in args if a != "-q"])
    assert second.exit_code == 0
    assert (
        f"note: {tmp_path / 'two_zones'} exists or is being written; "
        f"writing to {tmp_path / 'two_zones-2'} (--overwrite replaces it)"
    ) in second.stderr.splitlines()
    assert second.stdout.endswith(f"written to {tmp_path / 'two_zones-2'}\n")
    quiet = cli(*args)  # -q: the folder it went to, alone
    assert (quiet.stdout, quiet.stderr) == (f"{tmp_path / 'two_zones-3'}\n", "")
    assert (tmp_path / "two_zones" / "notes.txt").read_text() == "mine"
    third = cli(*args, "--overwrite")
    assert (third.exit_code, third.stderr) == (0, "")
    assert not (tmp_path / "two_zones" / "notes.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two_zones", "two_zones-2", "two_zones-3"]


def test_two_concurrent_runs_into_one_folder_both_keep_their_results(tmp_path):
    gridshed = ROOT / ".venv" / "bin" / "gridshed"
    cmd = [str(gridshed)] if gridshed.exists() else [sys.executable, "-m", "sim"]
    args = [*cmd, "run", str(MINI), "-n", "4", "-w", "1", "--no-figures", "-q", "--out", str(tmp_path)]
    procs = [subprocess.Popen(args, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "base-2"]
    for name in ("base", "base-2"):
        assert (tmp_path / name / "summary.json").is_file()
