"""The notebooks run top to bottom without error (so they never rot), and are
committed with their outputs cleared; the runner behind ``make notebooks``."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest
from conftest import ROOT

from tools import run_notebooks as notebooks

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Seconds one notebook may take (all three together should stay under a minute or so).
BUDGET_S = 120


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_demand_curves.ipynb",
        "02_crackdown_relief.ipynb",
        "03_shortage_scenarios.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_error(path):
    seconds = notebooks.execute(path, write=False)
    assert seconds < BUDGET_S, f"{path.name} took {seconds:.0f} s"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert nb.metadata.kernelspec.name == "python3"
    assert "version" not in nb.metadata.get("language_info", {})  # no machine-specific Python version
    assert notebooks.clear(path) is False  # what `python -m tools.run_notebooks --clear` leaves


def test_notebooks_use_only_the_public_api_and_relative_paths(tmp_path):
    for path in NOTEBOOKS:
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        for private in ("/work/", "sim.model.replication", "sim.results.metrics"):
            assert private not in text, path.name


def _notebook(folder, name, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_runner_executes_in_place_in_the_notebook_folder_with_this_interpreter(tmp_path):
    import sys

    path = _notebook(tmp_path, "where.ipynb", "import os, sys\nprint(os.getcwd(), sys.executable)")
    assert notebooks.main([str(path)]) == 0
    (out,) = nbformat.read(path, as_version=4).cells[0].outputs
    assert out.text.split() == [str(tmp_path.resolve()), sys.executable]


def test_runner_reports_a_failing_notebook_and_exits_1(tmp_path, capsys):
    good = _notebook(tmp_path, "good.ipynb", "1 + 1")
    bad = _notebook(tmp_path, "bad.ipynb", "1 / 0")
    assert notebooks.main(["--check", str(bad), str(good)]) == 1
    out, err = capsys.readouterr()
    assert f"{bad}: FAILED" in err and "ZeroDivisionError" in err
    assert f"{good}: ok" in out
    assert "1/2 notebooks ran" in out
    # --check leaves the files as they were.
    assert not nbformat.read(good, as_version=4).cells[0].outputs


def test_clear_strips_outputs_and_counts(tmp_path):
    src = NOTEBOOKS[0]
    path = tmp_path / src.name
    shutil.copy(src, path)
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    cell.execution_count = 3
    nbformat.write(nb, path)
    assert notebooks.main(["--clear", str(path)]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert all(c.get("outputs", []) == [] for c in data["cells"])
    assert all(c.get("execution_count") is None for c in data["cells"] if c["cell_type"] == "code")
    assert notebooks.clear(path) is False  # already clear
